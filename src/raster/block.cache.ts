import { LRUCache } from 'lru-cache';

/**
 * A process-wide cache of DECODED blocks (native-endian samples, predictor undone), least recently used evicted
 * first, bounded by decoded bytes. It stores promises, so concurrent readers of one block decode it once; a
 * rejected load is evicted so the next reader retries. Create one per process and pass it to `openCog`.
 */
export interface BlockCache {
  /**
   * The cached block for `key`, or the result of `load()` (stored under `key` while it runs).
   * @param key identifies the bytes: source URL + version, IFD, block index (see `blockCacheKey`).
   * @param bytes the decoded size in bytes, used for the byte budget.
   * @param usable when given, a cached value it rejects (e.g. a partly decoded block) is replaced by a new load.
   */
  getOrLoad<T extends object>(
    key: string,
    bytes: number,
    load: () => Promise<T>,
    usable?: (v: T) => boolean,
  ): Promise<T>;
  /** Bytes currently held (settled and in-flight entries). */
  readonly size: number;
  /** Number of blocks currently held. */
  readonly count: number;
  clear(): void;
}

/** Key of one block: source URL and version (ETag / mtime-size), IFD number and block index within that IFD. */
export function blockCacheKey(url: string, version: string | undefined, ifd: number, block: number): string {
  return `${url}\u0000${version ?? ''}\u0000${ifd}\u0000${block}`;
}

/** Creates a block cache holding at most `maxBytes` bytes of decoded blocks (a larger block is not cached). */
export function createBlockCache(maxBytes: number): BlockCache {
  if (!Number.isFinite(maxBytes) || maxBytes < 1) throw new RangeError('block cache size must be ≥ 1 byte');
  // The decoded size is known before the load settles, so it is passed to every set() (no sizeCalculation).
  // Values are whatever the reader stores per key (decoded blocks); keys are unique per file, IFD and block.
  const lru = new LRUCache<string, Promise<object>>({ maxSize: maxBytes });
  return {
    getOrLoad<T extends object>(
      key: string,
      bytes: number,
      load: () => Promise<T>,
      usable?: (v: T) => boolean,
    ): Promise<T> {
      const fresh = (): Promise<T> => {
        const promise = load();
        const size = Math.max(1, Math.ceil(bytes));
        if (size <= maxBytes) {
          lru.set(key, promise, { size });
          promise.catch(() => {
            if (lru.peek(key) === promise) lru.delete(key);
          });
        }
        return promise;
      };
      // An unusable value is replaced once: readers that find it replaced already follow the replacement.
      const follow = (p: Promise<T>, check: (v: T) => boolean): Promise<T> =>
        p.then((v) => {
          if (check(v)) return v;
          const now = lru.peek(key) as Promise<T> | undefined;
          return now && now !== p ? follow(now, check) : fresh();
        });
      const hit = lru.get(key) as Promise<T> | undefined;
      if (!hit) return fresh();
      return usable ? follow(hit, usable) : hit;
    },
    get size() {
      return lru.calculatedSize;
    },
    get count() {
      return lru.size;
    },
    clear() {
      lru.clear();
    },
  };
}
