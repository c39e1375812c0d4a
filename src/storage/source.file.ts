/**
 * A byte source over a local file: positional reads on one shared FileHandle, opened on first use and closed again
 * after a quiet spell so that sources nobody closes do not hold descriptors for ever.
 */
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppError, abortError } from '../errors.js';
import { createRangeMerger, type MergedRead, type MergeOptions } from './merge.js';
import { checkRange } from './range.js';
import { isAborted } from './retry.js';
import type { ByteSource, FetchOptions, SourceMetadata } from './source.js';

/** Options of {@link FileSource}. */
export interface FileSourceOptions {
  /** Close the file handle after this many milliseconds without reads (default 10 000). */
  idleCloseMs?: number;
  /** Range merging (default: adjacent or overlapping reads only). */
  merge?: MergeOptions;
  /**
   * Read with positional `readSync` on the calling thread instead of the libuv pool (default false). For worker
   * threads whose reads mostly hit the page cache (an extraction's many small blocks): a pooled read costs a
   * thread hand-off and a promise per block; a cached `pread` of a 40 KB block takes microseconds. Never on the
   * event-loop thread of a server.
   */
  syncReads?: boolean;
}

/** The AppError for a failed file-system call on `path`. */
function fsError(err: unknown, path: string): AppError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new AppError('source_not_found', `File not found: ${path}.`, { cause: err });
  if (code === 'EISDIR')
    return new AppError('source_read_error', `${path} is a directory, not a file.`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM')
    return new AppError('source_unavailable', `Permission denied reading ${path}.`, { cause: err });
  const msg = err instanceof Error ? err.message : String(err);
  return new AppError('source_read_error', `Reading ${path} failed: ${msg}.`, { cause: err });
}

/** Random access to a local file. `etag` is `${mtimeMs}-${size}`. */
export class FileSource implements ByteSource {
  readonly url: URL;
  /** Absolute path of the file. */
  readonly path: string;
  metadata?: SourceMetadata;
  readonly #idleCloseMs: number;
  readonly #read: MergedRead;
  readonly #syncReads: boolean;
  /** The descriptor of `readSync` (opened synchronously on first use, closed with the source or when idle). */
  #syncFd: { fd: number; ino: number; mtimeMs: number } | null = null;
  #syncIdle: NodeJS.Timeout | null = null;
  readonly readSync?: (offset: number, length: number, dst: Uint8Array) => number;
  #handle: Promise<{ fh: FileHandle; ino: number; mtimeMs: number }> | null = null;
  #busy = 0;
  #idleTimer: NodeJS.Timeout | null = null;

  /** @param pathOrUrl a local path (relative to the working directory) or a `file://` URL. */
  constructor(pathOrUrl: string | URL, options: FileSourceOptions = {}) {
    const isUrl = pathOrUrl instanceof URL || /^file:\/\//i.test(pathOrUrl);
    this.path = isUrl ? fileURLToPath(pathOrUrl) : resolvePath(pathOrUrl);
    this.url = pathToFileURL(this.path);
    this.#idleCloseMs = options.idleCloseMs ?? 10_000;
    this.#syncReads = options.syncReads === true;
    if (this.#syncReads) this.readSync = (offset, length, dst) => this.#readSyncInto(offset, length, dst);
    this.#read = createRangeMerger((o, l, s) => this.#readRaw(o, l, s), options.merge);
  }

  async fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer> {
    const signal = options?.signal;
    if (signal?.aborted === true) throw abortError(signal);
    checkRange(this.url, offset, length);
    if (length === 0) return new ArrayBuffer(0);
    if (length === undefined) {
      const { size } = await this.head(options);
      if (offset >= size) return new ArrayBuffer(0);
      length = size - offset;
    }
    return this.#read(offset, length, options);
  }

  async head(options?: FetchOptions): Promise<{ size: number; etag: string }> {
    const signal = options?.signal;
    if (signal?.aborted === true) throw abortError(signal);
    let st;
    try {
      st = await stat(this.path);
    } catch (err) {
      throw fsError(err, this.path);
    }
    if (signal !== undefined && isAborted(signal)) throw abortError(signal);
    if (!st.isFile()) throw new AppError('source_read_error', `${this.path} is not a regular file.`);
    // A file replaced by rename is a new inode: drop the handles so reads see the new bytes.
    if (this.#syncFd !== null && (this.#syncFd.ino !== st.ino || this.#syncFd.mtimeMs !== st.mtimeMs)) {
      this.#closeSyncFd();
    }
    if (this.#handle !== null) {
      const h = await this.#handle.catch(() => null);
      if (h !== null && (h.ino !== st.ino || h.mtimeMs !== st.mtimeMs) && this.#busy === 0) await this.#closeHandle();
    }
    this.metadata = { size: st.size, etag: `${st.mtimeMs}-${st.size}` };
    return { size: st.size, etag: this.metadata.etag as string };
  }

  async close(): Promise<void> {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#closeSyncFd();
    await this.#closeHandle();
  }

  #readSyncInto(offset: number, length: number, dst: Uint8Array): number {
    checkRange(this.url, offset, length);
    if (length > dst.length) throw new AppError('internal_error', `readSync: ${length} bytes into ${dst.length}.`);
    try {
      if (this.#syncFd === null) {
        const fd = openSync(this.path, 'r');
        const st = fstatSync(fd);
        this.#syncFd = { fd, ino: st.ino, mtimeMs: st.mtimeMs };
      }
      const { fd } = this.#syncFd;
      let filled = 0;
      while (filled < length) {
        const n = readSync(fd, dst, filled, length - filled, offset + filled);
        if (n === 0) break;
        filled += n;
      }
      if (this.#syncIdle === null) {
        // Closed after a quiet spell, like the async handle (checked once per spell, not per read).
        this.#syncIdle = setTimeout(() => {
          this.#syncIdle = null;
          this.#closeSyncFd();
        }, this.#idleCloseMs);
        this.#syncIdle.unref();
      }
      return filled;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw fsError(err, this.path);
    }
  }

  #closeSyncFd(): void {
    if (this.#syncIdle !== null) clearTimeout(this.#syncIdle);
    this.#syncIdle = null;
    const h = this.#syncFd;
    this.#syncFd = null;
    if (h !== null) {
      try {
        closeSync(h.fd);
      } catch {
        // already gone
      }
    }
  }

  async #closeHandle(): Promise<void> {
    const h = this.#handle;
    this.#handle = null;
    if (h === null) return;
    const opened = await h.catch(() => null);
    await opened?.fh.close().catch(() => undefined);
  }

  #acquire(): Promise<{ fh: FileHandle; ino: number; mtimeMs: number }> {
    this.#busy++;
    if (this.#idleTimer !== null) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    if (this.#handle === null) {
      const opening = (async () => {
        const fh = await open(this.path, 'r');
        const st = await fh.stat();
        if (this.metadata === undefined) this.metadata = { size: st.size, etag: `${st.mtimeMs}-${st.size}` };
        return { fh, ino: st.ino, mtimeMs: st.mtimeMs };
      })();
      this.#handle = opening;
      // A failed open is not cached: the next read tries again.
      opening.catch(() => {
        if (this.#handle === opening) this.#handle = null;
      });
    }
    return this.#handle;
  }

  #release(): void {
    if (--this.#busy > 0 || this.#handle === null) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#busy === 0) void this.#closeHandle();
    }, this.#idleCloseMs);
    this.#idleTimer.unref();
  }

  async #readRaw(offset: number, length: number, signal: AbortSignal | undefined): Promise<ArrayBuffer> {
    let h;
    try {
      h = await this.#acquire();
    } catch (err) {
      this.#release();
      throw fsError(err, this.path);
    }
    try {
      const buf = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        // fs reads cannot be cancelled once queued; check between chunks.
        if (signal?.aborted === true) throw abortError(signal);
        const bytesRead = this.#syncReads
          ? readSync(h.fh.fd, buf, filled, length - filled, offset + filled)
          : await readAt(h.fh.fd, buf, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (signal !== undefined && isAborted(signal)) throw abortError(signal);
      return filled === length ? buf.buffer : buf.slice(0, filled).buffer;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw fsError(err, this.path);
    } finally {
      this.#release();
    }
  }
}

/**
 * `fs.read` at a position, as a promise. Through the callback API rather than `FileHandle.read`: measured on this
 * project's 2-core VM, a 45 KB read from the page cache took 33–47 µs that way against 46–69 µs through the
 * FileHandle (a map tile without the block cache makes one such read, and waits for it).
 */
function readAt(fd: number, buf: Uint8Array, at: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, at, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });
}
