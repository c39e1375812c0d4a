/**
 * The front that the HTTP and S3 sources share before their requests: argument checks, the empty read, one
 * open-ended request for "to the end", and same-turn range merging for the rest.
 */
import { abortError } from '../errors.js';
import { createRangeMerger, type MergeOptions } from './merge.js';
import { checkRange } from './range.js';
import type { ByteSource } from './source.js';

/** One ranged request (with its retries): `length` bytes at `offset`, or to the end when `length` is undefined. */
export type RangeRequest = (
  offset: number,
  length: number | undefined,
  signal: AbortSignal | undefined,
) => Promise<ArrayBuffer>;

/**
 * A `ByteSource.fetch` over `request`. By default gaps up to 32 KiB between same-turn reads are read through, as
 * one round trip costs more than 32 KiB.
 * @param url names the object in error messages (without credentials).
 */
export function remoteFetch(url: URL, request: RangeRequest, merge?: MergeOptions): ByteSource['fetch'] {
  const merged = createRangeMerger(request, { maxGapBytes: 32 * 1024, ...merge });
  return async (offset, length, options) => {
    const signal = options?.signal;
    if (signal?.aborted === true) throw abortError(signal);
    checkRange(url, offset, length);
    if (length === 0) return new ArrayBuffer(0);
    // To the end: one open-ended range request (`bytes=N-`), no HEAD first and no merging.
    if (length === undefined) return request(offset, undefined, signal);
    return merged(offset, length, options);
  };
}
