/**
 * A byte source over a buffer in memory (`memory://name`): tests, the demo, and data built on the fly.
 */
import { randomUUID } from 'node:crypto';
import { abortError } from '../errors.js';
import { checkRange } from './range.js';
import type { ByteSource, FetchOptions, SourceMetadata } from './source.js';

/** Random access to an in-memory buffer. The etag is random per content, so it changes on {@link MemorySource.set}. */
export class MemorySource implements ByteSource {
  readonly url: URL;
  metadata: SourceMetadata;
  #bytes: Uint8Array;

  /** @param url `memory://name` (a bare name gets the scheme added). */
  constructor(url: string, bytes: Uint8Array) {
    this.url = new URL(/^memory:\/\//i.test(url) ? url : `memory://${url}`);
    this.#bytes = bytes;
    this.metadata = { size: bytes.byteLength, etag: randomUUID() };
  }

  /** Replaces the content (and the etag). */
  set(bytes: Uint8Array): void {
    this.#bytes = bytes;
    this.metadata = { size: bytes.byteLength, etag: randomUUID() };
  }

  async fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer> {
    const signal = options?.signal;
    checkRange(this.url, offset, length);
    // One microtask, so an abort right after the call is honoured like on every other source.
    await Promise.resolve();
    if (signal !== undefined && signal.aborted) throw abortError(signal);
    const size = this.#bytes.byteLength;
    const start = Math.min(offset, size);
    const end = length === undefined ? size : Math.min(size, offset + length);
    // slice() copies, so callers may keep or mutate the result.
    return this.#bytes.subarray(start, Math.max(start, end)).slice().buffer;
  }

  head(options?: FetchOptions): Promise<{ size: number; etag?: string }> {
    if (options?.signal?.aborted === true) return Promise.reject(abortError(options.signal));
    return Promise.resolve({
      size: this.#bytes.byteLength,
      ...(this.metadata.etag ? { etag: this.metadata.etag } : {}),
    });
  }
}
