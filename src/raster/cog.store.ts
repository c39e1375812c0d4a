/**
 * The COGs of one process or extraction worker thread: one source resolver (with its byte cache), the decoded-block
 * cache, the decode threads, and the open COGs by URL. Extractions read through it, and the server passes the same
 * `openCog` to the tile routes, so both share one set of caches.
 */
import { LRUCache } from 'lru-cache';
import { raceAbort } from '../errors.js';
import { createBlockCache } from './block.cache.js';
import { openCog } from './cog.js';
import { createDecodePool } from './decode.pool.js';
import type { CogHeader } from './header.js';
import type { Cog } from './types.js';
import { createSourceResolver, type DefaultSourceResolver } from '../storage/resolver.js';
import type { FetchOptions } from '../storage/source.js';

/** What {@link openCogs} is built from: the settings of the same names (the config passes as is). */
export interface CogSettings {
  /** Byte cache of the sources (bytes; 0 = none). */
  sourceCacheBytes: number;
  /** Remote requests in flight per process (a worker thread takes its share of them; see {@link openCogs}). */
  storageRequestsInFlight: number;
  /** Read-through gap of remote range merging (bytes). */
  storageMergeGapBytes: number;
  s3Endpoint?: string | undefined;
  s3Region: string;
  s3ForcePathStyle: boolean;
  /** Timeout of one HTTP/S3 read attempt (ms). */
  storageTimeoutMs: number;
  /** Retries of a failed HTTP/S3 read after the first attempt. */
  storageRetries: number;
  /** Decoded-block cache (bytes; 0 = none). */
  blockCacheBytes: number;
  /** Decode threads for reads of many small blocks (0 = none). */
  decodeThreads: number;
  /** Open COGs kept. */
  cogCacheSize: number;
  /** How long an open COG is served before its header is read again (ms; at least 1 s). */
  lookupCheckIntervalMs: number;
}

/** Opening COGs by URL, and what it holds; close it on shutdown. */
export interface Cogs {
  resolver: DefaultSourceResolver;
  /** Opens a COG by absolute URL through the {@link CogStore}; callers never close what it returns. */
  openCog(url: string, o?: OpenCogFetchOptions): Promise<Cog>;
  /** Closes the open COGs, the sources and the decode threads. */
  close(): Promise<void>;
}

/** How a caller opens a COG: its signal, and the header when another thread already read it (no request then). */
export interface OpenCogFetchOptions extends FetchOptions {
  header?: CogHeader;
}

/** Block fetches per read on remote storage: all of them (the requests are bounded by the resolver). */
const REMOTE_FETCHES_PER_READ = 4096;

/** Whether `url` names remote storage (its reads cost a round trip each). */
export function isRemoteUrl(url: string): boolean {
  return /^(s3|https?):\/\//i.test(url);
}

/**
 * Builds the readers of one process or thread.
 * @param options.worker for an extraction worker thread: local files are read with synchronous `pread`s, which beat
 *   pooled reads for many small page-cached blocks and would only block that worker's own loop.
 * @param options.share the number of threads sharing `storageRequestsInFlight` (an extraction's worker threads):
 *   this thread keeps ⌈requests ÷ share⌉ in flight.
 */
export function openCogs(settings: CogSettings, options: { worker?: boolean; share?: number } = {}): Cogs {
  const share = Math.max(1, options.share ?? 1);
  const resolver = createSourceResolver({
    cacheBytes: settings.sourceCacheBytes,
    http: { timeoutMs: settings.storageTimeoutMs, retries: settings.storageRetries },
    remote: {
      requestsInFlight: Math.max(1, Math.ceil(settings.storageRequestsInFlight / share)),
      mergeGapBytes: settings.storageMergeGapBytes,
    },
    ...(options.worker === true ? { file: { syncReads: true } } : {}),
    s3: {
      ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}),
      region: settings.s3Region,
      forcePathStyle: settings.s3ForcePathStyle,
    },
  });
  const blockCache = settings.blockCacheBytes > 0 ? createBlockCache(settings.blockCacheBytes) : undefined;
  // Large reads (many small blocks) decode on these threads too; tiles (1–4 blocks) never use them.
  const decodePool = settings.decodeThreads > 0 ? createDecodePool({ threads: settings.decodeThreads }) : undefined;
  const cogs = new CogStore({
    open: (url, header) =>
      openCog(resolver.open(url), {
        ...(blockCache ? { blockCache } : {}),
        ...(decodePool ? { decodePool } : {}),
        ...(header ? { header } : {}),
        ...(isRemoteUrl(url) ? { fetchesInFlight: REMOTE_FETCHES_PER_READ } : {}),
      }),
    max: settings.cogCacheSize,
    ttlMs: Math.max(1000, settings.lookupCheckIntervalMs),
  });
  return {
    resolver,
    openCog: (url, o) => cogs.open(url, o),
    async close() {
      cogs.clear();
      await resolver.close();
      await decodePool?.close();
    },
  };
}

/** Options of a {@link CogStore}. */
export interface CogStoreOptions {
  /**
   * Opens a COG (header only; none read when `header` is given). Called without a signal: a shared open must not die
   * with one caller's signal.
   */
  open(url: string, header?: CogHeader): Promise<Cog>;
  /** Open COGs kept (LRU). */
  max: number;
  /** How long an open COG is served before its header is read again, in ms. */
  ttlMs: number;
}

/**
 * Open COGs by URL, as `LookupStore` holds lookups: concurrent callers share one open, headers are re-read after the
 * lookup check interval (a file rewritten in place is noticed; its new version also changes block-cache keys and
 * tile ETags), and a failed open is forgotten at once.
 */
export class CogStore {
  private readonly cogs: LRUCache<string, Promise<Cog>>;
  private readonly openCog: (url: string, header?: CogHeader) => Promise<Cog>;

  constructor(options: CogStoreOptions) {
    this.openCog = options.open;
    // Evicted or expired entries are not closed: a read may still be using them, and file sources close idle
    // handles by themselves. Only deletes (a failed open, `clear` at shutdown) close.
    this.cogs = new LRUCache<string, Promise<Cog>>({
      max: options.max,
      ttl: options.ttlMs,
      dispose: (p, _url, reason) => {
        if (reason === 'delete') void p.then((cog) => cog.close()).catch(() => undefined);
      },
    });
  }

  /**
   * The COG at `url`, opened once and shared. `options.signal` stops this caller's wait only.
   * @throws what opening throws (source and raster errors); AppError `aborted` when the signal fires first.
   */
  open(url: string, options?: OpenCogFetchOptions): Promise<Cog> {
    let p = this.cogs.get(url);
    if (!p) {
      const opened = this.openCog(url, options?.header);
      p = opened;
      this.cogs.set(url, opened);
      opened.catch(() => {
        if (this.cogs.get(url) === opened) this.cogs.delete(url);
      });
    }
    return raceAbort(p, options?.signal);
  }

  /** Forgets and closes every open COG (shutdown). */
  clear(): void {
    this.cogs.clear();
  }
}
