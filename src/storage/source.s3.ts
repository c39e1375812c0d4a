/**
 * A byte source over an S3 object (`s3://bucket/key`) with ranged GETs (signed with the client's credentials and
 * sent with undici's dispatcher, `s3.get.ts`), for AWS or any S3-compatible server (custom endpoint, path-style); HEAD goes
 * through the SDK. Retries are ours (the client is made with `maxAttempts: 1`) so HTTP and S3 fail
 * the same way.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AppError } from '../errors.js';
import type { MergeOptions } from './merge.js';
import { RetryableError, retryPolicy, withRetry, type RetryOptions } from './retry.js';
import type { HttpResponse } from './http.get.js';
import { rangeHeader } from './range.js';
import { s3RangeGet, type S3RangeGet } from './s3.get.js';
import { remoteFetch, type RangeRequest, type RemoteReads, type RequestLimit } from './source.remote.js';
import type { ByteSource, FetchOptions, SourceMetadata } from './source.js';

/** How to reach the S3 service. Credentials come from the AWS default chain (env, profile, IMDS…). */
export interface S3ClientOptions {
  /** Custom endpoint URL for S3-compatible servers (MinIO, Ceph, s3rver…); `S3_ENDPOINT` in the config. */
  endpoint?: string;
  /** AWS region; default: the SDK's chain, or `us-east-1` when a custom endpoint is given. */
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  /** Connections kept per host (the SDK's default is 50); at least the requests in flight. */
  maxSockets?: number;
}

/** Creates the one S3 client a process shares. The SDK's own retries are off: {@link S3Source} retries. */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const region = options.region ?? (options.endpoint !== undefined ? 'us-east-1' : undefined);
  return new S3Client({
    ...(region !== undefined ? { region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: 1,
    ...(options.maxSockets !== undefined
      ? {
          requestHandler: {
            httpAgent: { keepAlive: true, maxSockets: options.maxSockets },
            httpsAgent: { keepAlive: true, maxSockets: options.maxSockets },
          },
        }
      : {}),
  });
}

/** Options of {@link S3Source}. */
export interface S3SourceOptions extends RetryOptions {
  /** Range merging; by default gaps up to 256 KiB are read through (`DEFAULT_MERGE_GAP_BYTES`). */
  merge?: MergeOptions;
  /** Bounds the requests in flight (shared with the resolver's other remote sources). */
  limit?: RequestLimit;
}

/** Splits `s3://bucket/key` into its parts. @throws AppError `invalid_request` */
export function parseS3Url(url: string | URL): { bucket: string; key: string } {
  const u = new URL(url);
  const key = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (u.protocol !== 's3:' || u.hostname === '' || key === '') {
    throw new AppError('invalid_request', `Not an s3://bucket/key URL: ${String(url)}.`);
  }
  return { bucket: u.hostname, key };
}

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Random access to one S3 object. `etag` is the object's ETag. */
export class S3Source implements ByteSource {
  readonly url: URL;
  metadata?: SourceMetadata;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #key: string;
  readonly #policy: Required<RetryOptions>;
  readonly #reads: RemoteReads;
  readonly #get: S3RangeGet;

  constructor(url: string | URL, client: S3Client, options: S3SourceOptions = {}) {
    const { bucket, key } = parseS3Url(url);
    this.url = new URL(url);
    this.#client = client;
    this.#bucket = bucket;
    this.#key = key;
    this.#policy = retryPolicy(options);
    this.#get = s3RangeGet(client);
    this.#reads = remoteFetch(this.url, this.#readRange, options.merge, options.limit);
  }

  fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer> {
    return this.#reads.fetch(offset, length, options);
  }

  fetchBytes(offset: number, length?: number, options?: FetchOptions): Promise<Uint8Array> {
    return this.#reads.fetchBytes(offset, length, options);
  }

  release(bytes: Uint8Array): void {
    this.#reads.release(bytes);
  }

  async head(options?: FetchOptions): Promise<{ size: number; etag?: string }> {
    const out = await withRetry(this.url.href, this.#policy, options?.signal, async (signal) => {
      try {
        return await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key }), {
          abortSignal: signal,
        });
      } catch (err) {
        throw this.#classify(err);
      }
    });
    this.#learn(out.ContentLength ?? 0, out.ETag);
    return { size: out.ContentLength ?? 0, ...(out.ETag !== undefined ? { etag: out.ETag } : {}) };
  }

  /** Maps an SDK error to AppError (final) or RetryableError; returns network errors unchanged for withRetry. */
  #classify(err: unknown): unknown {
    if (err instanceof AppError || err instanceof RetryableError) return err;
    const e = (err ?? {}) as SdkError;
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? e.Code ?? 'Error';
    if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
      return new AppError('source_not_found', `Not found: ${this.url.href} (${name}).`, { cause: err });
    }
    if (status !== undefined && (status >= 500 || status === 429 || status === 408)) {
      return new RetryableError('unavailable', `S3 ${name} (HTTP ${status})`, { cause: err });
    }
    if (name === 'SlowDown' || name === 'InternalError' || name === 'ServiceUnavailable' || name === 'RequestTimeout') {
      return new RetryableError('unavailable', `S3 ${name}`, { cause: err });
    }
    if (status === 401 || status === 403 || name === 'AccessDenied' || name === 'CredentialsProviderError') {
      const msg = err instanceof Error ? err.message : name;
      return new AppError('source_unavailable', `Access denied to ${this.url.href}: ${msg}`, { cause: err });
    }
    if (status !== undefined) {
      return new AppError('source_read_error', `Reading ${this.url.href} failed: S3 ${name} (HTTP ${status}).`, {
        cause: err,
      });
    }
    return err;
  }

  /** Maps a non-2xx GET response to an AppError (final) or RetryableError (S3's error code from the XML body). */
  async #checkGet(res: HttpResponse): Promise<void> {
    if (res.ok || res.status === 416) return;
    const text = await res.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const name = code ?? `HTTP ${res.status}`;
    throw this.#classify({ name, Code: code, $metadata: { httpStatusCode: res.status } });
  }

  /**
   * One ranged GET with retries, signed and sent with `httpGet` (`s3.get.ts`: the SDK's command stack cost ~3.5 ms
   * of CPU per request, `fetch` ~1.1 ms). Resolves with the bytes, fewer only at the end of the object.
   */
  readonly #readRange: RangeRequest = (offset, length, signal, alloc) => {
    const range = rangeHeader(offset, length);
    return withRetry(this.url.href, this.#policy, signal, async (attemptSignal) => {
      const res = await this.#get(this.#bucket, this.#key, range, attemptSignal, alloc);
      await this.#checkGet(res);
      const etag = res.headers.get('etag') ?? undefined;
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      const total = m?.[3] !== undefined && m[3] !== '*' ? Number(m[3]) : undefined;
      if (res.status === 416) {
        // The range starts at or past the end of the object.
        res.cancel();
        const t = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
        if (t !== undefined) this.#learn(Number(t), etag);
        return new Uint8Array(0);
      }
      let bytes: Uint8Array;
      try {
        bytes = await res.bytes(alloc);
      } catch (err) {
        throw new RetryableError('short', `body read failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      if (total !== undefined) this.#learn(total, etag);
      const start = m?.[1] !== undefined ? Number(m[1]) : 0;
      const declared = res.headers.get('content-length');
      const expected =
        m?.[2] !== undefined
          ? Number(m[2]) - start + 1
          : declared !== null
            ? Number(declared)
            : Math.min(length ?? Infinity, (total ?? Infinity) - offset);
      if (Number.isFinite(expected) && bytes.byteLength < expected) {
        throw new RetryableError('short', `truncated body: ${bytes.byteLength} of ${expected} bytes`);
      }
      if (m === null) this.#learn(bytes.byteLength, etag);
      // No Content-Range: the whole object came back; cut our range out of it.
      const from = m === null ? offset : offset - start;
      const a = Math.min(from, bytes.byteLength);
      const b = Math.min(from + (length ?? Infinity), bytes.byteLength);
      return a === 0 && b === bytes.byteLength ? bytes : bytes.subarray(a, b);
    });
  };

  #learn(size: number, etag: string | undefined): void {
    this.metadata = { size, ...(etag !== undefined ? { etag } : {}) };
  }
}
