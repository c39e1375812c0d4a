import { execFileSync } from 'node:child_process';

/** True when running in CI: required tools must be present there. */
export const IN_CI = process.env['CI'] === 'true';

const cache = new Map<string, boolean>();

/** Whether a command can be run (e.g. `gdalinfo --version`, `python3 -c "import rasterio"`). */
export function hasCommand(cmd: string, args: string[]): boolean {
  const key = [cmd, ...args].join(' ');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    ok = true;
  } catch {
    ok = false;
  }
  cache.set(key, ok);
  return ok;
}

/**
 * Returns true when the named tool is usable. Under CI=true a missing tool throws (the suite must fail);
 * elsewhere it prints a notice and returns false so the caller can skip.
 */
export function requireTool(
  name: 'gdal' | 'rasterio' | 'redis' | 'matplotlib' | 'chromium' | 'libdeflate binding',
  available: boolean,
  why?: string,
): boolean {
  if (available) return true;
  const msg = `${name} is not available${why !== undefined ? ` (${why})` : ''}`;
  if (IN_CI) throw new Error(`${msg}, but CI=true requires it`);
  console.warn(`NOTICE: ${msg}; skipping the tests that need it`);
  return false;
}

export const HAS_GDAL = (): boolean => hasCommand('gdalinfo', ['--version']);
/** Debian's Chromium (the browser tests drive it with playwright-core; browser downloads are not used). */
export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = (): boolean => hasCommand(CHROMIUM, ['--version']);
/**
 * The Python that has rasterio + numpy: Debian's python3-rasterio lives in /usr/bin/python3, which may not be
 * the first `python3` on PATH (pyenv).
 */
export const PYTHON: string =
  ['/usr/bin/python3', 'python3'].find((py) => hasCommand(py, ['-c', 'import rasterio, numpy'])) ?? 'python3';
export const HAS_RASTERIO = (): boolean => hasCommand(PYTHON, ['-c', 'import rasterio, numpy']);
/** Redis URL for tests (the only env read outside src/config, test support only). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Whether something answers on the Redis URL's port (within a second). */
export async function redisUp(url: string = REDIS_URL): Promise<boolean> {
  const { createConnection } = await import('node:net');
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/**
 * The read-only `shared/` folder beside the clone (specs and the release-contract JSON Schemas), or null when it
 * is not there. Tests that need it call `requireShared()`.
 */
export const SHARED_DIR: string | null = (() => {
  const dir = new URL('../../../shared/', import.meta.url).pathname;
  return hasCommand('test', ['-d', `${dir}spec`]) ? dir : null;
})();

/** Like requireTool for the `shared/` folder: fails under CI=true when it is missing, else skips with a notice. */
export function requireShared(): boolean {
  if (SHARED_DIR !== null) return true;
  if (IN_CI) throw new Error('../shared (beside the clone) is missing, but CI=true requires it');
  console.warn('NOTICE: ../shared is not beside the clone; skipping the tests that need it');
  return false;
}
