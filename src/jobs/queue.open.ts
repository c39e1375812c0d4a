/**
 * The job queue the settings name, with what keeps its records honest: `queue: inline` → an {@link InlineJobQueue}
 * (on a recovered store: orphans failed at start-up, then swept now and then); `queue: bullmq` with a Redis URL → a
 * {@link BullMqJobQueue} (records whose job left the queue failed at start-up) and, with `embedded_worker`, a
 * worker in this process.
 */
import type { JobRecord, JobStore } from './job.js';
import { ORPHAN_AFTER_MS, failOrphans, sweepOrphans } from './orphans.js';
import { BullMqJobQueue, startBullWorker, type BullWorker } from './queue.bullmq.js';
import { InlineJobQueue } from './queue.inline.js';
import type { JobHandler, JobQueue, QueueLogger } from './queue.js';
import { bullConnection } from './worker.process.js';

/** What {@link openJobQueue} picks from: the settings of the same names (the config passes as is). */
export interface QueueSettings {
  queue: 'inline' | 'bullmq';
  redisUrl?: string | undefined;
  redisPrefix: string;
  /** Jobs admitted at once: in this process (inline) or waiting and running in the whole queue (BullMQ). */
  maxConcurrentJobs: number;
  /** Run BullMQ jobs in this process too. */
  embeddedWorker: boolean;
  /** Jobs the embedded worker runs at once. */
  workerPoolSize: number;
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
  close(): Promise<void>;
}

/** Opens the configured queue over `parts.store`. */
export async function openJobQueue<I>(settings: QueueSettings, parts: QueueParts<I>): Promise<OpenQueue<I>> {
  const { store, handler, onTransition, owner, log } = parts;
  const capacity = settings.maxConcurrentJobs;
  const bull = settings.queue === 'bullmq' ? bullConnection(settings) : null;
  if (bull) {
    const queue = new BullMqJobQueue<I>({ ...bull, store, capacity, onTransition });
    // With BullMQ, unfinished records belong to queued jobs that workers will still run or take over.
    if (parts.recover) await queue.failOrphans();
    let embedded: BullWorker | null = null;
    if (settings.embeddedWorker) {
      const concurrency = settings.workerPoolSize;
      embedded = await startBullWorker({ ...bull, store, handler, concurrency, onTransition, log });
    }
    return {
      queue,
      async close() {
        await embedded?.close();
        await queue.close();
      },
    };
  }
  // Inline, records not written for the lease belong to no live process (running jobs are rewritten every
  // heartbeat), so other servers sharing the store keep their running jobs.
  if (parts.recover) await failOrphans(store, undefined, ORPHAN_AFTER_MS, owner);
  // The runner names itself at random unless given an owner: never pass `owner: undefined`.
  const queue = new InlineJobQueue<I>({ store, capacity, handler, onTransition, log, ...(owner ? { owner } : {}) });
  const stopSweeps = parts.recover ? sweepOrphans(store, log) : () => undefined;
  return {
    queue,
    async close() {
      stopSweeps();
      await queue.close();
    },
  };
}
