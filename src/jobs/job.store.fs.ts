/**
 * The filesystem job store (`JOB_STORE=fs`): a directory that any number of processes (on one machine, or sharing a
 * POSIX filesystem) may use at once.
 *
 * - `live/<id>.json` — the unfinished (PENDING, PROCESSING) records: the orphan index is this directory alone.
 * - `done/<id>.json` — the finished (SUCCESS, FAILED) records.
 * - `expiry/<bucket>/<id>` — empty markers: the ids whose finished record expires in time bucket `<bucket>`
 *   (bucket = floor(expiry time / bucket length)); `expire` removes whole past buckets, never reads the rest.
 * - `tmp/` — records being written.
 *
 * Every write goes to a file in `tmp/` first. Unfinished states are renamed over `live/<id>.json` (readers only ever
 * see whole records); the terminal state is `link`ed to `done/<id>.json`, which fails if that file exists: so
 * exactly one terminal write ever succeeds, atomically across processes, and `get` prefers `done/` — a terminal
 * record is final. A rename that lands after a terminal link is detected and undone (and is invisible meanwhile).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, lstat, mkdir, readdir, readFile, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { DEFAULT_RETENTION_MS, isTerminal, updatedMs, type JobRecord, type JobStore } from './job.js';
import {
  checkJobId,
  JOB_ID_PATTERN,
  jobExistsError,
  parseJobRecord,
  serializeJobRecord,
  type CorruptRecordHandler,
} from './job.store.schema.js';

/** Options of {@link FsJobStore}. */
export interface FsJobStoreOptions {
  /** Directory of the records (created when missing). */
  dir: string;
  /** Told about each record that cannot be read back (it is then treated as absent). */
  onCorrupt?: CorruptRecordHandler;
  /** Finished records are removed this long after they finished (ms, default 24 h). */
  retentionMs?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

const errCode = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;
const SUBDIRS = ['live', 'done', 'tmp', 'expiry'] as const;

/** JobStore over a directory of JSON files. */
export class FsJobStore implements JobStore {
  /** The records' directory. */
  readonly dir: string;
  readonly #onCorrupt: CorruptRecordHandler | undefined;
  readonly #retentionMs: number;
  /** Length of one expiry bucket (ms): 1/64 of the retention, between 0.1 s and 1 h. */
  readonly #bucketMs: number;
  readonly #now: () => number;
  #ready: Promise<void> | null = null;

  /** @param options the directory, or {@link FsJobStoreOptions}. */
  constructor(options: string | FsJobStoreOptions) {
    const o = typeof options === 'string' ? { dir: options } : options;
    this.dir = o.dir;
    this.#onCorrupt = o.onCorrupt;
    this.#retentionMs = o.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#bucketMs = Math.min(3_600_000, Math.max(100, Math.floor(this.#retentionMs / 64)));
    this.#now = o.now ?? Date.now;
  }

  async create(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    const { live, done } = this.#paths(record.id);
    const tmp = await this.#writeTmp(json);
    try {
      if ((await this.#exists(done)) || (isTerminal(record) && (await this.#exists(live))))
        throw jobExistsError(record.id);
      if (isTerminal(record)) await this.#mark(record.id);
      // link() fails if the target exists: an atomic "create with this content unless present".
      await link(tmp, isTerminal(record) ? done : live);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (errCode(err) === 'EEXIST') throw jobExistsError(record.id);
      throw this.#unavailable('write', err);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async get(id: string): Promise<JobRecord | null> {
    const { live, done } = this.#paths(id);
    // done/ first: a record turning terminal is linked there before its live file goes, so reading done, then live,
    // then done again never misses it.
    const text = (await this.#read(done)) ?? (await this.#read(live)) ?? (await this.#read(done));
    if (text === null) return null;
    const rec = parseJobRecord(id, text.text);
    if ('corrupt' in rec) {
      this.#onCorrupt?.(id, `${text.path}: ${rec.corrupt}`);
      return null;
    }
    return rec;
  }

  async put(record: JobRecord): Promise<boolean> {
    const json = serializeJobRecord(record);
    const { live, done } = this.#paths(record.id);
    if ((await this.#exists(done)) || !(await this.#exists(live))) return false;
    const tmp = await this.#writeTmp(json);
    try {
      if (isTerminal(record)) {
        await this.#mark(record.id);
        try {
          await link(tmp, done);
        } catch (err) {
          if (errCode(err) === 'EEXIST') return false; // another writer's terminal state came first
          throw err;
        }
        await unlink(live).catch(() => undefined);
        return true;
      }
      await rename(tmp, live);
      // A terminal state linked meanwhile wins: take back the live file this rename may have brought back.
      if (await this.#exists(done)) {
        await unlink(live).catch(() => undefined);
        return false;
      }
      return true;
    } catch (err) {
      throw this.#unavailable('write', err);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async listUnfinished(updatedBefore?: number): Promise<string[]> {
    const ids: string[] = [];
    for (const name of await this.#list('live')) {
      if (!name.endsWith('.json') || !JOB_ID_PATTERN.test(name.slice(0, -5))) continue;
      const id = name.slice(0, -5);
      const rec = await this.get(id);
      if (rec === null || isTerminal(rec)) {
        // A terminal record whose live file a crashed writer left behind.
        if (rec !== null) await unlink(join(this.dir, 'live', name)).catch(() => undefined);
        continue;
      }
      if (updatedBefore === undefined || updatedMs(rec) < updatedBefore) ids.push(id);
    }
    return ids;
  }

  /**
   * Removes the finished records of every past expiry bucket, unfinished records not written for the retention
   * (abandoned), stray temporary files, and files of the store's older one-directory layout past the retention
   * (younger ones are moved into this layout: the server runs `expire` at start-up).
   * Reads the expiry buckets, `live/` and `tmp/`, never `done/`.
   */
  async expire(): Promise<number> {
    const now = this.#now();
    let n = 0;
    for (const bucket of await this.#list('expiry')) {
      const b = Number(bucket);
      if (!Number.isInteger(b) || (b + 1) * this.#bucketMs > now) continue;
      const dir = join(this.dir, 'expiry', bucket);
      for (const id of await this.#list(join('expiry', bucket))) {
        if (JOB_ID_PATTERN.test(id)) {
          if (await this.#remove(join(this.dir, 'done', `${id}.json`))) n++;
          await this.#remove(join(this.dir, 'live', `${id}.json`));
        }
        await this.#remove(join(dir, id));
      }
      await rmdir(dir).catch(() => undefined);
    }
    const cutoff = now - this.#retentionMs;
    for (const sub of ['live', 'tmp', '.'] as const) {
      for (const name of await this.#list(sub)) {
        const path = join(this.dir, sub, name);
        try {
          const st = await lstat(path);
          if (!st.isFile()) continue;
          if (st.mtimeMs < cutoff) {
            if (await this.#remove(path)) n++;
          } else if (sub === '.') await this.#adopt(name, path, st.mtimeMs);
        } catch (err) {
          if (errCode(err) !== 'ENOENT') throw this.#unavailable('clean up', err);
        }
      }
    }
    return n;
  }

  async healthcheck(): Promise<void> {
    try {
      await this.#ensureDir();
      await access(this.dir, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw err instanceof AppError ? err : this.#unavailable('access', err);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #paths(id: string): { live: string; done: string } {
    // Only UUIDs reach the file system: no path traversal, no odd names.
    checkJobId(id);
    return { live: join(this.dir, 'live', `${id}.json`), done: join(this.dir, 'done', `${id}.json`) };
  }

  /** Records that the finished record of `id` expires one retention from now. */
  /**
   * A record of the store's older one-directory layout (`<dir>/<id>.json`), still within the retention: moved into
   * `live/` or `done/` by its status, so it is served and swept like any other (an upgrade loses no record).
   */
  async #adopt(name: string, path: string, mtimeMs: number): Promise<void> {
    const id = name.slice(0, -5);
    if (!name.endsWith('.json') || !JOB_ID_PATTERN.test(id)) return;
    const text = await this.#read(path);
    const rec = text === null ? null : parseJobRecord(id, text.text);
    if (rec === null || 'corrupt' in rec) return; // left to expire by age
    await this.#ensureDir();
    const { live, done } = this.#paths(id);
    if (isTerminal(rec)) {
      await this.#mark(id, mtimeMs);
      await link(path, done).catch((err: unknown) => {
        if (errCode(err) !== 'EEXIST') throw err;
      });
      await this.#remove(path);
    } else {
      await rename(path, live);
    }
  }

  async #mark(id: string, finishedMs = this.#now()): Promise<void> {
    const bucket = join(this.dir, 'expiry', String(Math.floor((finishedMs + this.#retentionMs) / this.#bucketMs)));
    await mkdir(bucket, { recursive: true });
    await writeFile(join(bucket, id), '');
  }

  async #read(path: string): Promise<{ text: string; path: string } | null> {
    try {
      return { text: await readFile(path, 'utf8'), path };
    } catch (err) {
      if (errCode(err) === 'ENOENT') return null;
      throw this.#unavailable('read', err);
    }
  }

  async #exists(path: string): Promise<boolean> {
    try {
      await access(path);
      return true;
    } catch (err) {
      if (errCode(err) === 'ENOENT') return false;
      throw this.#unavailable('read', err);
    }
  }

  /** Unlinks `path`; false when it was already gone. */
  async #remove(path: string): Promise<boolean> {
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if (errCode(err) === 'ENOENT') return false;
      throw this.#unavailable('clean up', err);
    }
  }

  /** File names in a subdirectory ([] when it does not exist). */
  async #list(sub: string): Promise<string[]> {
    try {
      return await readdir(join(this.dir, sub));
    } catch (err) {
      if (errCode(err) === 'ENOENT') return [];
      throw this.#unavailable('list', err);
    }
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= Promise.all(SUBDIRS.map((d) => mkdir(join(this.dir, d), { recursive: true }))).then(
      () => undefined,
      (err: unknown) => {
        this.#ready = null;
        throw this.#unavailable('create the directory', err);
      },
    );
    return this.#ready;
  }

  async #writeTmp(json: string): Promise<string> {
    await this.#ensureDir();
    const tmp = join(this.dir, 'tmp', `${randomBytes(8).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, json, { flag: 'wx' });
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      // The directory may have been removed under us: make it again once.
      if (errCode(err) === 'ENOENT') {
        this.#ready = null;
        await this.#ensureDir();
        await writeFile(tmp, json, { flag: 'wx' }).catch((e: unknown) => {
          throw this.#unavailable('write', e);
        });
        return tmp;
      }
      throw this.#unavailable('write', err);
    }
    return tmp;
  }

  #unavailable(what: string, err: unknown): AppError {
    const msg = err instanceof Error ? err.message : String(err);
    return new AppError('store_unavailable', `The job store could not ${what} in ${this.dir}: ${msg}`, { cause: err });
  }
}
