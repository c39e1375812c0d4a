/**
 * Runs the API, tile, extraction, job and storage tests, and the smoke test of the compiled server, on Node.js 24 (the
 * current LTS line) while the machine runs an older Node. Node 24 comes from the npm registry: the `node` package
 * installs the platform's binary (its install step fetches `node-<platform>-<arch>`, another registry package)
 * into .cache/node24/, once. `npm test` runs this after the main run (`npm run test:node24`).
 *
 * Without the registry: fails under CI=true; elsewhere prints a notice and passes. Already on Node ≥ 24: nothing
 * to add, says so and passes. Extra arguments replace the default test filters.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = join(ROOT, '.cache/node24');
const NODE = join(PREFIX, 'node_modules/node/bin/node');
const MAJOR = 24;
/** vitest path filters: the HTTP API, tiles, extraction (timeseries + jobs), storage (its HTTP client), and the dist smoke test. */
const DEFAULT_FILTERS = ['src/http', 'src/tiles', 'src/timeseries', 'src/jobs', 'src/storage', 'test/smoke'];
const IN_CI = process.env['CI'] === 'true';

/** `v24.x.y` of a binary, or null when it does not run. */
function versionOf(bin: string): string | null {
  if (!existsSync(bin)) return null;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The Node 24 binary, installed from the registry when missing; null (with the reason printed) when impossible. */
function node24(): string | null {
  const have = versionOf(NODE);
  if (have?.startsWith(`v${MAJOR}.`)) return NODE;
  console.log(`test:node24: installing node@${MAJOR} from the npm registry into ${PREFIX} …`);
  const r = spawnSync(
    'npm',
    ['install', '--prefix', PREFIX, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node@${MAJOR}`],
    { stdio: 'inherit', shell: process.platform === 'win32' },
  );
  const got = versionOf(NODE);
  if (r.status !== 0 || !got?.startsWith(`v${MAJOR}.`)) {
    console.error(`test:node24: could not install node@${MAJOR} (npm exit ${r.status}, binary: ${got ?? 'none'}).`);
    return null;
  }
  return NODE;
}

function main(): number {
  const current = Number(process.versions.node.split('.')[0]);
  if (current >= MAJOR) {
    console.log(`test:node24: already running Node ${process.versions.node}; the main test run covered it.`);
    return 0;
  }
  const bin = node24();
  if (bin === null) {
    if (IN_CI) return 1;
    console.warn(`NOTICE: Node ${MAJOR} is not available; skipping the Node ${MAJOR} test run`);
    return 0;
  }
  const filters = process.argv.slice(2);
  const args = [
    join(ROOT, 'node_modules/vitest/vitest.mjs'),
    'run',
    ...(filters.length > 0 ? filters : DEFAULT_FILTERS),
  ];
  console.log(`test:node24: ${versionOf(bin) ?? ''}: vitest run ${args.slice(2).join(' ')}`);
  // Node 24 first on PATH, so test processes that start `node` (CLI and worker tests) run it too.
  const env = { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env['PATH'] ?? ''}` };
  const r = spawnSync(bin, args, { cwd: ROOT, env, stdio: 'inherit' });
  return r.status ?? 1;
}

process.exitCode = main();
