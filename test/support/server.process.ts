/**
 * A real `skope serve` in a child process for reliability tests: real HTTP on loopback, its own event loop and
 * memory, measured inside it (`server.child.ts`) and read over IPC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What the server process measured. Times in ms (event-loop delay includes the 5 ms sampling interval). */
export interface ServerStats {
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** Event-loop samples since the last reset. */
  loopSamples: number;
  rssBytes: number;
  heapUsedBytes: number;
}

/** A running server process. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the child wrote to stderr (crash reports). */
  stderr(): string;
  /** The child's figures; `reset` starts a new event-loop measurement after reading. */
  stats(options?: { reset?: boolean; gc?: boolean }): Promise<ServerStats>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the server with `env` (its settings, as environment variables) and waits until it listens. */
export async function startServerProcess(
  env: Record<string, string>,
  /** Environment of the process itself beyond PATH (e.g. AWS credentials the S3 client reads). */
  processEnv: Record<string, string> = {},
): Promise<ServerProcess> {
  // node itself with tsx's loader (not the tsx CLI, which would fork a grandchild).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', tsx, fileURLToPath(new URL('./server.child.ts', import.meta.url)), JSON.stringify(env)],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { PATH: process.env['PATH'] ?? '', ...processEnv } },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.on('message', (m: { url?: string }) => {
      if (m.url !== undefined) {
        clearTimeout(timer);
        resolve(m.url);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  let next = 0;
  return {
    url,
    child,
    stderr: () => stderr,
    stats(options = {}) {
      const id = ++next;
      return new Promise<ServerStats>((resolve, reject) => {
        const onMessage = (m: { id?: number; stats?: ServerStats }): void => {
          if (m.id !== id || m.stats === undefined) return;
          child.off('message', onMessage);
          resolve(m.stats);
        };
        child.on('message', onMessage);
        child.send({ cmd: options.gc === true ? 'gc' : 'stats', reset: options.reset === true, id }, (err) => {
          if (err) reject(err);
        });
      });
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
