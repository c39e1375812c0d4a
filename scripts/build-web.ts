/**
 * Builds the map viewer (web/) into web/dist/ with esbuild: ES modules and one stylesheet with content-hashed
 * names, MapLibre's worker copied beside them, index.html pointing at them, and a gzip copy of each file (the server
 * sends it to clients that accept gzip). Prints every file's size and the gzipped total of what `/` loads.
 *
 * Code splitting: what the first map paint does not need (drawing, the chart) is imported dynamically by the page
 * and lands in chunks of its own, fetched after the first paint; chunks the entry imports statically are named in
 * `<link rel="modulepreload">` so the browser fetches them with the entry, not after it.
 *
 *   tsx scripts/build-web.ts              build
 *   tsx scripts/build-web.ts --if-stale   build only when a source is newer than the last build (npm start)
 *
 * Run by `npm ci` (the `prepare` script), `npm start` and `npm run build`.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type * as Esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const OUT = join(WEB, 'dist');
const STAMP = join(OUT, '.built');
const require = createRequire(import.meta.url);

/** Newest modification time (ms) of the viewer's sources and of what decides the bundled library versions. */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== 'dist') visit(join(path, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  visit(WEB);
  for (const f of ['package-lock.json', 'scripts/build-web.ts'])
    newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

function hashed(name: string, ext: string, body: Buffer | string): string {
  return `${name}-${createHash('sha256').update(body).digest('hex').slice(0, 10).toUpperCase()}${ext}`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--if-stale') && existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestSource()) return;
  let esbuild: typeof Esbuild;
  try {
    require.resolve('maplibre-gl/package.json');
    esbuild = await import('esbuild');
  } catch {
    // A production install (no devDependencies) cannot build the viewer; the API works without it.
    console.warn('build-web: the viewer’s build dependencies are not installed (npm ci --omit=dev?); not built.');
    return;
  }
  const started = Date.now();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const result = await esbuild.build({
    // boot: a few kB run first that asks for the first view's tiles while `app` (MapLibre) is compiled.
    entryPoints: { boot: join(WEB, 'src/boot.ts'), app: join(WEB, 'src/main.ts') },
    bundle: true,
    format: 'esm',
    splitting: true,
    minify: true,
    target: ['chrome110', 'firefox115', 'safari16'],
    outdir: OUT,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.png': 'file', '.svg': 'file' },
    tsconfig: join(WEB, 'tsconfig.json'),
    metafile: true,
    legalComments: 'eof',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.entries(result.metafile.outputs).map(([p, o]) => ({ name: relative(OUT, join(ROOT, p)), o }));
  const entryOf = (src: string): (typeof outputs)[number] | undefined =>
    outputs.find(({ name, o }) => name.endsWith('.js') && o.entryPoint === relative(ROOT, join(WEB, src)));
  const entry = entryOf('src/main.ts');
  const bootEntry = entryOf('src/boot.ts');
  const css = outputs.find(({ name }) => name.endsWith('.css'))?.name;
  if (entry === undefined || bootEntry === undefined || css === undefined)
    throw new Error('build-web: esbuild wrote no app or boot entry .js, or no .css');
  const js = entry.name;
  const boot = bootEntry.name;
  const chunks = outputs.map(({ name }) => name).filter((name) => name.endsWith('.js') && name !== js && name !== boot);
  const staticImports = new Set(
    [entry, bootEntry].flatMap(({ o }) =>
      o.imports.filter((i) => i.kind === 'import-statement').map((i) => relative(OUT, join(ROOT, i.path))),
    ),
  );
  const preload = [...staticImports].map((f) => `<link rel="modulepreload" href="/viewer/${f}" />`);

  // MapLibre starts its worker from this file; the page tells it the URL (setWorkerUrl).
  const workerSrc = join(dirname(require.resolve('maplibre-gl/package.json')), 'dist/maplibre-gl-worker.mjs');
  const worker = hashed('maplibre-gl-worker', '.mjs', readFileSync(workerSrc));
  copyFileSync(workerSrc, join(OUT, worker));

  const html = readFileSync(join(WEB, 'index.html'), 'utf8')
    .replaceAll('{{app.js}}', `/viewer/${js}`)
    .replaceAll('{{boot.js}}', `/viewer/${boot}`)
    .replaceAll('{{app.css}}', `/viewer/${css}`)
    .replaceAll('{{worker.mjs}}', `/viewer/${worker}`)
    .replaceAll('{{modulepreload}}', preload.join('\n    '));
  if (html.includes('{{')) throw new Error('build-web: index.html has a placeholder the build does not fill');
  writeFileSync(join(OUT, 'index.html'), html);

  // What `/` loads: the page, the scripts (the chunks loaded after the first paint too), the stylesheet, the worker.
  const loaded = new Set(['index.html', boot, js, ...chunks, css, worker]);
  let total = 0;
  const lines: string[] = [];
  for (const name of readdirSync(OUT).sort()) {
    const body = readFileSync(join(OUT, name));
    const gz = gzipSync(body, { level: 9 });
    writeFileSync(join(OUT, `${name}.gz`), gz);
    if (loaded.has(name)) total += gz.length;
    lines.push(
      `  ${name.padEnd(40)} ${(body.length / 1024).toFixed(0).padStart(6)} KiB  gzip ${(gz.length / 1024).toFixed(0).padStart(5)} KiB`,
    );
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  console.log(`build-web: web/dist in ${Date.now() - started} ms\n${lines.join('\n')}`);
  console.log(`build-web: what / loads, gzipped: ${(total / 1000).toFixed(0)} kB (budget 1200 kB)`);
  if (total > 1_200_000) throw new Error(`build-web: ${total} gzipped bytes is over the 1.2 MB budget`);
}

await main();
