/**
 * The job queue the settings name, with what keeps its records honest: `queue: inline` → an {@link InlineJobQueue}
 * (on a recovered store: orphans failed at start-up, then swept); `queue: bullmq` with a Redis URL → a
 * {@link BullMqJobQueue} (records whose job left the queue failed, at start-up and periodically) and, with
 * `embedded_worker`, a worker in this process. Every store's expired records are removed by the same sweep.
 */
import type { JobRecord, JobStore } from './job.js';
import { failOrphans, heartbeatFor, startSweeps } from './orphans.js';
import { BullMqJobQueue, startBullWorker, type BullWorker } from './queue.bullmq.js';
import { InlineJobQueue } from './queue.inline.js';
import type { JobHandler, JobQueue, QueueLogger } from './queue.js';
import { bullConnection, workerTuning, type WorkerSettings } from './worker.process.js';

/** Longest wait at start-up for the queue's first Redis connections (ms); past it the server starts anyway. */
const STARTUP_CONNECT_MS = 5_000;

/** What {@link openJobQueue} picks from: the settings of the same names (the config passes as is). */
export interface QueueSettings extends WorkerSettings {
  queue: 'inline' | 'bullmq';
  /** Jobs admitted at once: in this process (inline) or waiting and running in the whole queue (BullMQ). */
  maxConcurrentJobs: number;
  /** Run BullMQ jobs in this process too. */
  embeddedWorker: boolean;
}

/** What the queue runs jobs with. */
export interface QueueParts<I> {
  store: JobStore;
  handler: JobHandler<I>;
  /** Called when a job enters a state (metrics). */
  onTransition?: (status: JobRecord['status']) => void;
  /** This server's name in the records it writes (inline); its predecessor's unfinished records are orphans. */
  owner?: string;
  log?: QueueLogger;
  /** The store outlives this process (fs, Redis; not a test's own store): recover and sweep orphans. */
  recover: boolean;
}

/** A queue and what runs beside it; `close` stops them all. */
export interface OpenQueue<I> {
  queue: JobQueue<I>;
  /** Readiness of what the queue needs besides the store (BullMQ: its Redis), if anything. */
  healthcheck?: () => Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured queue over `parts.store`. */
export async function openJobQueue<I>(settings: QueueSettings, parts: QueueParts<I>): Promise<OpenQueue<I>> {
  const { store, handler, onTransition, owner, log } = parts;
  const capacity = settings.maxConcurrentJobs;
  const lease = settings.jobOrphanAfterMs;
  const bull = settings.queue === 'bullmq' ? bullConnection(settings) : null;
  if (bull) {
    const queue = new BullMqJobQueue<I>({ ...bull, store, capacity, onTransition, ...(log ? { log } : {}) });
    await queue.connected(STARTUP_CONNECT_MS);
    // Unfinished records belong to queued jobs that workers still run or take over, unless their job left the
    // queue: those not written for the lease (a running job's are rewritten every heartbeat) are failed.
    if (parts.recover) await queue.failOrphans(lease);
    const stopSweeps = startSweeps(store, lease, parts.recover ? () => queue.failOrphans(lease) : null, log);
    let embedded: BullWorker | null = null;
    if (settings.embeddedWorker) {
      const concurrency = settings.workerPoolSize;
      embedded = await startBullWorker({
        ...bull,
        ...workerTuning(settings),
        store,
        handler,
        concurrency,
        onTransition,
        log,
      });
    }
    return {
      queue,
      healthcheck: () => queue.healthcheck(),
      async close() {
        stopSweeps();
        await embedded?.close();
        await queue.close();
      },
    };
  }
  // Inline, records not written for the lease belong to no live process (running jobs are rewritten every
  // heartbeat), so other servers sharing the store keep their running jobs.
  if (parts.recover) await failOrphans(store, undefined, lease, owner);
  // The runner names itself at random unless given an owner: never pass `owner: undefined`.
  const queue = new InlineJobQueue<I>({
    store,
    capacity,
    handler,
    onTransition,
    log,
    heartbeatMs: heartbeatFor(lease),
    cancelCheckMs: settings.jobCancelCheckMs,
    ...(owner ? { owner } : {}),
  });
  const stopSweeps = startSweeps(store, lease, parts.recover ? () => failOrphans(store, undefined, lease) : null, log);
  return {
    queue,
    async close() {
      stopSweeps();
      await queue.close();
    },
  };
}
