/**
 * The in-memory job store (one process, nothing survives a restart). Records are kept serialised, so callers can
 * never mutate a stored record through a reference they hold, exactly as with the persistent stores.
 */
import type { JobRecord, JobStore } from './job.js';
import { checkJobId, jobExistsError, parseJobRecord, serializeJobRecord } from './job.store.schema.js';

/** JobStore in a Map. `cleanup(maxAgeMs)` drops records last written more than `maxAgeMs` ago. */
export class MemoryJobStore implements JobStore {
  readonly #records = new Map<string, { json: string; writtenMs: number }>();
  readonly #now: () => number;

  /** @param options.now clock in epoch milliseconds (tests). */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async create(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    if (this.#records.has(record.id)) throw jobExistsError(record.id);
    this.#records.set(record.id, { json, writtenMs: this.#now() });
    await Promise.resolve();
  }

  async get(id: string): Promise<JobRecord | null> {
    checkJobId(id);
    await Promise.resolve();
    const entry = this.#records.get(id);
    if (entry === undefined) return null;
    const rec = parseJobRecord(id, entry.json);
    return 'corrupt' in rec ? null : rec;
  }

  async put(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    this.#records.set(record.id, { json, writtenMs: this.#now() });
    await Promise.resolve();
  }

  async listUnfinished(): Promise<string[]> {
    const ids: string[] = [];
    for (const id of this.#records.keys()) {
      const rec = await this.get(id);
      if (rec !== null && (rec.status === 'PENDING' || rec.status === 'PROCESSING')) ids.push(id);
    }
    return ids;
  }

  cleanup(maxAgeMs: number): Promise<number> {
    const cutoff = this.#now() - maxAgeMs;
    let n = 0;
    for (const [id, entry] of this.#records) {
      if (entry.writtenMs < cutoff) {
        this.#records.delete(id);
        n++;
      }
    }
    return Promise.resolve(n);
  }

  healthcheck(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
