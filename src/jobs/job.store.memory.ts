/**
 * The in-memory job store (one process, nothing survives a restart). Records are kept serialised, so callers can
 * never mutate a stored record through a reference they hold, exactly as with the persistent stores.
 *
 * Retention: the map is kept in order of last write (a write moves its record to the end), so the records to expire
 * are always at its front: expiring costs one step per record removed, whatever the number kept. Every `create`
 * expires what is due, so a running server's memory never grows past what the retention keeps.
 */
import { DEFAULT_RETENTION_MS, isTerminal, updatedMs, type JobRecord, type JobStore } from './job.js';
import { checkJobId, jobExistsError, parseJobRecord, serializeJobRecord } from './job.store.schema.js';

interface Entry {
  json: string;
  /** Store clock at the last write (ms). */
  writtenMs: number;
  /** The record's `updated` time (ms), for orphan queries. */
  updatedMs: number;
}

/** Options of {@link MemoryJobStore}. */
export interface MemoryJobStoreOptions {
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
  /** Records are removed this long after their last write (ms, default 24 h). */
  retentionMs?: number;
}

/** JobStore in a Map. */
export class MemoryJobStore implements JobStore {
  readonly #records = new Map<string, Entry>();
  /** Ids of the unfinished records (the orphan index). */
  readonly #unfinished = new Set<string>();
  readonly #now: () => number;
  readonly #retentionMs: number;

  constructor(options: MemoryJobStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  async create(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    this.#expireDue();
    if (this.#records.has(record.id)) throw jobExistsError(record.id);
    this.#write(record, json);
    await Promise.resolve();
  }

  async get(id: string): Promise<JobRecord | null> {
    checkJobId(id);
    await Promise.resolve();
    const entry = this.#records.get(id);
    if (entry === undefined || entry.writtenMs + this.#retentionMs <= this.#now()) return null;
    const rec = parseJobRecord(id, entry.json);
    return 'corrupt' in rec ? null : rec;
  }

  async put(record: JobRecord): Promise<boolean> {
    const json = serializeJobRecord(record);
    await Promise.resolve();
    // Check and write in one synchronous step: nothing else runs in between.
    const entry = this.#records.get(record.id);
    if (entry === undefined || entry.writtenMs + this.#retentionMs <= this.#now()) return false;
    if (!this.#unfinished.has(record.id)) return false;
    this.#write(record, json);
    return true;
  }

  listUnfinished(updatedBefore?: number): Promise<string[]> {
    const ids: string[] = [];
    for (const id of this.#unfinished) {
      const entry = this.#records.get(id);
      if (entry !== undefined && (updatedBefore === undefined || entry.updatedMs < updatedBefore)) ids.push(id);
    }
    return Promise.resolve(ids);
  }

  expire(): Promise<number> {
    return Promise.resolve(this.#expireDue());
  }

  healthcheck(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #write(record: JobRecord, json: string): void {
    this.#records.delete(record.id);
    this.#records.set(record.id, { json, writtenMs: this.#now(), updatedMs: updatedMs(record) });
    if (isTerminal(record)) this.#unfinished.delete(record.id);
    else this.#unfinished.add(record.id);
  }

  /** Removes the records written more than the retention ago: they are at the front of the map. */
  #expireDue(): number {
    const cutoff = this.#now() - this.#retentionMs;
    let n = 0;
    for (const [id, entry] of this.#records) {
      if (entry.writtenMs > cutoff) break;
      this.#records.delete(id);
      this.#unfinished.delete(id);
      n++;
    }
    return n;
  }
}
