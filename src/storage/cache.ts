/**
 * A bounded LRU cache of raw bytes read from sources, shared by every source of a process (created once, passed in).
 *
 * Keys are exact ranges: `url \0 etag \0 offset \0 length`. A COG reader asks for the same ranges again and again
 * (tile offsets and byte counts come from the file's own index), so exact keys hit as often as aligned chunks would,
 * without reading extra bytes from remote stores or storing bytes twice across chunk boundaries. The etag in the
 * key means a changed object never serves stale bytes; its old entries just age out.
 */
import { LRUCache } from 'lru-cache';
import { isAppError, raceAbort } from '../errors.js';
import type { ByteSource, FetchOptions, SourceMetadata } from './source.js';

/** Byte cache shared by sources; size-bounded in bytes. */
export interface ByteCache {
  get(key: string): ArrayBuffer | undefined;
  set(key: string, value: ArrayBuffer): void;
  /** Bytes currently held. */
  readonly size: number;
  /** Upper bound in bytes. */
  readonly maxBytes: number;
  /** Hit and miss counters since creation (for /metrics). */
  readonly stats: { hits: number; misses: number };
  clear(): void;
}

/** Creates a byte cache bounded to `maxBytes` (> 0). Entries larger than a quarter of the bound are not kept. */
export function createByteCache(maxBytes: number): ByteCache {
  const lru = new LRUCache<string, ArrayBuffer>({
    maxSize: maxBytes,
    // Empty buffers still cost a map entry.
    sizeCalculation: (v) => Math.max(1, v.byteLength),
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 4)),
  });
  const stats = { hits: 0, misses: 0 };
  return {
    get(key) {
      const v = lru.get(key);
      if (v === undefined) stats.misses++;
      else stats.hits++;
      return v;
    },
    set(key, value) {
      lru.set(key, value);
    },
    get size() {
      return lru.calculatedSize;
    },
    maxBytes,
    stats,
    clear() {
      lru.clear();
    },
  };
}

/**
 * Wraps `source` so ranged reads go through `cache`. Reads whose etag is not yet known (the very first one) pass
 * through and are stored under the etag the read learned. Identical reads in flight share one underlying read.
 * Callers get their own copy of the bytes, so mutating a result never corrupts the cache.
 */
export function createCachedSource(source: ByteSource, cache: ByteCache): ByteSource {
  const inFlight = new Map<string, Promise<ArrayBuffer>>();
  const keyOf = (etag: string, offset: number, length: number): string =>
    `${source.url.href}\0${etag}\0${offset}\0${length}`;

  const cached: ByteSource = {
    url: source.url,
    get metadata(): SourceMetadata | undefined {
      return source.metadata;
    },
    set metadata(m: SourceMetadata | undefined) {
      source.metadata = m;
    },
    fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer> {
      const etag = source.metadata?.etag;
      // Open-ended reads and unknown versions are not cached (no stable key).
      if (length === undefined || length === 0 || etag === undefined) {
        return source.fetch(offset, length, options).then((buf) => {
          const learned = source.metadata?.etag;
          if (length !== undefined && learned !== undefined) cache.set(keyOf(learned, offset, length), buf.slice(0));
          return buf;
        });
      }
      const key = keyOf(etag, offset, length);
      const hit = cache.get(key);
      if (hit !== undefined) return Promise.resolve(hit.slice(0));
      // Used once (an extraction streams hundreds of MB through here): neither kept nor copied. Measured at 10 000
      // cells from S3, keeping and copying every block cost ~0.7 s of CPU and evicted what tiles had cached.
      if (options?.cache === false && !inFlight.has(key)) return source.fetch(offset, length, options);
      let pending = inFlight.get(key);
      if (pending === undefined) {
        // Called synchronously so same-turn misses still reach the source's range merger together.
        pending = source.fetch(offset, length, options).then((buf) => {
          // Store under the etag current after the read: if the object changed, the response belongs to the new one.
          cache.set(keyOf(source.metadata?.etag ?? etag, offset, length), buf);
          return buf;
        });
        const p = pending;
        inFlight.set(key, p);
        const forget = (): void => {
          if (inFlight.get(key) === p) inFlight.delete(key);
        };
        p.then(forget, forget);
      } else {
        // Joining someone else's read: honour our own signal without cancelling theirs, and if theirs was
        // aborted, read for ourselves.
        const joined = pending;
        const signal = options?.signal;
        pending = raceAbort(joined, signal).catch((err: unknown) => {
          if (isAppError(err, 'aborted') && signal?.aborted !== true) return source.fetch(offset, length, options);
          throw err;
        });
      }
      return pending.then((buf) => buf.slice(0));
    },
    head(options?: FetchOptions) {
      return source.head(options);
    },
    ...(source.fetchBytes
      ? {
          fetchBytes(offset: number, length?: number, options?: FetchOptions): Promise<Uint8Array> {
            const etag = source.metadata?.etag;
            // Bytes used once and not held: the source's views, neither kept nor copied (see `fetch`).
            if (options?.cache === false && length !== undefined && length > 0 && etag !== undefined) {
              const key = keyOf(etag, offset, length);
              if (!inFlight.has(key) && cache.get(key) === undefined) {
                return (source.fetchBytes as NonNullable<ByteSource['fetchBytes']>)(offset, length, options);
              }
            }
            return cached.fetch(offset, length, options).then((buf) => new Uint8Array(buf));
          },
        }
      : {}),
    // Views of the cache's own buffers are not the source's: its release ignores them.
    ...(source.release ? { release: (bytes: Uint8Array) => source.release?.(bytes) } : {}),
    close() {
      return source.close?.() ?? Promise.resolve();
    },
  };
  return cached;
}
