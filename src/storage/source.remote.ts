/**
 * The front that the HTTP and S3 sources share before their requests: argument checks, the empty read, one
 * open-ended request for "to the end", and same-turn range merging for the rest.
 */
import { abortError } from '../errors.js';
import { createViewMerger, ownBuffer, type MergeOptions } from './merge.js';
import { checkRange } from './range.js';
import type { ByteSource } from './source.js';

/** One ranged request (with its retries): `length` bytes at `offset`, or to the end when `length` is undefined. */
export type RangeRequest = (
  offset: number,
  length: number | undefined,
  signal: AbortSignal | undefined,
) => Promise<ArrayBuffer>;

/**
 * Bounds the requests in flight: runs `fn` when a slot is free (a `p-limit` function fits). One is shared by every
 * remote source of a resolver, so a thread's requests stay within its share of `storage_requests_in_flight`.
 */
export type RequestLimit = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Default read-through gap of remote sources. Measured on the `s3` bench (10 000 cells × 1898 bands): 256 KiB halved
 * the requests (3 471 → 1 748) but doubled the bytes (300 → 608 MB) and took longer; with requests in flight sized
 * for the latency, a round trip is hidden and the bytes are what cost. `storage_merge_gap_bytes` sets it.
 */
export const DEFAULT_MERGE_GAP_BYTES = 32 * 1024;

/** The reads of a remote source: `ByteSource.fetch` and `ByteSource.fetchBytes`. */
export interface RemoteReads {
  fetch: ByteSource['fetch'];
  fetchBytes: NonNullable<ByteSource['fetchBytes']>;
}

/**
 * `ByteSource.fetch` and `fetchBytes` over `request`. By default gaps up to 32 KiB between same-turn reads are read
 * through. With `limit`, every request (after merging) waits for a slot of it.
 * @param url names the object in error messages (without credentials).
 */
export function remoteFetch(url: URL, raw: RangeRequest, merge?: MergeOptions, limit?: RequestLimit): RemoteReads {
  const request: RangeRequest = limit ? (o, l, s) => limit(() => raw(o, l, s)) : raw;
  const merged = createViewMerger(request, { maxGapBytes: DEFAULT_MERGE_GAP_BYTES, ...merge });
  const fetchBytes: RemoteReads['fetchBytes'] = async (offset, length, options) => {
    const signal = options?.signal;
    if (signal?.aborted === true) throw abortError(signal);
    checkRange(url, offset, length);
    if (length === 0) return new Uint8Array(0);
    // To the end: one open-ended range request (`bytes=N-`), no HEAD first and no merging.
    if (length === undefined) return new Uint8Array(await request(offset, undefined, signal));
    return merged(offset, length, options);
  };
  return { fetchBytes, fetch: async (offset, length, options) => ownBuffer(await fetchBytes(offset, length, options)) };
}
