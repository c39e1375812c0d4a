/**
 * Process entry of the API server: loadConfig → createDeps → buildServer → listen; SIGTERM/SIGINT → app.close()
 * (which closes the queue, worker pool, job store and sources). `skope serve` calls {@link startServer}.
 */
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import { loadConfig, processEnv, type Config } from './config/config.js';
import { createDeps } from './deps.js';
import { ReleaseRefusedError } from './release/serve/refusal.js';

/** A listening server. */
export interface RunningServer {
  app: FastifyInstance;
  /** `http://host:port` actually bound. */
  url: string;
}

/** Builds and starts the server for `config`; installs signal handlers when `handleSignals` (default true). */
export async function startServer(config: Config, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  let deps;
  try {
    deps = await createDeps(config);
  } catch (err) {
    // A pinned release failed a start-up check: one structured line per failed check, then nothing is served.
    if (err instanceof ReleaseRefusedError) {
      for (const refusal of err.refusals) {
        process.stdout.write(
          `${JSON.stringify({ level: 'error', time: Date.now(), msg: 'start-up check failed', ...refusal })}\n`,
        );
      }
    }
    throw err;
  }
  const app = await buildServer(deps);
  const url = await app.listen({ host: config.host, port: config.port });
  app.log.info(
    config.releasePinPath !== undefined
      ? {
          pin: config.releasePinPath,
          datasets: deps.registry.list().map((d) => d.release?.releaseId ?? d.id),
          jobStore: config.jobStore,
        }
      : { registry: config.registryPath, storage: config.storageBaseUrl, jobStore: config.jobStore },
    `SKOPE API listening on ${url}`,
  );
  if (options.handleSignals !== false) {
    let closing = false;
    const stop = (signal: string): void => {
      if (closing) return;
      closing = true;
      app.log.info(`${signal} received, shutting down`);
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  }
  return { app, url };
}

/** `node src/main.ts` / `tsx src/main.ts`: serve with the environment and flags of this process. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  await startServer(loadConfig(processEnv(), argv));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
