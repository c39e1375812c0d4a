/**
 * Zonal statistics kernels: per-band mean and median over the cells of an area (U§3.6–§3.7), float64.
 *
 * Missing samples (equal to the block's nodata, or NaN) are skipped; a band with no present sample in the area
 * gives `null` for both statistics. Cells whose coverage weight is 0 are not in the area.
 *
 * Two modes:
 * - unweighted (`centre` / `all_touched` coverage: weights are 0 or 1): plain mean, and the median of the present
 *   values (an even count gives the mean of the two middle values, as numpy's nanmedian);
 * - weighted (`fractional` coverage: weights in (0, 1]): Σwx / Σw, and exactextract's weighted median
 *   ({@link weightedQuantile} at q = 0.5).
 *
 * Speed: the cells of the area are found once per reducer; per band the hot loop gathers present values into a
 * reused scratch buffer. The median uses a 65 536-bin histogram for 8/16-bit integer data (linear, no sort), or
 * quickselect otherwise; never a full sort (except the weighted median, which needs the sorted order).
 */
import { AppError } from '../errors.js';
import type { BlockSpan, DType, RasterBlock, TypedArray } from '../raster/types.js';

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

const SMALL_INT_OFFSET: Partial<Record<DType, number>> = { uint8: 0, int8: 128, uint16: 0, int16: 32768 };
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
      const offset = SMALL_INT_OFFSET[block.dtype];
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

/** The median of the `m` ≥ 1 values counted in bins [from, to) of `hist` (bin i holds value i − offset). */
function histogramMedian(hist: Uint32Array, m: number, offset: number, from: number, to: number): number {
  // Ranks (0-based) of the lower and upper middle values.
  const lo = (m - 1) >> 1;
  const hi = m >> 1;
  let seen = 0;
  let loVal = NaN;
  for (let i = from; i < to; i++) {
    const c = hist[i] as number;
    if (c === 0) continue;
    const next = seen + c;
    if (Number.isNaN(loVal) && lo < next) loVal = i - offset;
    if (hi < next) return (loVal + (i - offset)) / 2;
    seen = next;
  }
  /* c8 ignore next */
  throw new AppError('internal_error', 'Histogram median overran its bins.');
}

/**
 * Zeroed 65 536-bin histograms that finished accumulators leave for the next one on this thread: an extraction
 * needs one per band (256 KiB each), and fresh ones cost page faults and zeroing for every file.
 */
const FREE_HISTOGRAMS: Uint32Array[] = [];
const MAX_FREE_HISTOGRAMS = 128;

/** True when blocks of `dtype` can be reduced in row strips with {@link createStripAccumulator} (8/16-bit ints). */
export function supportsStrips(dtype: DType): boolean {
  return SMALL_INT_OFFSET[dtype] !== undefined;
}

/**
 * Accumulates the unweighted statistics of `nBands` bands over a coverage grid fed in row strips (any order, each
 * row once): per band a sum, a count and a 65 536-bin histogram, so the median is exact without holding the
 * window. Only for 8/16-bit integer data ({@link supportsStrips}); memory is 256 KiB per band.
 */
export interface StripAccumulator {
  /** Adds a block covering coverage rows `row0 … row0 + block.height − 1` (full coverage width). */
  add(block: RasterBlock, row0: number): void;
  /**
   * Adds the cells of one visited block (see `Cog.scan`) to band `band`; the coverage grid's top-left cell is pixel
   * (`col0`, `row0`) of the level. Each cell must be added once; the accumulator's nodata must be set at creation.
   */
  addSpan(band: number, samples: TypedArray, span: BlockSpan, col0: number, row0: number): void;
  /** Statistics per band, in the order the bands were fed. */
  finish(): BandStatistics;
}

/** A {@link StripAccumulator} for `nBands` bands over a `width × height` coverage with `weights` (0 = outside). */
export function createStripAccumulator(
  weights: ArrayLike<number>,
  width: number,
  height: number,
  nBands: number,
  dtype: DType,
  nodataValue?: number | null,
): StripAccumulator {
  const offset = SMALL_INT_OFFSET[dtype];
  if (offset === undefined) throw new AppError('internal_error', `Strip statistics need 8/16-bit data, not ${dtype}.`);
  if (weights.length !== width * height) {
    throw new AppError('internal_error', `Coverage has ${weights.length} weights for a ${width}×${height} window.`);
  }
  // Runs of consecutive in-area cells, row by row: [start, end) pairs of cell indices (row-major), so the hot loop
  // reads samples sequentially. rowRun[r] = index of the first run of row r.
  const runs: number[] = [];
  const rowRun = new Int32Array(height + 1);
  for (let r = 0; r < height; r++) {
    rowRun[r] = runs.length / 2;
    let c = 0;
    while (c < width) {
      while (c < width && !((weights[r * width + c] ?? 0) > 0)) c++;
      if (c === width) break;
      const s0 = c;
      while (c < width && (weights[r * width + c] ?? 0) > 0) c++;
      runs.push(r * width + s0, r * width + c);
    }
  }
  rowRun[height] = runs.length / 2;
  const runArr = Int32Array.from(runs);
  const hists = Array.from({ length: nBands }, () => FREE_HISTOGRAMS.pop() ?? new Uint32Array(65536));
  // Samples counted per band (nodata included): `finish` stops scanning bins once it has seen them all, so a small
  // area's band costs its value range, not 65 536 bins.
  const counted = new Float64Array(nBands);
  let nodata: number | null | undefined = nodataValue;
  return {
    add(block, row0) {
      if (block.width !== width || row0 < 0 || row0 + block.height > height || block.bands.length !== nBands) {
        throw new AppError('internal_error', `Strip ${block.width}×${block.height} at row ${row0} does not fit.`);
      }
      nodata ??= block.nodata;
      // (NaN nodata is one value here, though NaN !== NaN.)
      if (block.nodata !== nodata && !(Number.isNaN(block.nodata) && Number.isNaN(nodata))) {
        throw new AppError('internal_error', 'Strips of one accumulator must share their nodata value.');
      }
      const j0 = rowRun[row0] as number;
      const j1 = rowRun[row0 + block.height] as number;
      const shift = row0 * width;
      const size = block.width * block.height;
      let n = 0;
      for (let j = j0; j < j1; j++) n += (runArr[2 * j + 1] as number) - (runArr[2 * j] as number);
      for (let b = 0; b < nBands; b++) {
        accumulateRuns(block.data, b * size - shift, runArr, j0, j1, offset, hists[b] as Uint32Array);
        counted[b] = (counted[b] as number) + n;
      }
    },
    addSpan(band, samples, span, col0, row0) {
      const hist = hists[band];
      if (hist === undefined) throw new AppError('internal_error', `Band index ${band} of ${nBands}.`);
      const { clip, rowStride, step } = span;
      const cc0 = clip.c0 - col0;
      const cc1 = clip.c1 - col0;
      if (clip.r0 - row0 < 0 || clip.r1 - row0 > height || cc0 < 0 || cc1 > width) {
        throw new AppError('internal_error', `Block cells ${JSON.stringify(clip)} lie outside the coverage grid.`);
      }
      if (span.differences) {
        counted[band] =
          (counted[band] as number) +
          addDifferences(hist, samples, span, col0, row0, width, rowRun, runArr, offset, dtype);
        return;
      }
      let n = 0;
      // Sample index of coverage cell (cr, cc) = base + cr·rowStride + cc·step.
      const base = span.offset + (row0 - span.y0) * rowStride + (col0 - span.x0) * step;
      const cr1 = clip.r1 - row0;
      for (let cr = clip.r0 - row0; cr < cr1; cr++) {
        const rowStart = cr * width;
        const j1 = rowRun[cr + 1] as number;
        for (let j = rowRun[cr] as number; j < j1; j++) {
          let s0 = (runArr[2 * j] as number) - rowStart;
          let s1 = (runArr[2 * j + 1] as number) - rowStart;
          if (s0 < cc0) s0 = cc0;
          if (s1 > cc1) s1 = cc1;
          if (s0 >= s1) continue;
          const start = base + cr * rowStride + s0 * step;
          if (step === 1) countRun(samples, start, start + (s1 - s0), offset, hist);
          else countStrided(samples, start, s1 - s0, step, offset, hist);
          n += s1 - s0;
        }
      }
      counted[band] = (counted[band] as number) + n;
    },
    finish() {
      const mean: (number | null)[] = [];
      const median: (number | null)[] = [];
      // The nodata bin (when nodata is an integer the dtype can hold) holds missing samples: drop it.
      const nodataBin = typeof nodata === 'number' && Number.isInteger(nodata) ? nodata + offset : -1;
      for (let b = 0; b < nBands; b++) {
        const hist = hists[b] as Uint32Array;
        let left = counted[b] as number;
        if (nodataBin >= 0 && nodataBin < hist.length) {
          left -= hist[nodataBin] as number;
          hist[nodataBin] = 0;
        }
        // Data occupy a narrow band of the 65 536 bins: skip the empty bins below it, then sum until every counted
        // sample is seen (so the empty bins above it are never read).
        const bins = hist.length;
        let lo = 0;
        if (left > 0) while (lo < bins && hist[lo] === 0) lo++;
        let hi = lo;
        let m = 0;
        let sum = 0;
        while (m < left && hi < bins) {
          const c = hist[hi] as number;
          m += c;
          sum += c * (hi - offset);
          hi++;
        }
        /* c8 ignore next 3 */
        if (m !== Math.max(0, left)) {
          throw new AppError('internal_error', `Band ${b} counted ${left} samples but its histogram holds ${m}.`);
        }
        mean.push(m === 0 ? null : sum / m);
        median.push(m === 0 ? null : histogramMedian(hist, m, offset, lo, hi));
        // All zeros again: kept for the next accumulator on this thread.
        hist.fill(0, lo, hi);
        if (FREE_HISTOGRAMS.length < MAX_FREE_HISTOGRAMS) FREE_HISTOGRAMS.push(hist);
      }
      return { mean, median };
    },
  };
}

/**
 * `addSpan` for rows of predictor-2 differences (unsigned 8/16-bit, one sample per pixel): per row, a running sum
 * from the block's first column gives each value, and the values of in-area cells inside the clip are counted — the
 * predictor is undone and the histogram filled in one pass, without writing the values back. Returns the cells counted.
 */
function addDifferences(
  hist: Uint32Array,
  samples: TypedArray,
  span: BlockSpan,
  col0: number,
  row0: number,
  width: number,
  rowRun: Int32Array,
  runArr: Int32Array,
  offset: number,
  dtype: DType,
): number {
  if (span.step !== 1 || (dtype !== 'uint16' && dtype !== 'uint8') || offset !== 0) {
    throw new AppError(
      'internal_error',
      `Predictor differences of ${dtype} with step ${span.step} are not summed here.`,
    );
  }
  const mask = dtype === 'uint16' ? 0xffff : 0xff;
  const { clip, rowStride, x0, y0 } = span;
  // Block column k of the span is coverage column k + x0 − col0.
  const shift = x0 - col0;
  const k0 = clip.c0 - x0;
  const k1 = clip.c1 - x0;
  /**
   * The one run of coverage row `cr` cut to the clip, as block columns [s0, s1) packed in one number
   * (s0 · 65 536 + s1; blocks are narrower than 65 536), or −1 when the row has no run or several.
   */
  const single = (cr: number): number => {
    const j = rowRun[cr] as number;
    if ((rowRun[cr + 1] as number) !== j + 1) return -1;
    const s0 = Math.max((runArr[2 * j] as number) - cr * width - shift, k0);
    const s1 = Math.min((runArr[2 * j + 1] as number) - cr * width - shift, k1);
    return s0 < s1 ? s0 * 65536 + s1 : -1;
  };
  let n = 0;
  for (let r = clip.r0; r < clip.r1; r++) {
    const cr = r - row0;
    const rowStart = span.offset + (r - y0) * rowStride;
    if (r + 1 < clip.r1) {
      // Two rows with the same single run (the inside of most areas): their running sums are independent, so one
      // loop carries both (the CPU overlaps the two dependency chains; ~1.2× faster than one row at a time).
      const a = single(cr);
      if (a >= 0 && a === single(cr + 1)) {
        const s0 = Math.floor(a / 65536);
        const s1 = a % 65536;
        countDifferencePair(samples, rowStart, rowStart + rowStride, s0, s1, mask, hist);
        n += 2 * (s1 - s0);
        r++;
        continue;
      }
    }
    const cellStart = cr * width;
    let acc = 0;
    let k = 0;
    const j1 = rowRun[cr + 1] as number;
    for (let j = rowRun[cr] as number; j < j1; j++) {
      // The run's block columns, cut to the clip.
      let s0 = (runArr[2 * j] as number) - cellStart - shift;
      let s1 = (runArr[2 * j + 1] as number) - cellStart - shift;
      if (s0 < k0) s0 = k0;
      if (s1 > k1) s1 = k1;
      if (s0 >= s1) continue;
      acc = countDifferenceRun(samples, rowStart, k, s0, s1, acc, mask, hist);
      k = s1;
      n += s1 - s0;
    }
  }
  return n;
}

/*
 * The hot loops of `addDifferences`, kept as small functions of their own: V8 compiles them to tighter code than
 * the same loops inside the larger function (measured 1.47 → ~1.05 ns per cell). Offsets are 0 (unsigned data).
 */

/**
 * Rows starting at samples `a` and `b` (same run): running sums over block columns [0, s1), counting [s0, s1).
 */
function countDifferencePair(
  samples: TypedArray,
  a: number,
  b: number,
  s0: number,
  s1: number,
  mask: number,
  hist: Uint32Array,
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
    hist[x]!++;
    hist[y]!++;
  }
}

/** One run of a row starting at sample `row`: the running sum `acc` carried from column `k` to s1, counting [s0, s1). */
function countDifferenceRun(
  samples: TypedArray,
  row: number,
  k: number,
  s0: number,
  s1: number,
  acc: number,
  mask: number,
  hist: Uint32Array,
): number {
  let i = k;
  for (; i < s0; i++) acc += samples[row + i] as number;
  for (; i < s1; i++) {
    acc = (acc + (samples[row + i] as number)) & mask;
    hist[acc]!++;
  }
  return acc;
}

/** Counts the samples `data[start … end)` into `hist` (bin = value + offset). */
function countRun(data: TypedArray, start: number, end: number, offset: number, hist: Uint32Array): void {
  for (let i = start; i < end; i++) hist[(data[i] as number) + offset]!++;
}

/** Counts `n` samples from `data[start]`, `step` apart, into `hist` (bin = value + offset). */
function countStrided(
  data: TypedArray,
  start: number,
  n: number,
  step: number,
  offset: number,
  hist: Uint32Array,
): void {
  const end = start + n * step;
  for (let i = start; i < end; i += step) hist[(data[i] as number) + offset]!++;
}

/**
 * Counts the samples `data[base + i]` for i in the runs j0 … j1 − 1 into `hist` (bin = value + offset). The hot
 * loop: no branch, no sum (both come from the histogram afterwards), nodata counted and dropped at the end.
 */
function accumulateRuns(
  data: TypedArray,
  base: number,
  runs: Int32Array,
  j0: number,
  j1: number,
  offset: number,
  hist: Uint32Array,
): void {
  for (let j = j0; j < j1; j++) {
    const end = base + (runs[2 * j + 1] as number);
    for (let i = base + (runs[2 * j] as number); i < end; i++) hist[(data[i] as number) + offset]!++;
  }
}

/**
 * Median of `a[0..n)` (n ≥ 1), reordering `a`: quickselect for the lower middle element, then the minimum of the
 * upper part for an even count.
 */
export function medianInPlace(a: Float64Array, n: number): number {
  const lo = (n - 1) >> 1;
  select(a, 0, n - 1, lo);
  const lower = a[lo] as number;
  if (n % 2 === 1) return lower;
  let upper = Infinity;
  for (let i = lo + 1; i < n; i++) {
    const v = a[i] as number;
    if (v < upper) upper = v;
  }
  return (lower + upper) / 2;
}

/** Hoare-partition quickselect (median-of-three pivot): afterwards a[k] is the k-th smallest of a[left..right]. */
function select(a: Float64Array, left: number, right: number, k: number): void {
  while (right > left) {
    const mid = (left + right) >> 1;
    // Median of three as the pivot avoids the quadratic case on sorted input.
    let x = a[left] as number;
    let y = a[mid] as number;
    let z = a[right] as number;
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/**
 * exactextract's weighted quantile (weighted_quantiles.cpp), a weighted generalisation of the linear (type 7)
 * quantile. Sort the n values ascending with weights w; let C_i = w_0 + … + w_i and
 *   s_0 = 0,  s_i = i·w_i + (n − 1)·C_{i−1}  (i ≥ 1),  S = (n − 1)·C_{n−1}.
 * Find the first i with s_i > q·S; the result is x_{i−1} + (q·S − s_{i−1})·(x_i − x_{i−1})/(s_i − s_{i−1}), or
 * x_{n−1} when there is no such i. With equal weights this is the ordinary median/quantile (even count: mean of
 * the two middle values). `values` and `weights` must have the same length ≥ 1, weights > 0.
 */
export function weightedQuantile(values: ArrayLike<number>, weights: ArrayLike<number>, q: number): number {
  const n = values.length;
  const x = Float64Array.from(values);
  const w = Float64Array.from(weights);
  return weightedQuantileOf(x, w, new Int32Array(n), n, q);
}

function weightedQuantileOf(x: Float64Array, w: Float64Array, order: Int32Array, n: number, q: number): number {
  for (let i = 0; i < n; i++) order[i] = i;
  const idx = order.subarray(0, n).sort((p, r) => (x[p] as number) - (x[r] as number));
  let cum = 0;
  let prevS = 0;
  let prevX = x[idx[0] as number] as number;
  const target = q * (n - 1) * sumOf(w, n);
  for (let i = 0; i < n; i++) {
    const j = idx[i] as number;
    const wi = w[j] as number;
    const xi = x[j] as number;
    const s = i === 0 ? 0 : i * wi + (n - 1) * cum;
    if (s > target) return prevX + ((target - prevS) * (xi - prevX)) / (s - prevS);
    cum += wi;
    prevS = s;
    prevX = xi;
  }
  return prevX;
}

function sumOf(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] as number;
  return s;
}
