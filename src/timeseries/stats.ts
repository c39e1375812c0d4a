/**
 * Zonal statistics of whole windows: per-band mean and median over the cells of an area, float64.
 *
 * Missing samples (equal to the block's nodata, or NaN) are skipped; a band with no present sample in the area
 * gives `null` for both statistics. Cells whose coverage weight is 0 are not in the area.
 *
 * Two modes:
 * - unweighted (`centre` / `all_touched` coverage: weights are 0 or 1): plain mean, and the median of the present
 *   values (an even count gives the mean of the two middle values, as numpy's nanmedian);
 * - weighted (`fractional` coverage: weights in (0, 1]): Σwx / Σw, and exactextract's weighted median
 *   (`weightedQuantile` at q = 0.5).
 *
 * Speed: the cells of the area are found once per reducer; per band the hot loop gathers present values into a
 * reused scratch buffer. The median uses a 65 536-bin histogram for 8/16-bit integer data (linear, no sort), or
 * quickselect otherwise; never a full sort (except the weighted median, which needs the sorted order).
 * `stats.strips.ts` computes the same unweighted statistics from blocks fed in strips, without the window.
 */
import { AppError } from '../errors.js';
import { DTYPE_RANGE } from '../raster/dtype.js';
import type { DType, RasterBlock, TypedArray } from '../raster/types.js';
import { histogramMedian, medianInPlace, weightedQuantileOf } from './stats.median.js';

/** Per-band statistics of one block: one entry per band of the block, `null` when the band has no present cell. */
export interface BandStatistics {
  mean: (number | null)[];
  median: (number | null)[];
}

/** Reduces blocks read over one window to per-band statistics. Reusable across blocks (not thread-safe). */
export interface ZonalReducer {
  /** Window width and height in pixels the reducer expects (the coverage grid). */
  readonly width: number;
  readonly height: number;
  /** Cells with a non-zero weight (the area's cells, present or missing). */
  readonly cellCount: number;
  /** Statistics of every band of `block` (band-sequential, `block.width × block.height` = the coverage grid). */
  reduce(block: RasterBlock): BandStatistics;
}

/** Options of {@link createZonalReducer}. */
export interface ZonalReducerOptions {
  /** Use the weights as fractions (weighted mean / weighted median) instead of as a 0/1 mask. */
  weighted: boolean;
}

/**
 * Offset of 8/16-bit integer data in a 65 536-bin histogram (value v counts in bin v + offset), or undefined for
 * other dtypes.
 */
export function histogramOffset(dtype: DType): number | undefined {
  const [lo, hi] = DTYPE_RANGE[dtype];
  if (!Number.isInteger(lo) || hi - lo >= 65536) return undefined;
  return lo === 0 ? 0 : -lo;
}

/** Below this many cells quickselect beats clearing and scanning 65 536 histogram bins. */
const HISTOGRAM_MIN_CELLS = 4096;

/**
 * A reducer for a window of `width × height` cells with coverage `weights` (row-major, one per cell; 0 = not in
 * the area). The weights are copied into an index list, so the caller may reuse the array.
 */
export function createZonalReducer(
  weights: ArrayLike<number>,
  width: number,
  height: number,
  options: ZonalReducerOptions,
): ZonalReducer {
  const size = width * height;
  if (weights.length !== size) {
    throw new AppError('internal_error', `Coverage has ${weights.length} weights for a ${width}×${height} window.`);
  }
  let count = 0;
  for (let i = 0; i < size; i++) if ((weights[i] ?? 0) > 0) count++;
  const cells = new Int32Array(count);
  const cellWeights = new Float64Array(count);
  for (let i = 0, k = 0; i < size; i++) {
    const w = weights[i] ?? 0;
    if (w > 0) {
      cells[k] = i;
      cellWeights[k] = w;
      k++;
    }
  }
  const scratch = new Float64Array(count);
  const scratchW = options.weighted ? new Float64Array(count) : null;
  const order = options.weighted ? new Int32Array(count) : null;
  let histogram: Uint32Array | null = null;

  return {
    width,
    height,
    cellCount: count,
    reduce(block: RasterBlock): BandStatistics {
      if (block.width !== width || block.height !== height) {
        throw new AppError(
          'internal_error',
          `Block is ${block.width}×${block.height} but the coverage is ${width}×${height}.`,
        );
      }
      const nBands = block.bands.length;
      const mean: (number | null)[] = new Array<number | null>(nBands);
      const median: (number | null)[] = new Array<number | null>(nBands);
      const data: TypedArray = block.data;
      const nodata = block.nodata;
      const hasNodata = nodata !== null && !Number.isNaN(nodata);
      const offset = histogramOffset(block.dtype);
      const useHistogram = !options.weighted && offset !== undefined && count >= HISTOGRAM_MIN_CELLS;
      if (useHistogram && histogram === null) histogram = new Uint32Array(65536);

      for (let b = 0; b < nBands; b++) {
        const base = b * size;
        if (useHistogram && histogram !== null) {
          const r = histogramStats(data, base, cells, hasNodata ? (nodata as number) : NaN, offset ?? 0, histogram);
          mean[b] = r === null ? null : r.mean;
          median[b] = r === null ? null : r.median;
          continue;
        }
        // Gather present values (and weights) of the area's cells.
        let m = 0;
        let sum = 0;
        let wsum = 0;
        for (let k = 0; k < count; k++) {
          const v = data[base + (cells[k] as number)] as number;
          if (v !== v || (hasNodata && v === nodata)) continue;
          scratch[m] = v;
          if (scratchW !== null) {
            const w = cellWeights[k] as number;
            scratchW[m] = w;
            sum += w * v;
            wsum += w;
          } else {
            sum += v;
          }
          m++;
        }
        if (m === 0) {
          mean[b] = null;
          median[b] = null;
        } else if (scratchW !== null && order !== null) {
          mean[b] = sum / wsum;
          median[b] = weightedQuantileOf(scratch, scratchW, order, m, 0.5);
        } else {
          mean[b] = sum / m;
          median[b] = medianInPlace(scratch, m);
        }
      }
      return { mean, median };
    },
  };
}

/** Mean and median of a band via a histogram of (value + offset); values are integers in [0, 65535] after offset. */
function histogramStats(
  data: TypedArray,
  base: number,
  cells: Int32Array,
  nodata: number,
  offset: number,
  hist: Uint32Array,
): { mean: number; median: number } | null {
  // `hist` is all zeros on entry and is left so: only the bins between the lowest and highest value are cleared.
  let m = 0;
  let sum = 0;
  let lo = hist.length;
  let hi = -1;
  const count = cells.length;
  for (let k = 0; k < count; k++) {
    const v = data[base + (cells[k] as number)] as number;
    if (v === nodata) continue;
    const bin = v + offset;
    hist[bin]!++;
    if (bin < lo) lo = bin;
    if (bin > hi) hi = bin;
    sum += v;
    m++;
  }
  if (m === 0) return null;
  const median = histogramMedian(hist, m, offset, lo, hi + 1);
  hist.fill(0, lo, hi + 1);
  return { mean: sum / m, median };
}
