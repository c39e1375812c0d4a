/**
 * Smoke test of the build a production install runs: `bin/skope.js` (which prefers the compiled dist/ over the
 * TypeScript sources) writes the demo dataset and serves it as `npm start` does — a pinned release (the settings
 * `skope demo` writes: pin and display files); the server answers /metadata (1.0.0), a map tile drawn from the
 * display preferences and an extraction job polled to SUCCESS. A module-resolution hook records every module the processes load, to prove
 * they ran dist/ and never src/ or tsx.
 *
 * Needs `npm run build` first (`npm test` builds). Without dist/ it fails under CI=true and elsewhere skips with
 * a printed notice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_CI } from '../support/env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/skope.js');
const TRACE = fileURLToPath(new URL('./module.trace.mjs', import.meta.url));
const built = existsSync(join(ROOT, 'dist/cli/main.js'));
if (!built) {
  if (IN_CI) throw new Error('dist/ is not built, but CI=true requires the smoke test (run `npm run build`)');
  console.warn('NOTICE: dist/ is not built (`npm run build`); skipping the smoke test of the compiled server');
}

const DATASET = 'paleocar_demo';
const VARIABLE = 'ppt_annual';

let dir = '';
let server: ChildProcess | undefined;
let base = '';

/** `node [trace hook] bin/skope.js …args` with the demo settings and a module log in `dir`. */
function skope(args: string[], log: string): ChildProcess {
  const env: Record<string, string | undefined> = {
    ...process.env,
    SKOPE_MODULE_TRACE: join(dir, log),
    HOST: '127.0.0.1',
    PORT: '0',
    // What npm start passes: the pinned demo release and its display files.
    SETTINGS_PATH: join(dir, 'demo/serve.yml'),
    JOB_STORE: 'fs',
    JOB_DIR: join(dir, 'jobs'),
    QUEUE: 'inline',
    WORKER_POOL_SIZE: '1',
    LOG_LEVEL: 'info',
  };
  delete env['REDIS_URL'];
  delete env['NODE_OPTIONS'];
  return spawn(process.execPath, ['--import', TRACE, BIN, ...args], { cwd: dir, env, stdio: 'pipe' });
}

/** Output of a process that must exit 0. */
function finished(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}:\n${out}`))));
  });
}

/** The `http://host:port` the server logs once listening. */
function listening(child: ChildProcess, timeoutMs: number): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${out}`));
    });
  });
}

/** Modules a process resolved (file URLs), from its trace log. */
function loaded(log: string): string[] {
  const path = join(dir, log);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** Fails unless the process ran the compiled CLI and never a TypeScript source or tsx. */
function expectCompiledOnly(log: string): void {
  const urls = loaded(log);
  expect(urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
  expect(urls.filter((u) => u.endsWith('.ts') || u.includes('/node_modules/tsx/') || u.includes('/src/'))).toEqual([]);
}

describe.skipIf(!built)('the compiled server (dist/ through bin/skope.js)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skope-smoke-'));
    await finished(skope(['demo', '--dir', join(dir, 'demo')], 'demo.modules'));
    server = skope(['serve'], 'serve.modules');
    base = await listening(server, 60_000);
  }, 300_000);

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ran dist/, not the TypeScript sources', () => {
    expectCompiledOnly('demo.modules');
    expectCompiledOnly('serve.modules');
  });

  it('answers /metadata 1.0.0 with the pinned demo release, and the legacy array under /v2', async () => {
    const res = await fetch(`${base}/metadata`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { schema_version: string; datasets: { id: string; release_id: string }[] };
    expect(body.schema_version).toBe('1.0.0');
    expect(body.datasets.map((d) => d.id)).toContain(DATASET);
    expect(body.datasets[0]?.release_id).toMatch(/^paleocar_demo-r-/);
    const v2 = (await (await fetch(`${base}/v2/metadata`)).json()) as { id: string }[];
    expect(v2.map((d) => d.id)).toContain(DATASET);
  });

  it('renders a map tile', async () => {
    const res = await fetch(`${base}/tiles/${DATASET}/${VARIABLE}/1200/5/6/12.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([256, 256]);
    let opaque = 0;
    for (let k = 3; k < png.data.length; k += 4) if (png.data[k] === 255) opaque++;
    // The demo grid covers most of this tile (Four Corners, z5).
    expect(opaque).toBeGreaterThan(256 * 256 * 0.25);
    // The display range fits the demo's values: a readable map, not one flat colour.
    const colours = new Set<number>();
    for (let k = 0; k < png.width * png.height; k++)
      if (png.data[k * 4 + 3] === 255) colours.add(png.data.readUInt32BE(k * 4));
    expect(colours.size).toBeGreaterThan(50);
  });

  it('runs an extraction job to SUCCESS', async () => {
    const res = await fetch(`${base}/timeseries/extract`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        dataset_id: DATASET,
        variable_id: VARIABLE,
        selected_area: {
          type: 'Polygon',
          coordinates: [
            [
              [-109, 37],
              [-108, 37],
              [-108, 38],
              [-109, 38],
              [-109, 37],
            ],
          ],
        },
        zonal_statistic: 'mean',
        transform: { type: 'NoTransform' },
        requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
        time_range: { gte: '1000', lte: '1100' },
      }),
    });
    expect(res.status).toBe(202);
    const { job_id: id } = (await res.json()) as { job_id: string };
    let record: { status: string; result?: { n_cells: number; series: { timesteps: string[]; values: unknown[] }[] } };
    const deadline = Date.now() + 120_000;
    do {
      await new Promise((r) => setTimeout(r, 200));
      const status = await fetch(`${base}/timeseries/status/${id}`);
      expect(status.status).toBe(200);
      record = (await status.json()) as typeof record;
    } while ((record.status === 'PENDING' || record.status === 'PROCESSING') && Date.now() < deadline);
    expect(record.status).toBe('SUCCESS');
    const series = record.result?.series[0];
    expect(record.result?.n_cells).toBeGreaterThan(0);
    expect(series?.timesteps).toHaveLength(101);
    expect(series?.timesteps[0]).toBe('1000');
    expect(series?.values.every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
  }, 150_000);
});
