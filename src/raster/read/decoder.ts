/**
 * How the 'decoded' read path turns a block's stored bytes into a buffer of its own: inline on this thread
 * ({@link inlineDecoder}), or split between this thread and the decode pool (`DecodeSchedule`, decoder.pool.ts).
 */
import type { LimitFunction } from 'p-limit';

import type { ZstdDecode } from '../codecs/zstd.js';
import { inflateBlock } from '../decode.js';
import type { BlockCoding } from '../decode.js';

/** A decoded block; rows [finished[0], finished[1]) are already in native byte order with the predictor undone. */
export interface DecodedBytes {
  bytes: Uint8Array;
  finished: readonly [number, number] | null;
}

/** Decodes stored blocks for one read. */
export interface BlockDecoder {
  /**
   * Decompresses `raw` (one stored block of `coding`) into a fresh buffer of at least its first `needRows` rows
   * (`inflateBlock`); a decoder may also finish rows `finish` (those the read needs).
   * @throws Error when the data is corrupt or short (the caller names the file).
   */
  decode(raw: Uint8Array, coding: BlockCoding, needRows: number, finish: [number, number]): Promise<DecodedBytes>;
}

/** Decodes on this thread, at most as many blocks at once as `slots` allows (large ones inflate on the libuv pool). */
export function inlineDecoder(slots: LimitFunction, zstd: ZstdDecode | null): BlockDecoder {
  return {
    async decode(raw, coding, needRows) {
      return { bytes: await slots(() => inflateBlock(raw, coding, zstd, needRows)), finished: null };
    },
  };
}
