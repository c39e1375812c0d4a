/**
 * The filesystem job store (`JOB_STORE=fs`): one `<id>.json` per job in a directory (created on first use). Every write goes
 * to `<file>.<random>.tmp` and is then renamed over the target, so readers only ever see whole records and a crash
 * leaves at worst a stray `.tmp` (removed by `cleanup` once old). No TTL: `cleanup(maxAgeMs)` removes files by mtime.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, lstat, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Options of {@link FsJobStore}. */
export interface FsJobStoreOptions {
  /** Directory of the records (created when missing). */
  dir: string;
  /** Told about each record that cannot be read back (it is then treated as absent). */
  onCorrupt?: CorruptRecordHandler;
}

const errCode = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/** JobStore over a directory of JSON files. */
export class FsJobStore implements JobStore {
  /** The records' directory. */
  readonly dir: string;
  readonly #onCorrupt: CorruptRecordHandler | undefined;
  #ready: Promise<void> | null = null;

  /** @param options the directory, or {@link FsJobStoreOptions}. */
  constructor(options: string | FsJobStoreOptions) {
    const o = typeof options === 'string' ? { dir: options } : options;
    this.dir = o.dir;
    this.#onCorrupt = o.onCorrupt;
  }

  async create(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    const file = this.#file(record.id);
    const tmp = await this.#writeTmp(file, json);
    try {
      // link() fails if the target exists: an atomic "create with this content unless present".
      await link(tmp, file);
    } catch (err) {
      if (errCode(err) === 'EEXIST') throw jobExistsError(record.id);
      throw this.#unavailable('write', err);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async get(id: string): Promise<JobRecord | null> {
    const file = this.#file(id);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (errCode(err) === 'ENOENT') return null;
      throw this.#unavailable('read', err);
    }
    const rec = parseJobRecord(id, text);
    if ('corrupt' in rec) {
      this.#onCorrupt?.(id, `${file}: ${rec.corrupt}`);
      return null;
    }
    return rec;
  }

  async put(record: JobRecord): Promise<void> {
    const json = serializeJobRecord(record);
    const file = this.#file(record.id);
    const tmp = await this.#writeTmp(file, json);
    try {
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw this.#unavailable('write', err);
    }
  }

  async listUnfinished(): Promise<string[]> {
    const ids: string[] = [];
    for (const id of await this.#ids()) {
      const rec = await this.get(id);
      if (rec !== null && (rec.status === 'PENDING' || rec.status === 'PROCESSING')) ids.push(id);
    }
    return ids;
  }

  /** Removes every regular file in the directory whose mtime is more than `maxAgeMs` ago (stray .tmp included). */
  async cleanup(maxAgeMs: number): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errCode(err) === 'ENOENT') return 0;
      throw this.#unavailable('list', err);
    }
    let n = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        const st = await lstat(path);
        if (st.isFile() && st.mtimeMs < cutoff) {
          await unlink(path);
          n++;
        }
      } catch (err) {
        // Removed by someone else meanwhile: fine.
        if (errCode(err) !== 'ENOENT') throw this.#unavailable('clean up', err);
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

  #file(id: string): string {
    // Only UUIDs reach the file system: no path traversal, no odd names.
    checkJobId(id);
    return join(this.dir, `${id}.json`);
  }

  async #ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errCode(err) === 'ENOENT') return [];
      throw this.#unavailable('list', err);
    }
    return names.filter((n) => n.endsWith('.json') && JOB_ID_PATTERN.test(n.slice(0, -5))).map((n) => n.slice(0, -5));
  }

  #ensureDir(): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        this.#ready = null;
        throw this.#unavailable('create the directory', err);
      },
    );
    return this.#ready;
  }

  async #writeTmp(file: string, json: string): Promise<string> {
    await this.#ensureDir();
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
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
