/**
 * Rows of horizontal deltas (TIFF predictor 2 left undone): what they are, which blocks a scan may hand over as
 * deltas, and the loops that turn them into values. A consumer that sums the deltas in its own pass over the samples
 * saves the pass that would undo the predictor (see `RowEncoding`).
 */
import type { BlockCoding } from './decode.js';
import type { DType } from './types.js';

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
