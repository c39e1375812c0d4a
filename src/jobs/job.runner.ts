/**
 * Runs jobs in this process: a per-process admission limit, a deadline that really stops the work through an
 * AbortSignal, cancel, throttled progress in the store, a heartbeat, and the state machine PENDING → PROCESSING →
 * SUCCESS | FAILED (a zero deadline fails before any work starts: PENDING → FAILED). Records are written in order per
 * job; once a job is terminal nothing overwrites it. The slot is always released.
 *
 * Terminal records are final in the store (`JobStore.put` is a compare-and-set), so a job can be finished by someone
 * else — a cancel received by another server, an orphan sweep. The runner notices at its next write (refused) or
 * within `cancelCheckMs` (it reads the records of its running jobs), and then stops the work without writing.
 *
 * Both queues run their jobs here: the in-process queue (`queue.inline.ts`) starts new jobs with {@link JobRunner.start},
 * a BullMQ worker (`queue.bullmq.ts`) runs jobs whose PENDING record an API server wrote with
 * {@link JobRunner.process}, so both modes write identical records.
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import { isTerminal, type JobProgress, type JobRecord, type JobStore } from './job.js';
import {
  AT_CAPACITY_MESSAGE,
  CANCELLED_MESSAGE,
  HEARTBEAT_MS,
  INTERNAL_FAILURE_MESSAGE,
  SHUTDOWN_MESSAGE,
  type JobHandler,
  type JobSpec,
  type QueueLogger,
} from './queue.js';

/**
 * Codes whose message is infrastructure detail: the stored error is the AppError's `details.public` sentence when it
 * has one, else {@link INTERNAL_FAILURE_MESSAGE} (clients see why their request failed, never paths, URLs or storage
 * errors).
 */
const HIDDEN_CODES = new Set<string>([
  'source_not_found',
  'source_unavailable',
  'source_read_error',
  'aborted',
  'raster_invalid',
  'raster_unsupported',
  'band_out_of_range',
  'registry_invalid',
  'lookup_unavailable',
  'lookup_invalid',
  'extraction_failed',
  'store_unavailable',
  'config_invalid',
  'internal_error',
]);

/** Options of {@link JobRunner}. */
export interface JobRunnerOptions<I> {
  store: JobStore;
  handler: JobHandler<I>;
  /** Jobs running at once (`max_concurrent_jobs`, ≥ 1). */
  capacity: number;
  /** Least time between two progress writes of one job (ms). Default 250. */
  progressIntervalMs?: number;
  /** After an abort, how long a handler may take to settle before its slot is freed anyway (ms). Default 5000. */
  abortGraceMs?: number;
  /** Written into records as `owner`. Default: a random id per runner. */
  owner?: string;
  /**
   * Longest time between two writes of a running job's record (ms): without progress, the record is rewritten
   * (PROCESSING, fresh `updated`) so that other processes can tell it from an orphan. Default `HEARTBEAT_MS`.
   */
  heartbeatMs?: number;
  /**
   * How often the records of running jobs are read back to notice a cancel recorded by another process (ms).
   * Default {@link CANCEL_CHECK_MS}.
   */
  cancelCheckMs?: number;
  now?: () => Date;
  log?: QueueLogger;
  /** Called when a job enters a state (metrics). */
  onTransition?: (status: JobRecord['status']) => void;
}

/** Default of {@link JobRunnerOptions.cancelCheckMs} (ms). */
export const CANCEL_CHECK_MS = 1_000;

/** `elsewhere`: the record became terminal outside this runner (cancel on another server, orphan sweep). */
type AbortKind = 'deadline' | 'cancel' | 'shutdown' | 'elsewhere';

interface Running {
  id: string;
  spec: JobSpec;
  created: string;
  controller: AbortController;
  abortKind: AbortKind | null;
  terminal: boolean;
  chain: Promise<void>;
  progress: JobProgress | undefined;
  lastProgressWrite: number;
  /** When the record was last written (ms, Date.now()). */
  lastWrite: number;
  /** The record says PROCESSING (heartbeats rewrite only that state). */
  processing: boolean;
  progressTimer: NodeJS.Timeout | undefined;
  settled: Promise<void>;
  /** Whether this job still counts against the admission limit. */
  slot: boolean;
}

/** Runs jobs on this process's event loop, `capacity` at once. */
export class JobRunner<I> {
  readonly capacity: number;
  private readonly running = new Map<string, Running>();
  private readonly opts: Required<Omit<JobRunnerOptions<I>, 'log' | 'onTransition'>> &
    Pick<JobRunnerOptions<I>, 'log' | 'onTransition'>;
  private closed = false;
  /** Jobs whose work has not settled yet (admission counts these, not the records still being written). */
  private slots = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly cancelCheck: NodeJS.Timeout;
  private checking = false;

  constructor(options: JobRunnerOptions<I>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1)
      throw new AppError('config_invalid', 'Extraction job limit must be at least 1.');
    this.capacity = options.capacity;
    this.opts = {
      progressIntervalMs: 250,
      abortGraceMs: 5000,
      owner: randomUUID(),
      heartbeatMs: HEARTBEAT_MS,
      cancelCheckMs: CANCEL_CHECK_MS,
      now: () => new Date(),
      ...options,
    };
    // Checked at a third of the period, so no record goes much longer than heartbeatMs without a write.
    const every = Math.max(1, Math.floor(this.opts.heartbeatMs / 3));
    this.heartbeat = setInterval(() => {
      const due = Date.now() - this.opts.heartbeatMs;
      for (const state of this.running.values()) {
        if (state.processing && !state.terminal && state.lastWrite <= due) {
          this.write(state, this.record(state, 'PROCESSING'), false);
        }
      }
    }, every);
    this.heartbeat.unref();
    this.cancelCheck = setInterval(() => void this.checkFinishedElsewhere(), Math.max(1, this.opts.cancelCheckMs));
    this.cancelCheck.unref();
  }

  /** Reads the records of the running jobs; stops the work of those that became terminal elsewhere. */
  private async checkFinishedElsewhere(): Promise<void> {
    if (this.checking) return; // a slow store: checks never pile up
    this.checking = true;
    try {
      for (const state of [...this.running.values()]) {
        if (state.terminal) continue;
        try {
          const rec = await this.opts.store.get(state.id);
          if (isTerminal(rec)) this.stopFinishedElsewhere(state);
        } catch {
          // The store is unreachable: the next check or write tells.
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /** The record is terminal already (written by someone else): stop the work, write nothing more. */
  private stopFinishedElsewhere(state: Running): void {
    if (state.terminal) return;
    state.terminal = true;
    state.abortKind = 'elsewhere';
    state.controller.abort(new AppError('aborted', CANCELLED_MESSAGE));
  }

  /** Jobs admitted whose work has not settled yet. */
  active(): number {
    return this.slots;
  }

  /**
   * Admits a new job (or throws AppError `at_capacity`), writes its PENDING record and runs it in the background.
   * Resolves once the PENDING record is stored.
   */
  async start(job: JobSpec, input: I): Promise<void> {
    const { state, release } = this.admit(job, this.opts.now().toISOString());
    try {
      await this.opts.store.create(this.record(state, 'PENDING'));
      this.opts.onTransition?.('PENDING');
    } catch (err) {
      this.running.delete(job.id);
      release();
      throw err;
    }
    void this.run(state, input).finally(() => {
      this.running.delete(job.id);
      release();
    });
  }

  /**
   * Runs a job whose record another process created (a distributed worker, `queue.bullmq.ts`): admits it, runs it
   * like a started job and resolves once it is SUCCESS or FAILED in the store.
   */
  async process(job: JobSpec, input: I): Promise<JobRecord['status']> {
    const existing = await this.opts.store.get(job.id);
    const { state, release } = this.admit(job, existing?.created ?? this.opts.now().toISOString());
    try {
      await this.run(state, input);
    } finally {
      this.running.delete(job.id);
      release();
    }
    return (await this.opts.store.get(job.id))?.status ?? 'FAILED';
  }

  /** Reserves a slot synchronously, so concurrent requests cannot both pass admission. */
  private admit(job: JobSpec, created: string): { state: Running; release: () => void } {
    if (this.closed || this.slots >= this.capacity) throw new AppError('at_capacity', AT_CAPACITY_MESSAGE);
    let release!: () => void;
    const state: Running = {
      id: job.id,
      spec: job,
      created,
      controller: new AbortController(),
      abortKind: null,
      terminal: false,
      chain: Promise.resolve(),
      progress: undefined,
      lastProgressWrite: 0,
      lastWrite: Date.now(),
      processing: false,
      progressTimer: undefined,
      settled: new Promise<void>((resolve) => (release = resolve)),
      slot: true,
    };
    this.slots++;
    this.running.set(job.id, state);
    return {
      state,
      release: () => {
        this.freeSlot(state);
        release();
      },
    };
  }

  /** Frees the job's admission slot once its work has settled (idempotent). */
  private freeSlot(state: Running): void {
    if (!state.slot) return;
    state.slot = false;
    this.slots--;
  }

  /**
   * Cancels a job running here: records FAILED `Cancelled.` (compare-and-set) and aborts its work. Resolves once the
   * write is done; false when the job is not running here or is finished already.
   */
  async cancel(id: string): Promise<boolean> {
    const state = this.running.get(id);
    if (!state || state.terminal) return false;
    this.abort(state, 'cancel');
    await state.chain;
    return true;
  }

  /** Stops the work of a job running here whose record is terminal already (a cancel from elsewhere). */
  stop(id: string): void {
    const state = this.running.get(id);
    if (state) this.stopFinishedElsewhere(state);
  }

  /**
   * Stops admitting and stops the running jobs' work without recording anything: their records stay unfinished, for
   * another process to take the jobs over (a BullMQ worker shutting down hands its jobs back to the queue).
   */
  async handOver(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.cancelCheck);
    const all = [...this.running.values()];
    for (const s of all) {
      if (s.terminal) continue;
      s.terminal = true;
      s.abortKind = 'shutdown';
      s.controller.abort(new AppError('aborted', SHUTDOWN_MESSAGE));
    }
    await Promise.all(all.map((s) => Promise.all([s.settled, s.chain])));
  }

  /** Stops admitting, aborts running jobs (recorded FAILED) and waits for them to settle. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.cancelCheck);
    const all = [...this.running.values()];
    for (const s of all) this.abort(s, 'shutdown');
    await Promise.all(all.map((s) => Promise.all([s.settled, s.chain])));
  }

  private async run(state: Running, input: I): Promise<void> {
    const { signal } = state.controller;
    const deadline = setTimeout(() => this.abort(state, 'deadline'), state.spec.deadlineMs);
    // A zero deadline fails before any work starts (PENDING → FAILED).
    if (state.spec.deadlineMs <= 0) this.abort(state, 'deadline');
    try {
      if (signal.aborted) return;
      state.processing = true;
      this.write(state, this.record(state, 'PROCESSING'));
      const work = this.opts.handler(input, {
        signal,
        onProgress: (done, total) => this.progress(state, done, total),
      });
      // Stop waiting for a handler that ignores its signal once the grace period is over.
      const output = await Promise.race([work, this.abortedAfterGrace(signal)]).finally(() => this.freeSlot(state));
      // The slot is free before the final record is written: a client that sees SUCCESS may submit again at once.
      if (output === undefined || state.terminal) return;
      if (state.progress) state.progress = { done: state.progress.total, total: state.progress.total };
      this.finish(state, { ...this.record(state, 'SUCCESS'), result: output.result, private: output.private });
    } catch (err) {
      if (state.terminal) return;
      this.finish(state, this.failure(state, err));
    } finally {
      clearTimeout(deadline);
      if (state.progressTimer) clearTimeout(state.progressTimer);
      this.freeSlot(state);
      await state.chain;
    }
  }

  /** Resolves (undefined) abortGraceMs after the signal fires; never resolves before. */
  private abortedAfterGrace(signal: AbortSignal): Promise<undefined> {
    return new Promise((resolve) => {
      const go = (): void => void setTimeout(() => resolve(undefined), this.opts.abortGraceMs).unref();
      if (signal.aborted) go();
      else signal.addEventListener('abort', go, { once: true });
    });
  }

  private abort(state: Running, kind: AbortKind): void {
    if (state.terminal || state.controller.signal.aborted) return;
    state.abortKind = kind;
    const failed = this.failure(state, null);
    // Record FAILED at once (the client sees it now), then tell the work to stop.
    this.finish(state, failed);
    state.controller.abort(
      new AppError(kind === 'deadline' ? 'deadline_exceeded' : 'aborted', failed.error ?? CANCELLED_MESSAGE),
    );
  }

  private failure(state: Running, err: unknown): JobRecord {
    let error: string;
    let code: string;
    if (state.abortKind === 'deadline') {
      error = `Processing exceeded ${state.spec.deadlineMs} ms.`;
      code = 'deadline_exceeded';
    } else if (state.abortKind === 'cancel') {
      error = CANCELLED_MESSAGE;
      code = 'job_cancelled';
    } else if (state.abortKind === 'shutdown') {
      error = SHUTDOWN_MESSAGE;
      code = 'internal_error';
    } else if (isAppError(err) && !HIDDEN_CODES.has(err.code)) {
      error = err.message;
      code = err.code;
    } else {
      this.opts.log?.error({ err, jobId: state.id }, 'job failed');
      // The domain may say what failed in the client's terms (e.g. which dataset and timesteps could not be read).
      const sentence = isAppError(err) ? err.details?.['public'] : undefined;
      error = typeof sentence === 'string' ? sentence : INTERNAL_FAILURE_MESSAGE;
      code = isAppError(err) ? err.code : 'internal_error';
    }
    return { ...this.record(state, 'FAILED'), error, code };
  }

  private progress(state: Running, done: number, total: number): void {
    if (state.terminal) return;
    state.progress = { done, total };
    if (state.progressTimer) return;
    const wait = Math.max(0, state.lastProgressWrite + this.opts.progressIntervalMs - Date.now());
    state.progressTimer = setTimeout(() => {
      state.progressTimer = undefined;
      if (state.terminal) return;
      state.lastProgressWrite = Date.now();
      this.write(state, this.record(state, 'PROCESSING'));
    }, wait);
  }

  private finish(state: Running, record: JobRecord): void {
    if (state.terminal) return;
    this.write(state, record);
    state.terminal = true;
  }

  /** Queues a write of the job's record (in order); `transition` = false for heartbeats (not a state change). */
  private write(state: Running, record: JobRecord, transition = true): void {
    if (state.terminal) return;
    if (transition && (record.status !== 'PROCESSING' || record.progress === undefined))
      this.opts.onTransition?.(record.status);
    state.lastWrite = Date.now();
    state.chain = state.chain
      .then(async () => {
        // Refused: the record is terminal already (finished elsewhere). Stop the work if it still runs.
        if (!(await this.opts.store.put(record))) this.stopFinishedElsewhere(state);
      })
      .catch((err: unknown) => this.opts.log?.error({ err, jobId: state.id }, 'job record write failed'));
  }

  private record(state: Running, status: JobRecord['status']): JobRecord {
    const rec: JobRecord = {
      v: 1,
      id: state.id,
      status,
      created: state.created,
      updated: this.opts.now().toISOString(),
      owner: this.opts.owner,
    };
    if (state.progress) rec.progress = state.progress;
    return rec;
  }
}

/**
 * Records FAILED `Cancelled.` over an unfinished record (compare-and-set). True when the record is now cancelled by
 * this call; false when it is absent or finished already.
 */
export async function recordCancel(store: JobStore, id: string): Promise<boolean> {
  const rec = await store.get(id);
  if (rec === null || isTerminal(rec)) return false;
  return store.put({
    ...rec,
    status: 'FAILED',
    error: CANCELLED_MESSAGE,
    code: 'job_cancelled',
    updated: new Date().toISOString(),
  });
}
