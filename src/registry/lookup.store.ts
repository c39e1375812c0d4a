/**
 * Loads and caches each dataset's `lookup.json` through a SourceResolver, and picks up a changed file without a
 * restart (the upstream API cached them until it restarted).
 */
import { abortError, AppError, isAppError, raceAbort } from '../errors.js';
import type { FetchOptions, SourceResolver } from '../storage/source.js';
import { hasControlChar, parseLookup } from './lookup.parse.js';
import { joinStorageUrl } from './lookup.resolve.js';
import type { Lookup } from './types.js';

/** Options of a LookupStore. */
export interface LookupStoreOptions {
  /** Opens `<baseUrl>/<datasetId>/lookup.json` (local path, file://, s3://, http(s)://, memory://). */
  resolver: SourceResolver;
  /** Storage root, e.g. `/data`, `s3://bucket/prefix`, `http://host/data`. */
  baseUrl: string;
  /**
   * How long a loaded lookup is served without asking storage, in ms. After that the next `get` calls `head()`
   * and re-reads the file only when its etag changed (every time when the source reports no etag).
   * @defaultValue 5000
   */
  checkIntervalMs?: number;
  /** Clock in ms (tests inject one). @defaultValue Date.now */
  now?: () => number;
}

interface CacheEntry {
  lookup: Lookup;
  /** Version of the bytes `lookup` was parsed from; undefined when the source gives none. */
  etag: string | undefined;
  /** When storage was last asked, ms. */
  checkedAt: number;
}

/** Per-dataset cache of validated lookups. Concurrent callers share one load or check. */
export class LookupStore {
  private readonly resolver: SourceResolver;
  private readonly baseUrl: string;
  private readonly checkIntervalMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Lookup>>();

  constructor(opts: LookupStoreOptions) {
    this.resolver = opts.resolver;
    this.baseUrl = opts.baseUrl;
    this.checkIntervalMs = opts.checkIntervalMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /** URL of a dataset's lookup file. */
  lookupUrl(datasetId: string): string {
    return joinStorageUrl(this.baseUrl, `${datasetId}/lookup.json`);
  }

  /**
   * The dataset's validated lookup: cached, re-checked after `checkIntervalMs`. A failed load is not cached.
   * `options.signal` aborts this caller's wait only; a load shared with other callers keeps going.
   * @throws AppError `lookup_unavailable` (`Failed to retrieve lookup dictionary from origin: …`) | `lookup_invalid`
   *   | `invalid_request` (a dataset id that is not a single path segment) | `aborted`.
   */
  get(datasetId: string, options: FetchOptions = {}): Promise<Lookup> {
    if (!isPathSegment(datasetId)) {
      return Promise.reject(new AppError('invalid_request', `Invalid dataset id '${datasetId}'.`));
    }
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    const cached = this.cache.get(datasetId);
    if (cached && this.now() - cached.checkedAt < this.checkIntervalMs) return Promise.resolve(cached.lookup);
    let shared = this.inflight.get(datasetId);
    if (!shared) {
      shared = this.refresh(datasetId, cached).finally(() => this.inflight.delete(datasetId));
      this.inflight.set(datasetId, shared);
    }
    return raceAbort(shared, options.signal);
  }

  /** Forgets every cached lookup (the next `get` re-reads). */
  clear(): void {
    this.cache.clear();
  }

  private async refresh(datasetId: string, cached: CacheEntry | undefined): Promise<Lookup> {
    try {
      const source = this.resolver.open(this.lookupUrl(datasetId));
      try {
        // head() before the read: if the file changes in between, we hold an old etag and re-read next time.
        const head = await source.head();
        if (cached && cached.etag !== undefined && head.etag === cached.etag) {
          cached.checkedAt = this.now();
          return cached.lookup;
        }
        const bytes = await source.fetch(0);
        const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        const lookup = parseLookup(text, source.url.href);
        this.cache.set(datasetId, { lookup, etag: head.etag ?? source.metadata?.etag, checkedAt: this.now() });
        return lookup;
      } finally {
        await source.close?.();
      }
    } catch (err) {
      this.cache.delete(datasetId);
      if (isAppError(err, 'lookup_invalid') || isAppError(err, 'invalid_request')) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new AppError('lookup_unavailable', `Failed to retrieve lookup dictionary from origin: ${why}`, {
        cause: err,
        details: { dataset: datasetId },
      });
    }
  }
}

function isPathSegment(id: string): boolean {
  return id !== '' && id !== '.' && id !== '..' && !/[/\\]/.test(id) && !hasControlChar(id);
}
