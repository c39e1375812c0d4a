/**
 * The Redis job store (`JOB_STORE=redis`): key `${prefix}job:<id>`, value the record's JSON, written with a TTL of the
 * retention (refreshed on every write, so a finished record lives that long after it finished). The unfinished
 * records are indexed in the sorted set `${prefix}jobs:unfinished` (score: the record's `updated` time in ms), so
 * orphan sweeps read only them. Every write is a Lua script, atomic in Redis: `put` writes only over an unfinished
 * record (terminal records are final, whichever server or worker tries to rewrite them). Redis failures become
 * AppError `store_unavailable`, within `REDIS_COMMAND_TIMEOUT_MS` (the client never queues commands while
 * Redis is down).
 */
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { DEFAULT_RETENTION_MS, isTerminal, updatedMs, type JobRecord, type JobStore } from './job.js';
import {
  checkJobId,
  jobExistsError,
  parseJobRecord,
  serializeJobRecord,
  type CorruptRecordHandler,
} from './job.store.schema.js';
import { fastFailRedis, firstConnection, redisReady } from './redis.client.js';

/** Options of {@link RedisJobStore}: a URL (the store owns and closes its client) or a caller's client. */
export type RedisJobStoreOptions = ({ url: string; client?: never } | { client: Redis; url?: never }) & {
  /** Prepended to every key, e.g. `skope:` → `skope:job:<id>` (default none, as upstream). */
  prefix?: string;
  /** Record lifetime after its last write (ms, default 24 h): the key's TTL. */
  retentionMs?: number;
  /** Longest wait for PING in `healthcheck`, in milliseconds (default 2 000). */
  healthcheckTimeoutMs?: number;
  /** Told about each record that cannot be read back (it is then treated as absent). */
  onCorrupt?: CorruptRecordHandler;
};

/**
 * create: KEYS job key, index; ARGV json, ttl ms, id, updated ms, terminal (1/0). 1 = created, 0 = the id exists.
 */
const CREATE_LUA = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
if ARGV[5] == '0' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3]) end
return 1`;

/**
 * put (compare-and-set): same keys and arguments. Writes only over a stored record whose status is PENDING or
 * PROCESSING; a terminal, corrupt or absent one is left as it is (0). The index follows the new status.
 */
const PUT_LUA = `
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 0
end
local ok, rec = pcall(cjson.decode, cur)
if not ok or type(rec) ~= 'table' or (rec.status ~= 'PENDING' and rec.status ~= 'PROCESSING') then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[5] == '1' then redis.call('ZREM', KEYS[2], ARGV[3]) else redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3]) end
return 1`;

type ScriptClient = Redis & {
  skopeJobCreate(job: string, index: string, ...args: string[]): Promise<number>;
  skopeJobPut(job: string, index: string, ...args: string[]): Promise<number>;
};

/** JobStore over Redis. */
export class RedisJobStore implements JobStore {
  readonly #client: ScriptClient;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #retentionMs: number;
  readonly #pingTimeoutMs: number;
  readonly #onCorrupt: CorruptRecordHandler | undefined;

  constructor(options: RedisJobStoreOptions) {
    const client = options.client ?? fastFailRedis(options.url);
    this.#owned = options.client === undefined;
    // ioredis sends EVALSHA and falls back to EVAL when Redis does not know the script (after a restart).
    if (!('skopeJobCreate' in client)) client.defineCommand('skopeJobCreate', { numberOfKeys: 2, lua: CREATE_LUA });
    if (!('skopeJobPut' in client)) client.defineCommand('skopeJobPut', { numberOfKeys: 2, lua: PUT_LUA });
    this.#client = client as ScriptClient;
    this.#prefix = options.prefix ?? '';
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#pingTimeoutMs = options.healthcheckTimeoutMs ?? 2_000;
    this.#onCorrupt = options.onCorrupt;
  }

  /**
   * Waits (up to `timeoutMs`) for the first connection, so a server that has just started does not answer 503 while
   * its client is still connecting on a busy machine. Never fails: with Redis down the server starts anyway and
   * answers 503 fast until Redis is back.
   */
  async connected(timeoutMs: number): Promise<void> {
    await redisReady(this.#client, timeoutMs).catch(() => undefined);
  }

  /** The Redis key of job `id`. */
  key(id: string): string {
    checkJobId(id);
    return `${this.#prefix}job:${id}`;
  }

  /** The sorted set of unfinished ids. */
  get indexKey(): string {
    return `${this.#prefix}jobs:unfinished`;
  }

  async create(record: JobRecord): Promise<void> {
    const ok = await this.#run('write', () => this.#client.skopeJobCreate(...this.#args(record)));
    if (ok !== 1) throw jobExistsError(record.id);
  }

  async get(id: string): Promise<JobRecord | null> {
    const key = this.key(id);
    const text = await this.#run('read', () => this.#client.get(key));
    return text === null ? null : this.#parse(id, text);
  }

  async put(record: JobRecord): Promise<boolean> {
    return (await this.#run('write', () => this.#client.skopeJobPut(...this.#args(record)))) === 1;
  }

  async listUnfinished(updatedBefore?: number): Promise<string[]> {
    const max = updatedBefore === undefined ? '+inf' : `(${updatedBefore}`;
    const ids = await this.#run('list', () => this.#client.zrangebyscore(this.indexKey, '-inf', max));
    if (ids.length === 0) return [];
    // Entries whose record expired meanwhile are dropped from the index here.
    const exists = await this.#run('list', () => {
      const p = this.#client.pipeline();
      for (const id of ids) p.exists(`${this.#prefix}job:${id}`);
      return p.exec();
    });
    const live: string[] = [];
    const dead: string[] = [];
    ids.forEach((id, i) => ((exists?.[i]?.[1] as number | undefined) === 1 ? live : dead).push(id));
    if (dead.length > 0) await this.#run('write', () => this.#client.zrem(this.indexKey, ...dead));
    return live;
  }

  /**
   * Redis expires the records by TTL; this drops the index entries of the expired ones (only entries last updated
   * more than the retention ago are looked at).
   */
  async expire(): Promise<number> {
    await this.listUnfinished(Date.now() - this.#retentionMs);
    return 0;
  }

  async healthcheck(): Promise<void> {
    await this.#run('reach Redis', async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to PING within ${this.#pingTimeoutMs} ms`)),
          this.#pingTimeoutMs,
        );
      });
      try {
        return await Promise.race([this.#client.ping(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  async close(): Promise<void> {
    if (!this.#owned) return;
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  #args(record: JobRecord): [string, string, ...string[]] {
    const json = serializeJobRecord(record);
    return [
      this.key(record.id),
      this.indexKey,
      json,
      String(this.#retentionMs),
      record.id,
      String(updatedMs(record)),
      isTerminal(record) ? '1' : '0',
    ];
  }

  #parse(id: string, text: string): JobRecord | null {
    const rec = parseJobRecord(id, text);
    if (!('corrupt' in rec)) return rec;
    this.#onCorrupt?.(id, `${this.#prefix}job:${id}: ${rec.corrupt}`);
    return null;
  }

  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      await firstConnection(this.#client, this.#pingTimeoutMs);
      return await op();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new AppError('store_unavailable', `The job store could not ${what}: Redis: ${msg}`, { cause: err });
    }
  }
}
