/**
 * The one place that turns a URL or path into a ByteSource: plain paths and file:// → file, http(s):// → HTTP,
 * s3://bucket/key → S3, memory:// → sources registered on the resolver. One S3 client and one byte cache are
 * shared by every source it opens.
 */
import { isAbsolute, join as joinPath } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { BodyPool } from './bodies.js';
import { AppError } from '../errors.js';
import { createByteCache, createCachedSource, type ByteCache } from './cache.js';
import { FileSource, type FileSourceOptions } from './source.file.js';
import { HttpSource } from './source.http.js';
import type { MemorySource } from './source.memory.js';
import { createS3Client, S3Source, type S3ClientOptions } from './source.s3.js';
import type { RequestLimit } from './source.remote.js';
import type { ByteSource, FetchOptions, SourceResolver } from './source.js';

/** Options of {@link createSourceResolver}. */
export interface SourceResolverOptions {
  /** Byte-cache bound in bytes for remote (HTTP, S3) reads; 0 or absent disables it. */
  cacheBytes?: number;
  /** S3 connection; `client` (tests, or a caller that configures credentials itself) wins over the rest. */
  s3?: S3ClientOptions & { client?: S3Client };
  /** Remote read policy: `retries` after the first attempt (default 3 → 4 attempts), per-attempt `timeoutMs`. */
  http?: { retries?: number; timeoutMs?: number; baseDelayMs?: number };
  /** Local files: read synchronously on the calling thread (worker threads only; see {@link FileSourceOptions}). */
  file?: FileSourceOptions;
  /**
   * Remote reads: at most `requestsInFlight` ranged requests at once over every remote source of this resolver
   * (default: unbounded), and reads issued together that are at most `mergeGapBytes` apart served by one request
   * (default 256 KiB).
   */
  remote?: { requestsInFlight?: number; mergeGapBytes?: number };
}

/** The resolver returned by {@link createSourceResolver}. */
export interface DefaultSourceResolver extends SourceResolver {
  /** Makes `source` reachable as its `memory://` URL. */
  register(source: MemorySource): void;
  /** The shared byte cache, or null when disabled. */
  readonly cache: ByteCache | null;
  /** Destroys the shared S3 client (when the resolver created it). */
  close(): Promise<void>;
}

/**
 * Free body buffers kept for reuse by the remote sources of one resolver (one per thread): a few of the largest merged
 * reads (16 MiB). Only memory the thread already used at its peak is kept.
 */
const BODY_POOL_BYTES = 64 * 1024 * 1024;

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Creates the process's source resolver (call once, pass it to whoever opens sources). */
export function createSourceResolver(options: SourceResolverOptions = {}): DefaultSourceResolver {
  const cache = options.cacheBytes !== undefined && options.cacheBytes > 0 ? createByteCache(options.cacheBytes) : null;
  const memory = new Map<string, MemorySource>();
  const retry = options.http ?? {};
  let s3: S3Client | null = options.s3?.client ?? null;
  const ownsS3 = s3 === null;
  const remote = (source: ByteSource): ByteSource => (cache === null ? source : createCachedSource(source, cache));
  const inFlight = options.remote?.requestsInFlight;
  const gap = options.remote?.mergeGapBytes;
  const remoteOptions = {
    ...retry,
    ...(inFlight !== undefined ? { limit: pLimit(Math.max(1, inFlight)) as RequestLimit } : {}),
    merge: { ...(gap !== undefined ? { maxGapBytes: gap } : {}), pool: new BodyPool(BODY_POOL_BYTES) },
  };

  return {
    cache,
    register(source) {
      memory.set(source.url.href, source);
    },
    open(input) {
      const text = input instanceof URL ? input.href : input;
      const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
      switch (scheme) {
        case undefined:
          if (text.trim() === '') throw new AppError('invalid_request', 'An empty path is not a source.');
          return new FileSource(text, options.file);
        case 'file':
          return new FileSource(new URL(text), options.file);
        case 'http':
        case 'https':
          return remote(new HttpSource(text, remoteOptions));
        case 's3':
          s3 ??= createS3Client({
            ...options.s3,
            ...(inFlight !== undefined ? { maxSockets: Math.max(50, inFlight) } : {}),
          });
          return remote(new S3Source(text, s3, remoteOptions));
        case 'memory':
          return memory.get(new URL(text).href) ?? missingSource(new URL(text));
        default:
          throw new AppError(
            'invalid_request',
            `Unsupported storage scheme "${scheme}:" in ${text} (use a path, file://, http(s)://, s3:// or memory://).`,
          );
      }
    },
    async close() {
      if (ownsS3 && s3 !== null) s3.destroy();
      s3 = null;
      cache?.clear();
      await Promise.resolve();
    },
  };
}

/** A source for a `memory://` name nobody registered: every read is `source_not_found`. */
function missingSource(url: URL): ByteSource {
  const fail = (options?: FetchOptions): Promise<never> => {
    void options;
    return Promise.reject(new AppError('source_not_found', `Not found: ${url.href} (no such memory source).`));
  };
  return { url, fetch: (_o, _l, options) => fail(options), head: fail };
}

/**
 * Joins a storage base (local directory, `file://`, `http(s)://` or `s3://` prefix) and a relative name (a lookup
 * file name such as `annual/tas_0001.tif`). A `relative` that is itself a URL is returned as is; so is an absolute
 * path under a local base. Under a URL base, exactly one slash separates the parts (a leading `/` or `./` on
 * `relative` is dropped: names in a lookup are relative to the storage base).
 */
export function joinUrl(base: string, relative: string): string {
  if (SCHEME.test(relative)) return relative;
  const rel = relative.replace(/^(\.\/)+/, '');
  if (!SCHEME.test(base)) return isAbsolute(rel) ? rel : joinPath(base, rel);
  return `${base.replace(/\/+$/, '')}/${rel.replace(/^\/+/, '')}`;
}
