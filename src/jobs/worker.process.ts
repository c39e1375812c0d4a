/**
 * `skope worker`: a process that runs jobs from the BullMQ queue on its own threads and writes their records to the
 * shared Redis job store, until it is closed (SIGTERM). What a job does comes from the caller (the composition root
 * passes the extraction handler).
 */
import { AppError } from '../errors.js';
import type { JobStore } from './job.js';
import { startBullWorker, type BullConnection, type BullWorker } from './queue.bullmq.js';
import type { JobHandler, QueueLogger } from './queue.js';

/** What a worker process is configured with: the settings of the same names (the config passes as is). */
export interface WorkerSettings {
  redisUrl?: string | undefined;
  redisPrefix: string;
  /** Jobs run at once. */
  workerPoolSize: number;
}

/** Where the configured BullMQ queue lives (keys under `<redis_prefix>skope`), or null without REDIS_URL. */
export function bullConnection(config: Omit<WorkerSettings, 'workerPoolSize'>): BullConnection | null {
  return config.redisUrl ? { url: config.redisUrl, prefix: `${config.redisPrefix}skope` } : null;
}

/** What the worker runs jobs with; `close` releases it after the worker has stopped. */
export interface WorkerParts<I> {
  store: JobStore;
  handler: JobHandler<I>;
  close(): Promise<void>;
}

/**
 * Checks the configuration, builds the parts (only then: a misconfigured worker opens nothing), checks the store
 * answers and starts taking jobs: `config.workerPoolSize` at once.
 * @throws AppError `config_invalid` without REDIS_URL; what the parts or the store check throw.
 */
export async function startWorkerProcess<I>(
  config: WorkerSettings,
  build: () => Promise<WorkerParts<I>>,
  log?: QueueLogger,
): Promise<BullWorker> {
  const connection = bullConnection(config);
  if (!connection) throw new AppError('config_invalid', 'skope worker needs REDIS_URL (and JOB_STORE=redis).');
  const parts = await build();
  let worker: BullWorker;
  try {
    await parts.store.healthcheck();
    worker = await startBullWorker({
      ...connection,
      store: parts.store,
      handler: parts.handler,
      concurrency: config.workerPoolSize,
      ...(log ? { log } : {}),
    });
  } catch (err) {
    await parts.close();
    throw err;
  }
  return {
    async close() {
      await worker.close();
      await parts.close();
    },
  };
}
