/**
 * A decoded block as the reader and the block cache hold it: samples of the file's dtype (or packed mask bits)
 * whose rows are finished (byte order, predictor) lazily, the first time a window needs them. A tile that needs
 * 16 rows of a 256-row, 13 MB pixel-interleaved block pays for 16 rows of predictor work, not 256.
 */
import { finishRows, needsFinishing, rowBytes } from './decode.js';
import type { BlockCoding } from './decode.js';
import type { TypedArray } from './types.js';

export class Block {
  /** Samples of the block in file layout (rows × width × samples), or packed bits for a mask. */
  readonly data: TypedArray;
  /** Rows decoded: all the block's rows, or a prefix when only the top of the block was needed. */
  readonly rows: number;
  private readonly bytes: Uint8Array;
  private readonly coding: BlockCoding;
  /** Per row: 1 once finished; null when no row needs finishing. */
  private pending: Uint8Array | null;

  /** `finished`: rows [first, end) are already finished (a decode worker did them). */
  constructor(bytes: Uint8Array, data: TypedArray, coding: BlockCoding, finished?: readonly [number, number] | null) {
    this.bytes = bytes;
    this.data = data;
    this.coding = coding;
    this.rows = Math.floor(bytes.length / rowBytes(coding));
    this.pending = needsFinishing(coding) ? new Uint8Array(this.rows) : null;
    if (this.pending && finished) this.pending.fill(1, Math.max(0, finished[0]), Math.min(this.rows, finished[1]));
  }

  /** Makes rows [r0, r1) of the block readable (runs each row's finishing at most once). */
  prepare(r0: number, r1: number): void {
    const done = this.pending;
    if (done === null) return;
    const end = Math.min(r1, this.rows);
    let r = Math.max(0, r0);
    while (r < end) {
      if (done[r] === 1) {
        r++;
        continue;
      }
      // Finish a run of unfinished rows in one call.
      let e = r + 1;
      while (e < end && done[e] === 0) e++;
      finishRows(this.bytes, this.coding, r, e);
      done.fill(1, r, e);
      r = e;
    }
  }
}
