/**
 * The Redis job store (`JOB_STORE=redis`): key `${prefix}job:<id>`, value the record's JSON, every write `SET … EX 86400` so the
 * 24 h TTL is refreshed on each update. `listUnfinished` SCANs the prefix (never KEYS). Redis failures become
 * AppError `store_unavailable`.
 */
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { JobRecord, JobStore } from './job.js';
import {
  checkJobId,
  JOB_ID_PATTERN,
  jobExistsError,
  parseJobRecord,
  serializeJobRecord,
  type CorruptRecordHandler,
} from './job.store.schema.js';

/** Options of {@link RedisJobStore}: a URL (the store owns and closes its client) or a caller's client. */
export type RedisJobStoreOptions = ({ url: string; client?: never } | { client: Redis; url?: never }) & {
  /** Prepended to every key, e.g. `skope:` → `skope:job:<id>` (default none, as upstream). */
  prefix?: string;
  /** Record lifetime in seconds, refreshed on every write (default 86 400 = 24 h). */
  ttlSeconds?: number;
  /** Longest wait for PING in `healthcheck`, in milliseconds (default 2 000). */
  healthcheckTimeoutMs?: number;
  /** Told about each record that cannot be read back (it is then treated as absent). */
  onCorrupt?: CorruptRecordHandler;
};

/** Escapes Redis glob metacharacters so a prefix matches literally in SCAN MATCH. */
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

/** JobStore over Redis. */
export class RedisJobStore implements JobStore {
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #pingTimeoutMs: number;
  readonly #onCorrupt: CorruptRecordHandler | undefined;

  constructor(options: RedisJobStoreOptions) {
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#owned = false;
    } else {
      // Fail commands fast while Redis is down instead of queueing them for ever.
      this.#client = new Redis(options.url, { maxRetriesPerRequest: 2, lazyConnect: false });
      this.#owned = true;
      // Connection errors surface on commands; without a listener ioredis would print each one.
      this.#client.on('error', () => undefined);
    }
    this.#prefix = options.prefix ?? '';
    this.#ttl = options.ttlSeconds ?? 86_400;
    this.#pingTimeoutMs = options.healthcheckTimeoutMs ?? 2_000;
    this.#onCorrupt = options.onCorrupt;
  }

  /** The Redis key of job `id`. */
  key(id: string): string {
    checkJobId(id);
    return `${this.#prefix}job:${id}`;
  }

  async create(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    const ok = await this.#run('write', () => this.#client.set(this.key(record.id), json, 'EX', this.#ttl, 'NX'));
    if (ok !== 'OK') throw jobExistsError(record.id);
  }

  async get(id: string): Promise<JobRecord | null> {
    const key = this.key(id);
    const text = await this.#run('read', () => this.#client.get(key));
    return text === null ? null : this.#parse(id, text);
  }

  async put(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    await this.#run('write', () => this.#client.set(this.key(record.id), json, 'EX', this.#ttl));
  }

  async listUnfinished(): Promise<string[]> {
    const keys = await this.#scanKeys();
    const ids: string[] = [];
    for (let i = 0; i < keys.length; i += 200) {
      const chunk = keys.slice(i, i + 200);
      const values = await this.#run('read', () => this.#client.mget(...chunk));
      chunk.forEach((key, j) => {
        const text = values[j];
        if (text === null || text === undefined) return;
        const id = key.slice(this.#prefix.length + 'job:'.length);
        const rec = this.#parse(id, text);
        if (rec !== null && (rec.status === 'PENDING' || rec.status === 'PROCESSING')) ids.push(id);
      });
    }
    return ids;
  }

  /** Redis expires records by TTL; nothing to do. */
  cleanup(_maxAgeMs: number): Promise<number> {
    return Promise.resolve(0);
  }

  async healthcheck(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer to PING within ${this.#pingTimeoutMs} ms`)),
        this.#pingTimeoutMs,
      );
    });
    try {
      await this.#run('reach Redis', () => Promise.race([this.#client.ping(), timeout]));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (!this.#owned) return;
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  async #scanKeys(): Promise<string[]> {
    const match = `${globEscape(this.#prefix)}job:*`;
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.#run('list', () => this.#client.scan(cursor, 'MATCH', match, 'COUNT', 500));
      cursor = next;
      for (const k of batch) {
        if (JOB_ID_PATTERN.test(k.slice(this.#prefix.length + 'job:'.length))) keys.add(k);
      }
    } while (cursor !== '0');
    return [...keys];
  }

  #parse(id: string, text: string): JobRecord | null {
    const rec = parseJobRecord(id, text);
    if (!('corrupt' in rec)) return rec;
    this.#onCorrupt?.(id, `${this.#prefix}job:${id}: ${rec.corrupt}`);
    return null;
  }

  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new AppError('store_unavailable', `The job store could not ${what}: Redis: ${msg}`, { cause: err });
    }
  }
}
