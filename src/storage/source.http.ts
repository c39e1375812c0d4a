/**
 * A byte source over HTTP(S) range requests (undici's dispatcher with keep-alive, `http.get.ts`; HEAD with `fetch`). Same-turn neighbouring reads are merged into one
 * request; failures worth retrying (5xx, 429, timeouts, resets, truncated bodies) are retried with backoff.
 */
import { AppError } from '../errors.js';
import type { BodyAlloc } from './bodies.js';
import { httpGet, type HttpResponse } from './http.get.js';
import { rangeHeader } from './range.js';
import type { MergeOptions } from './merge.js';
import { describeCause, RetryableError, retryPolicy, withRetry, type RetryOptions } from './retry.js';
import { remoteFetch, type RangeRequest, type RemoteReads, type RequestLimit } from './source.remote.js';
import type { ByteSource, FetchOptions, SourceMetadata } from './source.js';

/** Options of {@link HttpSource}. */
export interface HttpSourceOptions extends RetryOptions {
  /** Range merging; by default gaps up to 256 KiB are read through (`DEFAULT_MERGE_GAP_BYTES`). */
  merge?: MergeOptions;
  /** Bounds the requests in flight (shared with the resolver's other remote sources). */
  limit?: RequestLimit;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /**
   * Largest object read whole when the server ignores `Range` (answers 200); bigger ones fail with
   * `source_read_error` rather than being downloaded for every block (default 32 MiB).
   */
  maxWholeBytes?: number;
}

/** The object version from a response: ETag, else Last-Modified. */
function versionOf(res: Pick<HttpResponse, 'headers'>): string | undefined {
  return res.headers.get('etag') ?? res.headers.get('last-modified') ?? undefined;
}

/** Parses `bytes a-b/total` or `bytes *\/total`. */
function parseContentRange(value: string | null): { start?: number; end?: number; total?: number } | null {
  if (value === null) return null;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (m === null) return null;
  return {
    ...(m[1] !== undefined && m[2] !== undefined ? { start: Number(m[1]), end: Number(m[2]) } : {}),
    ...(m[3] !== undefined && m[3] !== '*' ? { total: Number(m[3]) } : {}),
  };
}

/** `url` without user, password or query string, for messages that reach clients and logs. */
export function redactUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  const hadQuery = u.search !== '';
  u.search = '';
  return hadQuery ? `${u.href}?…` : u.href;
}

/**
 * The body (into `alloc`'s memory when given); a connection that drops mid-body is a truncated body (retryable,
 * `source_read_error` at the end).
 */
async function readBody(res: HttpResponse, alloc?: BodyAlloc): Promise<Uint8Array> {
  try {
    return await res.bytes(alloc);
  } catch (err) {
    throw new RetryableError('short', `truncated body (${describeCause(err)})`, { cause: err });
  }
}

/** Random access to an HTTP(S) object through `Range` requests. */
export class HttpSource implements ByteSource {
  readonly url: URL;
  metadata?: SourceMetadata;
  readonly #policy: Required<RetryOptions>;
  readonly #headers: Record<string, string>;
  readonly #maxWholeBytes: number;
  /** The URL as shown in messages: no credentials, no query string (it may hold a signature). */
  readonly #shown: string;
  readonly #reads: RemoteReads;

  constructor(url: string | URL, options: HttpSourceOptions = {}) {
    const parsed = new URL(url);
    this.#shown = redactUrl(parsed);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new AppError('invalid_request', `Not an HTTP(S) URL: ${this.#shown}.`);
    }
    // fetch() refuses URLs with credentials: move them to a Basic authorization header.
    const auth: Record<string, string> = {};
    if (parsed.username !== '' || parsed.password !== '') {
      const user = decodeURIComponent(parsed.username);
      const pass = decodeURIComponent(parsed.password);
      auth['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.url = parsed;
    this.#policy = retryPolicy(options);
    // identity: a transparently decompressed body would not match the byte range asked for.
    this.#headers = { 'accept-encoding': 'identity', ...auth, ...options.headers };
    this.#maxWholeBytes = options.maxWholeBytes ?? 32 * 1024 * 1024;
    this.#reads = remoteFetch(parsed, this.#readFull, options.merge, options.limit);
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
    const meta = await withRetry(this.#shown, this.#policy, options?.signal, async (signal) => {
      const res = await fetch(this.url, { method: 'HEAD', headers: this.#headers, signal });
      // Only "missing" and server trouble are final for HEAD; anything else (405, 403 on HEAD…) gets the probe.
      if (res.status === 404 || res.status === 410 || res.status >= 500) this.#checkStatus(res);
      const len = res.headers.get('content-length');
      if (res.ok && len !== null && res.headers.get('content-encoding') === null) {
        return { size: Number(len), etag: versionOf(res) };
      }
      // No usable length from HEAD (or HEAD refused): ask for the first byte and read the total from Content-Range.
      const probe = await fetch(this.url, { headers: { ...this.#headers, range: 'bytes=0-0' }, signal });
      this.#checkStatus(probe);
      const body = await probe.arrayBuffer();
      if (probe.status === 206) {
        const total = parseContentRange(probe.headers.get('content-range'))?.total;
        if (total !== undefined) return { size: total, etag: versionOf(probe) };
      }
      if (probe.status === 416) {
        const total = parseContentRange(probe.headers.get('content-range'))?.total;
        return { size: total ?? 0, etag: versionOf(probe) };
      }
      return { size: body.byteLength, etag: versionOf(probe) };
    });
    this.metadata = { size: meta.size, ...(meta.etag !== undefined ? { etag: meta.etag } : {}) };
    return { ...this.metadata, size: meta.size };
  }

  /** Non-retryable statuses become AppErrors; retryable ones RetryableErrors. */
  #checkStatus(res: Pick<HttpResponse, 'ok' | 'status' | 'statusText'> & { cancel?(): void }): void {
    if (res.ok || res.status === 416) return;
    res.cancel?.(); // the body is not read: free the connection
    const what = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status === 404 || res.status === 410) {
      throw new AppError('source_not_found', `Not found: ${this.#shown} (${what}).`);
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new RetryableError('unavailable', what);
    if (res.status === 401 || res.status === 403) {
      throw new AppError('source_unavailable', `Access denied to ${this.#shown} (${what}).`);
    }
    throw new AppError('source_read_error', `Reading ${this.#shown} failed: ${what}.`);
  }

  /**
   * A range in as many requests as the server needs: some servers cap the bytes of one 206 below what was asked,
   * so a short 206 that is not at the end of the object is followed by a request for the rest.
   */
  readonly #readFull: RangeRequest = async (offset, length, signal, alloc) => {
    const first = await this.#readRange(offset, length, signal, alloc);
    const size = this.metadata?.size;
    const end = length === undefined ? size : Math.min(offset + length, size ?? Infinity);
    if (first.byteLength === 0 || end === undefined || offset + first.byteLength >= end) return first;
    const rest = await this.#readFull(
      offset + first.byteLength,
      length === undefined ? undefined : length - first.byteLength,
      signal,
    );
    const out = new Uint8Array(first.byteLength + rest.byteLength);
    out.set(first, 0);
    out.set(rest, first.byteLength);
    return out;
  };

  /** One ranged GET with retries. Resolves with the bytes, fewer only at the end of the object. */
  readonly #readRange: RangeRequest = (offset, length, signal, alloc) => {
    const range = rangeHeader(offset, length);
    return withRetry(this.#shown, this.#policy, signal, async (attemptSignal) => {
      const res = await httpGet(this.url, { ...this.#headers, range }, attemptSignal, alloc);
      this.#checkStatus(res);
      if (res.status === 416) {
        // The range starts at or past the end of the object.
        res.cancel();
        const total = parseContentRange(res.headers.get('content-range'))?.total;
        if (total !== undefined) this.#learn(total, versionOf(res));
        return new Uint8Array(0);
      }
      if (res.status === 206) {
        const cr = parseContentRange(res.headers.get('content-range'));
        if (cr?.start !== offset || cr.end === undefined) {
          res.cancel();
          throw new AppError(
            'source_read_error',
            `Reading ${this.#shown} failed: asked for ${range}, got Content-Range ${String(res.headers.get('content-range'))}.`,
          );
        }
        if (cr.total !== undefined) this.#learn(cr.total, versionOf(res));
        const body = await readBody(res, alloc);
        const expected = cr.end - cr.start + 1;
        if (body.byteLength < expected) {
          throw new RetryableError('short', `truncated body: ${body.byteLength} of ${expected} bytes`);
        }
        return length !== undefined && body.byteLength > length ? body.subarray(0, length) : body;
      }
      // 200: the server ignored the range and sent the whole object. Fine for small objects (lookups); for a big
      // COG, downloading all of it per block would be a silent disaster, so say so instead.
      const declared = res.headers.get('content-length');
      if (length !== undefined && (declared === null || Number(declared) > this.#maxWholeBytes)) {
        res.cancel();
        throw new AppError(
          'source_read_error',
          `${this.#shown} does not support range requests (the server sent the whole object, ${declared ?? 'unknown'} bytes, for a ${length}-byte range).`,
        );
      }
      const body = await readBody(res);
      if (declared !== null && body.byteLength < Number(declared)) {
        throw new RetryableError('short', `truncated body: ${body.byteLength} of ${declared} bytes`);
      }
      this.#learn(body.byteLength, versionOf(res));
      const stop = length === undefined ? body.byteLength : Math.min(offset + length, body.byteLength);
      return offset === 0 && stop === body.byteLength ? body : body.subarray(Math.min(offset, stop), stop);
    });
  };

  #learn(size: number, etag: string | undefined): void {
    this.metadata = { size, ...(etag !== undefined ? { etag } : {}) };
  }
}
