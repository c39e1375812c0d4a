/**
 * Distributed jobs through BullMQ on Redis (`QUEUE=bullmq`): API servers enqueue, `skope worker` processes (any
 * number, any machine) run the jobs. Capacity is global (jobs waiting + running in the queue), a job whose worker
 * dies is picked up again by another worker (BullMQ's stalled-job check), cancel reaches the running worker through
 * a Redis pub/sub channel. Records live in the shared JobStore (Redis); the worker side runs each job through the
 * same {@link JobRunner} as the in-process queue (deadline, progress, failure mapping), so both modes write
 * identical records.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { JobRecord, JobStore } from './job.js';
import { JobRunner } from './job.runner.js';
import {
  AT_CAPACITY_MESSAGE,
  CANCELLED_MESSAGE,
  INTERNAL_FAILURE_MESSAGE,
  ORPHAN_MESSAGE,
  type JobHandler,
  type JobQueue,
  type JobSpec,
  type QueueLogger,
} from './queue.js';

/** Where the queue lives. */
export interface BullConnection {
  /** Redis URL. */
  url: string;
  /** BullMQ key prefix (default `skope`); also names the cancel channel. */
  prefix?: string;
  /** Queue name (default `extract`). */
  name?: string;
}

interface Payload<I> {
  spec: JobSpec;
  input: I;
}

const channelOf = (prefix: string, name: string): string => `${prefix}:${name}:cancel`;
const terminal = (rec: JobRecord | null): boolean =>
  rec !== null && (rec.status === 'SUCCESS' || rec.status === 'FAILED');

/** Options of {@link BullMqJobQueue}. */
export interface BullQueueOptions extends BullConnection {
  store: JobStore;
  /** Jobs waiting + running in the whole queue before new ones are refused (503). */
  capacity: number;
  onTransition?: (status: JobRecord['status']) => void;
}

/** The API side: admission on the global queue depth, PENDING record, enqueue, cancel. */
export class BullMqJobQueue<I> implements JobQueue<I> {
  readonly capacity: number;
  private readonly queue: Queue;
  private readonly pub: Redis;
  private readonly channel: string;
  private depth = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: BullQueueOptions) {
    this.capacity = options.capacity;
    const prefix = options.prefix ?? 'skope';
    const name = options.name ?? 'extract';
    this.queue = new Queue(name, { connection: new Redis(options.url, { maxRetriesPerRequest: null }), prefix });
    this.pub = new Redis(options.url, { maxRetriesPerRequest: 2 });
    this.channel = channelOf(prefix, name);
    // `active()` is synchronous (metrics): keep a recent depth.
    this.timer = setInterval(() => void this.refreshDepth().catch(() => undefined), 1000);
    this.timer.unref();
  }

  private async refreshDepth(): Promise<number> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    this.depth = Object.values(c).reduce((a, b) => a + b, 0);
    return this.depth;
  }

  active(): number {
    return this.depth;
  }

  async enqueue(job: JobSpec, input: I): Promise<void> {
    if ((await this.refreshDepth()) >= this.capacity) throw new AppError('at_capacity', AT_CAPACITY_MESSAGE);
    const now = new Date().toISOString();
    await this.options.store.create({ v: 1, id: job.id, status: 'PENDING', created: now, updated: now });
    this.options.onTransition?.('PENDING');
    try {
      const payload: Payload<I> = { spec: job, input };
      await this.queue.add('job', payload, { jobId: job.id, removeOnComplete: true, removeOnFail: true });
      this.depth++;
    } catch (err) {
      const rec = await this.options.store.get(job.id);
      if (rec)
        await this.options.store.put({
          ...rec,
          status: 'FAILED',
          error: INTERNAL_FAILURE_MESSAGE,
          code: 'store_unavailable',
        });
      throw err;
    }
  }

  async cancel(id: string): Promise<boolean> {
    const rec = await this.options.store.get(id);
    if (rec === null || terminal(rec)) return false;
    const bj = await this.queue.getJob(id);
    if (bj) {
      const state = await bj.getState();
      // Not started yet: take it out of the queue (a worker that already holds it sees the FAILED record).
      if (state !== 'active') await bj.remove().catch(() => undefined);
    }
    await this.options.store.put({
      ...rec,
      status: 'FAILED',
      error: CANCELLED_MESSAGE,
      code: 'job_cancelled',
      updated: new Date().toISOString(),
    });
    await this.pub.publish(this.channel, id);
    return true;
  }

  /**
   * Start-up recovery: unfinished records whose job is no longer in the queue (lost with a previous inline-mode
   * process, or removed) are marked FAILED; records of queued or running jobs are left to the workers.
   * @returns the number of records marked
   */
  async failOrphans(): Promise<number> {
    let n = 0;
    for (const id of await this.options.store.listUnfinished()) {
      if (await this.queue.getJob(id)) continue;
      const rec = await this.options.store.get(id);
      if (rec === null || terminal(rec)) continue;
      await this.options.store.put({
        ...rec,
        status: 'FAILED',
        error: ORPHAN_MESSAGE,
        code: 'internal_error',
        updated: new Date().toISOString(),
      });
      n++;
    }
    return n;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue.close();
    await this.pub.quit().catch(() => undefined);
  }
}

/** Options of {@link startBullWorker}. */
export interface BullWorkerOptions<I> extends BullConnection {
  store: JobStore;
  handler: JobHandler<I>;
  /** Jobs this worker runs at once. */
  concurrency: number;
  /** How long a job's lock lives without renewal before another worker may take it over (ms, default 30000). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for (ms, default 30000). */
  stalledIntervalMs?: number;
  log?: QueueLogger;
  onTransition?: (status: JobRecord['status']) => void;
}

/** A running distributed worker. */
export interface BullWorker {
  /** Aborts running jobs (recorded FAILED), stops taking new ones and disconnects. */
  close(): Promise<void>;
}

/** Starts a worker (`skope worker`, or embedded in `skope serve`). */
export async function startBullWorker<I>(options: BullWorkerOptions<I>): Promise<BullWorker> {
  const prefix = options.prefix ?? 'skope';
  const name = options.name ?? 'extract';
  const runner = new JobRunner<I>({
    store: options.store,
    handler: options.handler,
    capacity: options.concurrency,
    ...(options.log ? { log: options.log } : {}),
    ...(options.onTransition ? { onTransition: options.onTransition } : {}),
  });
  const sub = new Redis(options.url, { maxRetriesPerRequest: null });
  await sub.subscribe(channelOf(prefix, name));
  sub.on('message', (_channel: string, id: string) => void runner.cancel(id));
  const worker = new Worker<Payload<I>>(
    name,
    async (bj: Job<Payload<I>>) => {
      // Cancelled (or failed over) while waiting: nothing to do.
      if (terminal(await options.store.get(bj.data.spec.id))) return;
      await runner.process(bj.data.spec, bj.data.input);
    },
    {
      connection: new Redis(options.url, { maxRetriesPerRequest: null }),
      prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 1,
    },
  );
  worker.on('error', (err) => options.log?.error({ err }, 'bullmq worker error'));
  await worker.waitUntilReady();
  return {
    async close() {
      await runner.close();
      await worker.close();
      await sub.quit().catch(() => undefined);
    },
  };
}
