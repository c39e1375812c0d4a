/**
 * Range merging: reads that arrive together (in the same turn of the event loop) and touch or overlap are served
 * by one underlying read, then split back. A COG reader asks for many neighbouring tiles at once; on HTTP and S3
 * one request for 1 MB costs far less than 16 requests for 64 KB.
 */
import { abortError } from '../errors.js';
import type { BodyAlloc, BodyPool } from './bodies.js';
import type { FetchOptions } from './source.js';
import { watchAbort } from './watch.js';

/**
 * The underlying read: `length` bytes at `offset`, fewer only at the end of the object. With `alloc`, the body may be
 * read into the memory it gives (then it resolves with that view).
 */
export type RawRead = (
  offset: number,
  length: number,
  signal: AbortSignal | undefined,
  alloc?: BodyAlloc,
) => Promise<ArrayBuffer | Uint8Array>;

/** Tuning of {@link createRangeMerger}. */
export interface MergeOptions {
  /** Reads separated by a gap of at most this many bytes are merged too (the gap is read and dropped). Default 0. */
  maxGapBytes?: number;
  /** A merged read never grows beyond this many bytes (default 16 MiB). */
  maxMergedBytes?: number;
  /**
   * Where the bodies of reads made only of `cache: false` members come from ({@link createViewMerger}); their views
   * go back with `pool.release`. Other reads get fresh memory.
   */
  pool?: BodyPool;
}

interface Pending {
  offset: number;
  length: number;
  signal: AbortSignal | undefined;
  /** Read with `cache: false`: used once, its view may come from the body pool. */
  once: boolean;
  resolve(bytes: Uint8Array): void;
  reject(err: unknown): void;
}

/** A read function that batches same-turn reads; see the module comment. */
export type MergedRead = (offset: number, length: number, options?: FetchOptions) => Promise<ArrayBuffer>;

/**
 * A read function that batches same-turn reads and resolves with views: a member of a merged read gets a view into
 * the one buffer the group was read into (read-only; it keeps that buffer alive), not a copy.
 */
export type MergedViewRead = (offset: number, length: number, options?: FetchOptions) => Promise<Uint8Array>;

/** `buf` as a view (an ArrayBuffer: all of it). */
function viewOf(buf: ArrayBuffer | Uint8Array): Uint8Array {
  return buf instanceof Uint8Array ? buf : new Uint8Array(buf);
}

/** The bytes of `view` as an ArrayBuffer of their own: its buffer when it spans all of it, else a copy. */
export function ownBuffer(view: Uint8Array): ArrayBuffer {
  const buf = view.buffer as ArrayBuffer;
  return view.byteOffset === 0 && view.byteLength === buf.byteLength
    ? buf
    : buf.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

/**
 * Wraps `raw` so that reads issued in the same event-loop turn are grouped (sorted by offset; a group grows while the
 * next read starts at most `maxGapBytes` past its end and stays under `maxMergedBytes`) and each group is one `raw`
 * call. A group's read is aborted only when every member aborted; a member that aborts alone rejects at once.
 */
export function createRangeMerger(raw: RawRead, options: MergeOptions = {}): MergedRead {
  const read = createViewMerger(raw, options);
  return (offset, length, o) => read(offset, length, o).then(ownBuffer);
}

/**
 * {@link createRangeMerger} resolving with views: the members of a merged read share its buffer instead of each
 * getting a copy. Measured on the `s3` bench, copying every block out of its merged read (1.9 GB at 1 000 000
 * cells) and collecting the copies cost more CPU than the request.
 */
export function createViewMerger(raw: RawRead, options: MergeOptions = {}): MergedViewRead {
  const maxGap = options.maxGapBytes ?? 0;
  const maxMerged = options.maxMergedBytes ?? 16 * 1024 * 1024;
  const pool = options.pool;
  let queue: Pending[] = [];

  const flush = (): void => {
    const batch = queue.sort((a, b) => a.offset - b.offset);
    queue = [];
    let group: Pending[] = [];
    let start = 0;
    let end = 0;
    for (const p of batch) {
      const pEnd = p.offset + p.length;
      if (group.length > 0 && p.offset <= end + maxGap && Math.max(end, pEnd) - start <= maxMerged) {
        group.push(p);
        end = Math.max(end, pEnd);
        continue;
      }
      if (group.length > 0) runGroup(group, start, end);
      group = [p];
      start = p.offset;
      end = pEnd;
    }
    if (group.length > 0) runGroup(group, start, end);
  };

  const runGroup = (group: Pending[], start: number, end: number): void => {
    const live = group.filter((p) => p.signal?.aborted !== true);
    for (const p of group) if (p.signal?.aborted === true) p.reject(abortError(p.signal));
    if (live.length === 0) return;
    const alloc = pool !== undefined && live.every((p) => p.once) ? pool.acquire : undefined;
    if (live.length === 1) {
      const only = live[0] as Pending;
      raw(only.offset, only.length, only.signal, alloc).then((buf) => only.resolve(viewOf(buf)), only.reject);
      return;
    }
    // The shared read stops only when all members gave up.
    const controller = new AbortController();
    let remaining = live.some((p) => p.signal === undefined) ? Number.POSITIVE_INFINITY : live.length;
    const onMemberAbort = (): void => {
      if (--remaining === 0) controller.abort(new Error('every merged read was aborted'));
    };
    // Callers may share one long-lived signal (a job's) across thousands of reads: always unhook.
    const unwatch = live.map((p) => (p.signal ? watchAbort(p.signal, onMemberAbort) : null));
    const unhook = (): void => {
      for (const u of unwatch) u?.();
    };
    raw(start, end - start, controller.signal, alloc).then(
      (got) => {
        unhook();
        const body = viewOf(got);
        pool?.share(body, live.length);
        for (const p of live) {
          const a = Math.min(p.offset - start, body.byteLength);
          const b = Math.min(p.offset + p.length - start, body.byteLength);
          p.resolve(body.subarray(a, Math.max(a, b)));
        }
      },
      (err: unknown) => {
        unhook();
        for (const p of live) p.reject(err);
      },
    );
  };

  return (offset, length, options) => {
    const signal = options?.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        reject(abortError(signal as AbortSignal));
      };
      const unwatch = signal ? watchAbort(signal, onAbort) : null;
      const done =
        <T>(fn: (v: T) => void) =>
        (v: T): void => {
          unwatch?.();
          if (settled) return;
          settled = true;
          fn(v);
        };
      if (queue.length === 0) setImmediate(flush);
      const once = options?.cache === false;
      queue.push({ offset, length, signal, once, resolve: done(resolve), reject: done(reject) });
    });
  };
}
