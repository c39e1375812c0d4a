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

/** Whether a record is terminal (SUCCESS or FAILED): terminal records are final in every store. */
export function isTerminal(rec: Pick<JobRecord, 'status'> | null | undefined): boolean {
  return rec?.status === 'SUCCESS' || rec?.status === 'FAILED';
}

/** How long finished records are kept by default: 24 h (ms), the `job_max_age_hours` setting. */
export const DEFAULT_RETENTION_MS = 24 * 3_600_000;

/**
 * Where job records live: memory, filesystem or Redis; all pass `test/support/job.store.conformance.ts`.
 *
 * The rules every store keeps, atomically against every other writer of the same backing data (other processes and
 * machines included):
 * - **Terminal records are final.** Once a record is SUCCESS or FAILED it never changes again: `put` is a
 *   compare-and-set that writes only over an unfinished (PENDING or PROCESSING) record. So a cancel (FAILED
 *   `Cancelled.`) can never be undone by a heartbeat or a late SUCCESS, and of two racing terminal writes the first
 *   wins.
 * - **Retention.** A record is removed `retentionMs` after its last write (for a finished record: after it
 *   finished; an unfinished record is rewritten at least every heartbeat while it runs), by TTL or by
 *   {@link JobStore.expire}, at a cost that grows with the records expiring, never with the records kept.
 * - **Unfinished index.** The store can list its unfinished records without reading the finished ones (orphan
 *   sweeps must not re-read every record).
 */
export interface JobStore {
  /** Write a new record; fails if the id exists. */
  create(record: JobRecord): Promise<void>;
  /** The record, or null when absent or expired. */
  get(id: string): Promise<JobRecord | null>;
  /**
   * Compare-and-set replacement: writes `record` only if the stored record of its id exists and is unfinished
   * (refreshing the retention).
   * @returns true when written; false when nothing was written because the stored record is terminal or absent.
   */
  put(record: JobRecord): Promise<boolean>;
  /**
   * Ids of PENDING and PROCESSING records (orphan recovery). With `updatedBefore` (epoch ms), only those whose
   * `updated` time is older (an unparsable time counts as old). Reads the unfinished records only.
   */
  listUnfinished(updatedBefore?: number): Promise<string[]>;
  /**
   * Removes what the retention has expired (a no-op where the backing store expires by TTL, apart from its index).
   * @returns the number of records removed
   */
  expire(): Promise<number>;
  /** Throws AppError `store_unavailable` when the backing store cannot be reached. */
  healthcheck(): Promise<void>;
  close(): Promise<void>;
}

/** The `updated` time of a record in epoch ms; 0 when unparsable (counts as old). */
export function updatedMs(rec: Pick<JobRecord, 'updated'>): number {
  const t = Date.parse(rec.updated);
  return Number.isFinite(t) ? t : 0;
}
