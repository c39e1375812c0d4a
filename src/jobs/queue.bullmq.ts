/**
 * Distributed jobs through BullMQ on Redis (`QUEUE=bullmq`): API servers enqueue, `skope worker` processes (any
 * number, any machine) run the jobs. Records live in the shared JobStore (Redis); the worker side runs each job
 * through the same {@link JobRunner} as the in-process queue (deadline, progress, failure mapping), so both modes
 * write identical records.
 *
 * - **Admission** is global and atomic: one Lua script counts the queue's jobs (waiting, prioritized, delayed,
 *   paused, active) plus the admissions of other API servers still between their check and their `add`, and
 *   reserves a place only below the capacity. Any number of servers can never admit more than the capacity.
 * - **Cancel** writes FAILED `Cancelled.` (compare-and-set: a finished job stays finished), takes a waiting job out
 *   of the queue and tells the workers over pub/sub to stop it; a worker that misses the message sees the record
 *   within its cancel check, and its own writes are refused anyway.
 * - **Lost jobs**: a worker that dies mid-job loses its lock; BullMQ's stalled-job check gives the job to another
 *   worker (the result is the same: extractions are deterministic), up to `maxStalls` times, after which the job
 *   fails and its record is FAILED {@link LOST_MESSAGE}. A periodic sweep fails the unfinished records whose job
 *   is in no live state in the queue.
 * - **Redis down**: the producer's clients fail fast (no offline queue, a command timeout), so `enqueue` rejects
 *   with `store_unavailable` within seconds instead of hanging; they reconnect by themselves.
 */
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError, isAppError } from '../errors.js';
import { isTerminal, type JobRecord, type JobStore } from './job.js';
import { JobRunner, recordCancel } from './job.runner.js';
import {
  AT_CAPACITY_MESSAGE,
  INTERNAL_FAILURE_MESSAGE,
  LOST_MESSAGE,
  ORPHAN_MESSAGE,
  SHUTDOWN_MESSAGE,
  type JobHandler,
  type JobQueue,
  type JobSpec,
  type QueueLogger,
} from './queue.js';
import { blockingRedis, fastFailRedis, firstConnection, redisReady } from './redis.client.js';

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

/** How long an admission reservation holds a place while its server adds the job (ms); a crashed server's lapses. */
const RESERVATION_MS = 5_000;

/**
 * Atomic admission. KEYS: wait, active, paused, prioritized, delayed, waiting-children, reservations.
 * ARGV: capacity, job id, reservation lifetime (ms). Returns 1 (a place reserved for the id) or 0 (at capacity).
 */
const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - tonumber(ARGV[3]))
local n = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3])
  + redis.call('ZCARD', KEYS[4]) + redis.call('ZCARD', KEYS[5]) + redis.call('ZCARD', KEYS[6])
  + redis.call('ZCARD', KEYS[7])
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[7], now, ARGV[2])
return 1`;

type AdmitClient = Redis & { skopeAdmit(...args: string[]): Promise<number> };

/** Job states in which a job is still going to run or running. */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);

/** Options of {@link BullMqJobQueue}. */
export interface BullQueueOptions extends BullConnection {
  store: JobStore;
  /** Jobs waiting + running in the whole queue before new ones are refused (503). */
  capacity: number;
  onTransition?: (status: JobRecord['status']) => void;
  /** Where shutdown steps that fail or hang are reported. */
  log?: QueueLogger;
  /** Longest wait for each step of `close` (ms, default {@link CLOSE_STEP_MS}). */
  closeStepMs?: number;
}

/** The API side: atomic admission on the global queue depth, PENDING record, enqueue, cancel, orphan sweeps. */
export class BullMqJobQueue<I> implements JobQueue<I> {
  readonly capacity: number;
  private readonly queue: Queue;
  private readonly client: AdmitClient;
  private readonly pub: Redis;
  private readonly channel: string;
  private readonly admitKeys: string[];
  private depth = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: BullQueueOptions) {
    this.capacity = options.capacity;
    const prefix = options.prefix ?? 'skope';
    const name = options.name ?? 'extract';
    this.client = fastFailRedis(options.url) as AdmitClient;
    this.client.defineCommand('skopeAdmit', { numberOfKeys: 7, lua: ADMIT_LUA });
    this.queue = new Queue(name, { connection: this.client, prefix });
    this.queue.on('error', () => undefined);
    const keys = this.queue.keys;
    const states = ['wait', 'active', 'paused', 'prioritized', 'delayed', 'waiting-children'];
    this.admitKeys = [...states.map((st) => keys[st] ?? `${prefix}:${name}:${st}`), `${prefix}:${name}:admit`];
    this.pub = fastFailRedis(options.url);
    this.channel = channelOf(prefix, name);
    // `active()` is synchronous (metrics): keep a recent depth.
    this.timer = setInterval(() => void this.refreshDepth().catch(() => undefined), 1000);
    this.timer.unref();
  }

  /**
   * Waits (up to `timeoutMs`) for the producer's first connections, so a server that has just started does not
   * refuse submissions while its clients are still connecting. Never fails (Redis down: 503s until it is back).
   */
  async connected(timeoutMs: number): Promise<void> {
    await Promise.all([redisReady(this.client, timeoutMs), redisReady(this.pub, timeoutMs)]).catch(() => undefined);
  }

  private async refreshDepth(): Promise<number> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    this.depth = Object.values(c).reduce((a, b) => a + b, 0);
    return this.depth;
  }

  active(): number {
    return this.depth;
  }

  /** Pings the queue's Redis (readiness). */
  async healthcheck(): Promise<void> {
    await unavailableOnError(() => this.client.ping(), this.client);
  }

  async enqueue(job: JobSpec, input: I): Promise<void> {
    const reservations = this.admitKeys[6] ?? '';
    // A timed-out admission may still run once Redis answers again: the ZREM sent after it on the same connection
    // runs after it and takes the place back (else it lapses after RESERVATION_MS).
    const admitted = await unavailableOnError(
      () => this.client.skopeAdmit(...this.admitKeys, String(this.capacity), job.id, String(RESERVATION_MS)),
      this.client,
    ).catch((err: unknown) => {
      // Not awaited: the request answers now; the command still goes out in order.
      void this.client.zrem(reservations, job.id).catch(() => undefined);
      throw err;
    });
    if (admitted !== 1) throw new AppError('at_capacity', AT_CAPACITY_MESSAGE);
    let created = false;
    try {
      const now = new Date().toISOString();
      await this.options.store.create({ v: 1, id: job.id, status: 'PENDING', created: now, updated: now });
      created = true;
      this.options.onTransition?.('PENDING');
      const payload: Payload<I> = { spec: job, input };
      await unavailableOnError(() =>
        this.queue.add('job', payload, { jobId: job.id, removeOnComplete: true, removeOnFail: true }),
      );
      this.depth++;
    } catch (err) {
      if (created) {
        const rec = await this.options.store.get(job.id).catch(() => null);
        if (rec && !isTerminal(rec))
          await this.options.store
            .put({ ...rec, status: 'FAILED', error: INTERNAL_FAILURE_MESSAGE, code: 'store_unavailable' })
            .catch(() => undefined);
      }
      throw err;
    } finally {
      // The job now counts in the queue itself (or was never added).
      await this.client.zrem(reservations, job.id).catch(() => undefined);
    }
  }

  async cancel(id: string): Promise<boolean> {
    if (!(await recordCancel(this.options.store, id))) return false;
    const bj = await this.queue.getJob(id).catch(() => undefined);
    if (bj) {
      const state = await bj.getState().catch(() => 'unknown');
      // Not started yet: take it out of the queue (a worker that already holds it sees the FAILED record).
      if (state !== 'active') await bj.remove().catch(() => undefined);
    }
    await this.pub.publish(this.channel, id).catch(() => undefined);
    return true;
  }

  /**
   * Fails the unfinished records whose job is in no live state of the queue (lost with a previous inline-mode
   * process, removed, or failed by BullMQ without its record being written). Only records not written for
   * `staleMs` are looked at: running jobs are rewritten every heartbeat, and a record just created may not have
   * its job added yet.
   * @returns the number of records marked
   */
  async failOrphans(staleMs = 0): Promise<number> {
    let n = 0;
    const before = staleMs > 0 ? Date.now() - staleMs : undefined;
    for (const id of await this.options.store.listUnfinished(before)) {
      const bj = await this.queue.getJob(id);
      if (bj && LIVE_STATES.has(await bj.getState())) continue;
      const rec = await this.options.store.get(id);
      if (rec === null || isTerminal(rec)) continue;
      const message = bj === undefined ? ORPHAN_MESSAGE : LOST_MESSAGE;
      const failed = { ...rec, status: 'FAILED' as const, error: message, code: 'internal_error' };
      if (await this.options.store.put({ ...failed, updated: new Date().toISOString() })) n++;
    }
    return n;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const log = this.options.log;
    const ms = this.options.closeStepMs ?? CLOSE_STEP_MS;
    await closeStep('queue close', this.queue.close(), log, ms);
    await quitOrDisconnect('queue client', this.client, log, ms);
    await quitOrDisconnect('cancel publisher', this.pub, log, ms);
  }
}

/** How long one step of closing a BullMQ queue or worker may take before shutdown goes on without it. */
export const CLOSE_STEP_MS = 5_000;

/**
 * Waits for one step of a shutdown, at most `ms`; a rejection is logged, not thrown. Why: BullMQ's close can wait
 * for ever on a connection that is reconnecting (it awaits an `end` event ioredis does not emit then,
 * taskforcesh/bullmq#4656), seen once in CI after Redis went down and came back; and a server whose close never
 * finishes never exits on SIGTERM. Resolves true when the step settled in time.
 */
export async function closeStep(
  step: string,
  p: Promise<unknown>,
  log?: QueueLogger,
  ms = CLOSE_STEP_MS,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = p.then(
    () => true as const,
    (err: unknown) => {
      log?.error({ err }, `${step} failed during shutdown`);
      return true as const;
    },
  );
  const inTime = await Promise.race([settled, late]);
  clearTimeout(timer);
  if (!inTime) log?.error({ step, ms }, `${step} did not finish within ${ms} ms; shutting down without it`);
  return inTime;
}

/** QUIT (the server answers once pending replies are sent), bounded; a connection that does not answer is dropped. */
async function quitOrDisconnect(step: string, client: Redis, log: QueueLogger | undefined, ms: number): Promise<void> {
  const quit = client.quit().then(
    () => undefined,
    () => client.disconnect(),
  );
  if (!(await closeStep(step, quit, log, ms))) client.disconnect();
}

/** Runs a Redis operation; a connection problem becomes AppError `store_unavailable` (503). */
async function unavailableOnError<T>(op: () => Promise<T>, client?: Redis): Promise<T> {
  try {
    if (client) await firstConnection(client);
    return await op();
  } catch (err) {
    if (isAppError(err)) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new AppError('store_unavailable', `The job queue could not reach Redis: ${msg}`, { cause: err });
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
  /** How many times a job may lose its worker and be run again before it fails (default 2). */
  maxStalls?: number;
  /** Heartbeat of the runner's records (ms); see {@link JobRunner}. */
  heartbeatMs?: number;
  /** Cancel check of the runner (ms); see {@link JobRunner}. */
  cancelCheckMs?: number;
  log?: QueueLogger;
  onTransition?: (status: JobRecord['status']) => void;
  /** Longest wait for each step of `close` (ms, default {@link CLOSE_STEP_MS}). */
  closeStepMs?: number;
}

/** A running distributed worker. */
export interface BullWorker {
  /**
   * Stops taking jobs, stops the running ones and hands them back to the queue (another worker runs them again,
   * from the start; their records stay unfinished meanwhile), then disconnects.
   */
  close(): Promise<void>;
}

/** Starts a worker (`skope worker`, or embedded in `skope serve`). */
export async function startBullWorker<I>(options: BullWorkerOptions<I>): Promise<BullWorker> {
  const prefix = options.prefix ?? 'skope';
  const name = options.name ?? 'extract';
  const { store } = options;
  const runner = new JobRunner<I>({
    store,
    handler: options.handler,
    capacity: options.concurrency,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.cancelCheckMs !== undefined ? { cancelCheckMs: options.cancelCheckMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.onTransition ? { onTransition: options.onTransition } : {}),
  });
  const sub = blockingRedis(options.url);
  await sub.subscribe(channelOf(prefix, name));
  // The record is FAILED `Cancelled.` already: stop the work, write nothing.
  sub.on('message', (_channel: string, id: string) => runner.stop(id));
  /** Fails an unfinished record (compare-and-set): the job will not run again. */
  const fail = async (id: string, error: string): Promise<void> => {
    const rec = await store.get(id);
    if (rec === null || isTerminal(rec)) return;
    await store.put({ ...rec, status: 'FAILED', error, code: 'internal_error', updated: new Date().toISOString() });
  };
  let closing = false;
  /** On shutdown, an unfinished job goes back to the queue for another worker (its record stays unfinished). */
  const handBack = async (bj: Job<Payload<I>>, token: string | undefined): Promise<never> => {
    await bj.moveToWait(token);
    throw new WaitingError();
  };
  const worker = new Worker<Payload<I>>(
    name,
    async (bj: Job<Payload<I>>, token?: string) => {
      // Cancelled (or failed over) while waiting: nothing to do.
      if (isTerminal(await store.get(bj.data.spec.id))) return;
      try {
        await runner.process(bj.data.spec, bj.data.input);
      } catch (err) {
        // Refused because this worker is shutting down.
        if (isAppError(err, 'at_capacity') && closing) return handBack(bj, token);
        if (isAppError(err, 'at_capacity')) await fail(bj.data.spec.id, SHUTDOWN_MESSAGE);
        else throw err;
      }
      if (closing && !isTerminal(await store.get(bj.data.spec.id))) return handBack(bj, token);
    },
    {
      connection: blockingRedis(options.url),
      prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalls ?? 2,
    },
  );
  worker.on('error', (err) => options.log?.error({ err }, 'bullmq worker error'));
  // A job BullMQ failed itself (stalled too often, or a processor error): its record gets a final state at once.
  worker.on('failed', (bj, err) => {
    if (!bj) return;
    const lost = /stalled/i.test(err.message);
    if (!lost) options.log?.error({ err, jobId: bj.id }, 'bullmq job failed');
    void fail(bj.data.spec.id, lost ? LOST_MESSAGE : INTERNAL_FAILURE_MESSAGE).catch((e: unknown) =>
      options.log?.error({ err: e, jobId: bj.id }, 'job record write failed'),
    );
  });
  await worker.waitUntilReady();
  return {
    async close() {
      // Take no new jobs; stop the running ones without a FAILED record and hand them back to the queue. Each of
      // BullMQ's steps is bounded (see closeStep): a worker that cannot close cleanly must not keep the process up.
      closing = true;
      const { log, closeStepMs: ms = CLOSE_STEP_MS } = options;
      await closeStep('worker pause', worker.pause(true), log, ms);
      await runner.handOver();
      await closeStep('worker close', worker.close(), log, ms);
      await quitOrDisconnect('cancel subscriber', sub, log, ms);
    },
  };
}
