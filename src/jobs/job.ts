/**
 * Job records and the store interface. Generic: nothing here knows about timeseries; the result and
 * private payload are opaque JSON values.
 */

export type JobStatus = 'PENDING' | 'PROCESSING' | 'SUCCESS' | 'FAILED';

/** Progress of a running job, in work units (timesteps for extractions). */
export interface JobProgress {
  done: number;
  total: number;
}

/**
 * A persisted job record (schema version 1). Every update replaces the whole record (no partial writes to merge).
 * Times are ISO-8601 UTC strings.
 */
export interface JobRecord {
  v: 1;
  id: string;
  status: JobStatus;
  /** ISO time the job was created. */
  created: string;
  /** ISO time of the last write. */
  updated: string;
  progress?: JobProgress;
  /** Client-facing sentence, FAILED only. */
  error?: string;
  /** Stable error code, FAILED only. */
  code?: string;
  /** The public result (SUCCESS only): shown by the status route. */
  result?: unknown;
  /** Data kept for later work but never shown by the status route (e.g. `base_series`). */
  private?: unknown;
  /** Which process runs it (for orphan detection after a restart). */
  owner?: string;
}

/** Where job records live: memory, filesystem or Redis; all pass `test/support/job.store.conformance.ts`. */
export interface JobStore {
  /** Write a new record; fails if the id exists. */
  create(record: JobRecord): Promise<void>;
  /** The record, or null when absent or expired. */
  get(id: string): Promise<JobRecord | null>;
  /** Replace the record (refreshes TTL where there is one). */
  put(record: JobRecord): Promise<void>;
  /** Ids of records that are PENDING or PROCESSING (for orphan recovery at start-up). */
  listUnfinished(): Promise<string[]>;
  /** Remove stale records (filesystem: older than maxAgeMs by mtime; Redis: TTL does it). */
  cleanup(maxAgeMs: number): Promise<number>;
  /** Throws AppError `store_unavailable` when the backing store cannot be reached. */
  healthcheck(): Promise<void>;
  close(): Promise<void>;
}
