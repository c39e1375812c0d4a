/**
 * Fails when the build output (dist/) holds test code: a file named like a test, conformance suite, fixture or
 * test helper, an import of a devDependency (vitest, fast-check … are absent from a production install), or a
 * relative import of a file that is not in dist/. Run after `npm run build`: `npm run check:dist`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** Names of files only tests use (the same list tsconfig.build.json excludes and .dependency-cruiser.cjs knows). */
const TEST_FILE = /\.test\.|\.conformance\.|\.fixtures\.|(^|\/)__fixtures__\/|(^|\/)__tests__\/|(^|\/)test\//;
/** Specifiers of `import … from '…'`, `export … from '…'`, `import '…'` (each starting a line) and `import('…')`. */
const IMPORTS = [
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*(['"])([^'"\n]+)\1/gm,
  /^\s*import\s*(['"])([^'"\n]+)\1/gm,
  /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function main(): number {
  if (!existsSync(DIST)) {
    console.error('check-dist: dist/ does not exist; run `npm run build` first.');
    return 1;
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const runtime = new Set(Object.keys(pkg.dependencies ?? {}));
  const devOnly = new Set(Object.keys(pkg.devDependencies ?? {}).filter((d) => !runtime.has(d)));
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  const files = walk(DIST);
  for (const file of files) {
    const rel = relative(DIST, file);
    if (TEST_FILE.test(rel)) problems.push(`${rel}: test code in the build`);
    if (!file.endsWith('.js')) continue;
    const text = readFileSync(file, 'utf8');
    for (const spec of IMPORTS.flatMap((re) => Array.from(text.matchAll(re), (m) => m[2] as string))) {
      if (spec.startsWith('.')) {
        if (!existsSync(resolve(dirname(file), spec))) problems.push(`${rel}: imports ${spec}, which is not in dist/`);
      } else if (!spec.startsWith('node:') && !builtins.has(spec) && !spec.startsWith('data:')) {
        const name = packageOf(spec);
        if (devOnly.has(name)) problems.push(`${rel}: imports ${name}, a devDependency`);
        else if (!runtime.has(name)) problems.push(`${rel}: imports ${name}, which package.json does not list`);
      }
    }
  }
  if (problems.length > 0) {
    console.error(`check-dist: dist/ is not fit to ship:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(`check-dist: ${files.length} files in dist/, no test code, only runtime dependencies imported.`);
  return 0;
}

process.exitCode = main();
