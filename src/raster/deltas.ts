/**
 * Rows of horizontal deltas (TIFF predictor 2 left undone): what they are, which blocks a scan may hand over as
 * deltas, and the loops that turn them into values. A consumer that sums the deltas in its own pass over the samples
 * saves the pass that would undo the predictor (see `RowEncoding`).
 */
import { nativeDeltaCount } from './codecs/libdeflate.js';
import type { BlockCoding } from './decode.js';
import type { DType, TypedArray } from './types.js';

/**
 * True when blocks of this coding may be handed to a scan as stored rows of deltas: horizontal differencing
 * (predictor 2) of one unsigned 8/16-bit sample per pixel in host (little-endian) byte order, so a running sum modulo
 * 2^bits from the block's first column gives the values.
 */
export function storesDeltas(coding: BlockCoding, dtype: DType): boolean {
  return (
    coding.predictor === 2 &&
    coding.samples === 1 &&
    (dtype === 'uint16' || dtype === 'uint8') &&
    (coding.littleEndian || coding.bitsPerSample === 8)
  );
}

/** The mask that wraps sums of `dtype` deltas (sum & mask = sum mod 2^bits); null when scans never hand over deltas. */
export function deltaMask(dtype: DType): number | null {
  return dtype === 'uint16' ? 0xffff : dtype === 'uint8' ? 0xff : null;
}

/*
 * The summing loops, fused with counting the values (a histogram's bins are the values themselves, so the values are
 * never written back). Small functions of their own: V8 compiles them to tighter code than the same loops inside a
 * larger function (measured 1.47 → ~1.05 ns per cell).
 */

/**
 * One run of a delta row that starts at `samples[row]`: carries the running sum `acc` (the value at block column
 * `k − 1`; 0 when `k` is 0) on to column `s1 − 1`, counting the value of each column in [`s0`, `s1`) in
 * `counts[value]` (`k` ≤ `s0` < `s1`). Returns the sum at column `s1 − 1`, to carry on to the row's next run.
 */
export function countDeltaRun(
  samples: TypedArray,
  row: number,
  k: number,
  s0: number,
  s1: number,
  acc: number,
  mask: number,
  counts: Uint32Array,
): number {
  let i = k;
  for (; i < s0; i++) acc += samples[row + i] as number;
  for (; i < s1; i++) {
    acc = (acc + (samples[row + i] as number)) & mask;
    counts[acc]!++;
  }
  return acc;
}

/**
 * {@link countDeltaRun} from column 0 for two rows (starting at `samples[a]` and `samples[b]`) that need the same
 * columns [`s0`, `s1`): their running sums are independent, so one loop carries both (the CPU overlaps the two
 * dependency chains; ~1.2× faster than one row at a time).
 */
export function countDeltaRunPair(
  samples: TypedArray,
  a: number,
  b: number,
  s0: number,
  s1: number,
  mask: number,
  counts: Uint32Array,
): void {
  let x = 0;
  let y = 0;
  let k = 0;
  for (; k < s0; k++) {
    x += samples[a + k] as number;
    y += samples[b + k] as number;
  }
  for (; k < s1; k++) {
    x = (x + (samples[a + k] as number)) & mask;
    y = (y + (samples[b + k] as number)) & mask;
    counts[x]!++;
    counts[y]!++;
  }
}

/**
 * Counts rows of deltas into `counts` (bin = value): row i starts at `samples[first + i·stride]` (block column 0),
 * and the values of its columns [`cols[2i]`, `cols[2i+1]`) are counted; a row with `cols[2i] ≥ cols[2i+1]` is
 * skipped. `counts` has a bin for every value of the samples' type (65 536 for 16-bit rows, 256 for 8-bit). Returns
 * the values counted. The JavaScript loop of {@link deltaRowCounter} and the reference its native twin is tested
 * against.
 */
export function countDeltaRows(
  samples: Uint16Array | Uint8Array,
  first: number,
  stride: number,
  cols: Int32Array,
  counts: Uint32Array,
): number {
  const mask = samples instanceof Uint16Array ? 0xffff : 0xff;
  const rows = cols.length >> 1;
  let n = 0;
  for (let i = 0; i < rows; i++) {
    const s0 = cols[2 * i] as number;
    const s1 = cols[2 * i + 1] as number;
    if (s0 >= s1) continue;
    const row = first + i * stride;
    n += s1 - s0;
    if (i + 1 < rows && cols[2 * i + 2] === s0 && cols[2 * i + 3] === s1) {
      countDeltaRunPair(samples, row, row + stride, s0, s1, mask, counts);
      n += s1 - s0;
      i++;
    } else {
      countDeltaRun(samples, row, 0, s0, s1, 0, mask, counts);
    }
  }
  return n;
}

/**
 * The fastest {@link countDeltaRows} this process has: the native binding's (`native/inflate/count.c`, ~2.5× the
 * JavaScript loop's rate) when it is built, else the JavaScript loop. Both count the same.
 */
export function deltaRowCounter(): typeof countDeltaRows {
  return nativeDeltaCount() ?? countDeltaRows;
}
