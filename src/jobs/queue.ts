/**
 * The job queue contract: admission, running, deadline, cancellation and progress of background jobs, and the
 * sentences every implementation stores in FAILED records (clients match on them). Generic: the handler decides what
 * a job does. Implementations: `queue.inline.ts` (jobs run in this process, the default) and `queue.bullmq.ts`
 * (jobs wait in Redis for `skope worker` processes); both run a job through `job.runner.ts`.
 */

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
  /**
   * Cancels a pending or running job wherever it runs: records FAILED `Cancelled.` (compare-and-set, so a job that
   * finished first stays finished) and stops its work (here at once; in another process through pub/sub or that
   * process's cancel check). True when the record is now cancelled; false when the job is absent or finished already.
   */
  cancel(id: string): Promise<boolean>;
  /** Stops admitting, aborts running jobs (recorded FAILED) and waits for them to settle. */
  close(): Promise<void>;
  /** Jobs admitted and not yet settled. */
  active(): number;
  /** The configured admission limit. */
  readonly capacity: number;
}

/** Sentence of a job refused at admission (503 with `Retry-After`). */
export const AT_CAPACITY_MESSAGE = 'The extraction service is at capacity. Retry later.';
/** Sentence stored for a cancelled job (`DELETE /timeseries/status/{id}`). */
export const CANCELLED_MESSAGE = 'Cancelled.';
/** Sentence stored for every failure whose detail is not for clients (storage, raster, internal errors). */
export const INTERNAL_FAILURE_MESSAGE = 'An internal processing error occurred.';
/** Sentence stored when the server shuts down under a running job. */
export const SHUTDOWN_MESSAGE = 'The server shut down before this job finished. Please resubmit.';
/** Sentence stored for a job whose workers kept dying under it (BullMQ's stall limit). */
export const LOST_MESSAGE = 'The workers running this job stopped before it finished, too many times. Please resubmit.';
/** Sentence stored for a job abandoned by a previous process. */
export const ORPHAN_MESSAGE = 'The server restarted before this job finished. Please resubmit.';

/** Longest time between two writes of a running job's record (ms): the runner's heartbeat. */
export const HEARTBEAT_MS = 5_000;

/** Minimal logger (Fastify's pino logger fits). */
export interface QueueLogger {
  error(obj: unknown, msg?: string): void;
}
