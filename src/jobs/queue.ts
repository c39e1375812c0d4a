/**
 * The job queue interface: admission, running, deadline, cancellation and progress of background jobs. Generic:
 * the handler decides what a job does. Implementations: `queue.inline.ts` (in-process, the embedded default);
 * a BullMQ implementation can implement the same interface later (CONTRACT §4, `skope worker`).
 */
import type { JobStore } from './job.js';

/** What the queue needs to know about a job besides its input. */
export interface JobSpec {
  /** UUID of the job (the store key). */
  id: string;
  /** Deadline in ms from the start of processing (`max_processing_time`); 0 fails at once. */
  deadlineMs: number;
}

/** Context handed to a running job. */
export interface JobContext {
  /** Fires on deadline, cancel or shutdown; the handler must stop reading and reject. */
  signal: AbortSignal;
  /** Reports progress in work units (timesteps for extractions); throttled before it reaches the store. */
  onProgress(done: number, total: number): void;
}

/** The outcome of a successful job: `result` is public (status route), `private` is kept but never shown. */
export interface JobOutput {
  result: unknown;
  private?: unknown;
}

/** Runs one job's work. Throw an AppError for a client-facing failure sentence. */
export type JobHandler<I> = (input: I, ctx: JobContext) => Promise<JobOutput>;

/** A queue of jobs of one kind. */
export interface JobQueue<I> {
  /**
   * Admits the job (or throws AppError `at_capacity`), writes its PENDING record, and starts it in the background.
   * Resolves once the PENDING record is stored.
   */
  enqueue(job: JobSpec, input: I): Promise<void>;
  /** Cancels a pending or running job of this queue (→ FAILED `Cancelled.`); false when it is not running here. */
  cancel(id: string): Promise<boolean>;
  /** Stops admitting, aborts running jobs (recorded FAILED) and waits for them to settle. */
  close(): Promise<void>;
  /** Jobs admitted and not yet settled. */
  active(): number;
  /** The configured admission limit. */
  readonly capacity: number;
}

/** Sentence stored for a job abandoned by a previous process. */
export const ORPHAN_MESSAGE = 'The server restarted before this job finished. Please resubmit.';

/**
 * How long an unfinished record may go without a write before no live process is taken to run it (ms). A running
 * job's record is rewritten at least every {@link HEARTBEAT_MS} (progress or heartbeat), so only a process that died
 * (or lost its store) leaves records this stale; other servers sharing the store keep theirs fresh.
 */
export const ORPHAN_AFTER_MS = 30_000;
/** Longest time between two writes of a running job's record (ms): the queue's heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** Time between two orphan sweeps of a running inline-mode server (ms); a sweep reads every record. */
export const ORPHAN_SWEEP_MS = 5 * 60_000;

/**
 * Marks the PENDING/PROCESSING records not written for `staleMs` FAILED (recovery for fs/Redis stores: at start-up
 * and periodically, so a crashed process's jobs fail while other live servers' jobs are left alone).
 * @param staleMs 0 = every unfinished record
 * @param previousOwner records of this owner are failed however fresh: the name of a stable-named server that is
 *   starting (its predecessor under the same name is dead, and it has no jobs of its own yet)
 * @returns the number of records marked
 */
export async function failOrphans(
  store: JobStore,
  now: () => Date = () => new Date(),
  staleMs = 0,
  previousOwner?: string,
): Promise<number> {
  let n = 0;
  for (const id of await store.listUnfinished()) {
    const rec = await store.get(id);
    if (!rec || (rec.status !== 'PENDING' && rec.status !== 'PROCESSING')) continue;
    // An unparsable time counts as stale: no live process writes one.
    const age = now().getTime() - Date.parse(rec.updated);
    const predecessor = previousOwner !== undefined && rec.owner === previousOwner;
    if (staleMs > 0 && age < staleMs && !predecessor) continue;
    await store.put({
      ...rec,
      status: 'FAILED',
      error: ORPHAN_MESSAGE,
      code: 'internal_error',
      updated: now().toISOString(),
    });
    n++;
  }
  return n;
}
