/**
 * `skope worker`: a process that runs jobs from the BullMQ queue on its own threads and writes their records to the
 * shared Redis job store, until it is closed (SIGTERM). What a job does comes from the caller (the composition root
 * passes the extraction handler).
 */
import { AppError } from '../errors.js';
import type { JobStore } from './job.js';
import { heartbeatFor, startSweeps } from './orphans.js';
import { startBullWorker, type BullConnection, type BullWorker, type BullWorkerOptions } from './queue.bullmq.js';
import type { JobHandler, QueueLogger } from './queue.js';

/** What a worker process is configured with: the settings of the same names (the config passes as is). */
export interface WorkerSettings {
  redisUrl?: string | undefined;
  redisPrefix: string;
  /** Jobs run at once. */
  workerPoolSize: number;
  /** Orphan lease (ms): records not written for this long belong to no live process. */
  jobOrphanAfterMs: number;
  /** How often a runner reads its running jobs' records back to notice a cancel from elsewhere (ms). */
  jobCancelCheckMs: number;
  /** BullMQ lock of a running job (ms): a dead worker's job is taken over once it lapses. */
  workerLockMs: number;
  /** How often workers look for stalled jobs (ms). */
  workerStalledCheckMs: number;
  /** How many times a job may lose its worker and run again before it fails. */
  workerMaxStalls: number;
}

/** Where the configured BullMQ queue lives (keys under `<redis_prefix>skope`), or null without REDIS_URL. */
export function bullConnection(config: Pick<WorkerSettings, 'redisUrl' | 'redisPrefix'>): BullConnection | null {
  return config.redisUrl ? { url: config.redisUrl, prefix: `${config.redisPrefix}skope` } : null;
}

/** The worker options the settings give (locks, stall checks, heartbeat, cancel check). */
export function workerTuning(
  config: WorkerSettings,
): Pick<
  BullWorkerOptions<unknown>,
  'lockDurationMs' | 'stalledIntervalMs' | 'maxStalls' | 'heartbeatMs' | 'cancelCheckMs'
> {
  return {
    lockDurationMs: config.workerLockMs,
    stalledIntervalMs: config.workerStalledCheckMs,
    maxStalls: config.workerMaxStalls,
    heartbeatMs: heartbeatFor(config.jobOrphanAfterMs),
    cancelCheckMs: config.jobCancelCheckMs,
  };
}

/** What the worker runs jobs with; `close` releases it after the worker has stopped. */
export interface WorkerParts<I> {
  store: JobStore;
  handler: JobHandler<I>;
  close(): Promise<void>;
}

/**
 * Checks the configuration, builds the parts (only then: a misconfigured worker opens nothing), checks the store
 * answers and starts taking jobs: `config.workerPoolSize` at once. The store's expired records are swept here too.
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
      ...workerTuning(config),
      store: parts.store,
      handler: parts.handler,
      concurrency: config.workerPoolSize,
      ...(log ? { log } : {}),
    });
  } catch (err) {
    await parts.close();
    throw err;
  }
  const stopSweeps = startSweeps(parts.store, config.jobOrphanAfterMs, null, log);
  return {
    async close() {
      stopSweeps();
      await worker.close();
      await parts.close();
    },
  };
}
