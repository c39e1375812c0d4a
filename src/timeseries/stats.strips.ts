/**
 * Unweighted zonal statistics of 8/16-bit data fed in row strips or block by block (`Cog.scan`), into one 65 536-bin
 * histogram per band: the exact median, sum and count come from the histogram, so the window is never held.
 */
import { AppError } from '../errors.js';
import { countDeltaRun, deltaMask, deltaRowCounter } from '../raster/deltas.js';
import type { BlockSpan, DType, RasterBlock, TypedArray } from '../raster/types.js';
import { histogramOffset, type BandStatistics } from './stats.js';
import { histogramMedian } from './stats.median.js';

/**
 * Zeroed 65 536-bin histograms that finished accumulators leave for the next one on this thread: an extraction
 * needs one per band (256 KiB each), and fresh ones cost page faults and zeroing for every file.
 */
const FREE_HISTOGRAMS: Uint32Array[] = [];
const MAX_FREE_HISTOGRAMS = 128;

/** The column ranges `addDeltaSpan` hands the row counter (two per row of a block; grown as needed). */
let COLS = new Int32Array(2 * 512);

/** True when blocks of `dtype` can be reduced in row strips with {@link createStripAccumulator} (8/16-bit ints). */
export function supportsStrips(dtype: DType): boolean {
  return histogramOffset(dtype) !== undefined;
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

/**
 * The in-area cells of a coverage grid as runs of consecutive cells, row by row: what the strip accumulator walks
 * instead of the weights (plain data: the arrays may live in shared memory and cross to worker threads).
 */
export interface CellRuns {
  /** Columns of the coverage grid. */
  width: number;
  /** Rows of the coverage grid. */
  height: number;
  /** `[start, end)` cell indices (row-major) of each run, two entries per run, row by row. */
  runs: Int32Array;
  /** `rowRun[r]`: index of the first run of row r (`height + 1` entries; the last is the number of runs). */
  rowRun: Int32Array;
}

/**
 * The runs of cells with weight > 0 in a `width × height` coverage grid; with `shared`, in shared memory (an
 * extraction computes them once and every task on every thread reads them: measured, recomputing them per task from
 * 1 000 000 weights cost ~65 ms of each thread's ~4 s).
 */
export function cellRuns(weights: ArrayLike<number>, width: number, height: number, shared = false): CellRuns {
  if (weights.length !== width * height) {
    throw new AppError('internal_error', `Coverage has ${weights.length} weights for a ${width}×${height} window.`);
  }
  const runs: number[] = [];
  const rowRun = new Int32Array(shared ? new SharedArrayBuffer(4 * (height + 1)) : new ArrayBuffer(4 * (height + 1)));
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
  const runArr = new Int32Array(shared ? new SharedArrayBuffer(4 * runs.length) : new ArrayBuffer(4 * runs.length));
  runArr.set(runs);
  return { width, height, runs: runArr, rowRun };
}

/**
 * A {@link StripAccumulator} for `nBands` bands over a `width × height` coverage: its weights (0 = outside) or the
 * runs of its in-area cells ({@link cellRuns}).
 */
export function createStripAccumulator(
  coverage: ArrayLike<number> | CellRuns,
  width: number,
  height: number,
  nBands: number,
  dtype: DType,
  nodataValue?: number | null,
): StripAccumulator {
  const offset = histogramOffset(dtype);
  if (offset === undefined) throw new AppError('internal_error', `Strip statistics need 8/16-bit data, not ${dtype}.`);
  const cells = 'rowRun' in coverage ? coverage : cellRuns(coverage, width, height);
  if (cells.width !== width || cells.height !== height) {
    throw new AppError('internal_error', `Cell runs of a ${cells.width}×${cells.height} grid for ${width}×${height}.`);
  }
  // Runs of consecutive in-area cells, row by row, so the hot loop reads samples sequentially.
  const { rowRun, runs: runArr } = cells;
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
      if (span.rows === 'deltas') {
        counted[band] =
          (counted[band] as number) +
          addDeltaSpan(hist, samples, span, col0, row0, width, rowRun, runArr, offset, dtype);
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
 * `addSpan` for rows of deltas (see `RowEncoding`: unsigned 8/16-bit, one sample per pixel): the raster layer's
 * summing loops turn each row into values and count those of in-area cells inside the clip in one pass, without
 * writing the values back. Returns the cells counted.
 */
function addDeltaSpan(
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
  const mask = deltaMask(dtype);
  if (span.step !== 1 || mask === null || offset !== 0) {
    throw new AppError('internal_error', `Deltas of ${dtype} with step ${span.step} cannot be summed here.`);
  }
  const { clip, rowStride, x0, y0 } = span;
  // Block column k of the span is coverage column k + x0 − col0.
  const shift = x0 - col0;
  const k0 = clip.c0 - x0;
  const k1 = clip.c1 - x0;
  if (!(samples instanceof Uint16Array || samples instanceof Uint8Array)) {
    throw new AppError('internal_error', `Deltas of ${dtype} arrived as ${samples.constructor.name}.`);
  }
  // Rows with one run (the inside of most areas) go to the row counter in one call, as block columns
  // [cols[2i], cols[2i + 1]) cut to the clip; rows with several runs are counted here and left empty there.
  const rows = clip.r1 - clip.r0;
  if (COLS.length < 2 * rows) COLS = new Int32Array(2 * rows);
  const cols = COLS.subarray(0, 2 * rows);
  let n = 0;
  for (let r = clip.r0; r < clip.r1; r++) {
    const cr = r - row0;
    const i = 2 * (r - clip.r0);
    const cellStart = cr * width;
    const j0 = rowRun[cr] as number;
    const j1 = rowRun[cr + 1] as number;
    if (j1 === j0 + 1) {
      cols[i] = Math.max((runArr[2 * j0] as number) - cellStart - shift, k0);
      cols[i + 1] = Math.min((runArr[2 * j0 + 1] as number) - cellStart - shift, k1);
      continue;
    }
    cols[i] = 0;
    cols[i + 1] = 0;
    const rowStart = span.offset + (r - y0) * rowStride;
    let acc = 0;
    let k = 0;
    for (let j = j0; j < j1; j++) {
      // The run's block columns, cut to the clip.
      let s0 = (runArr[2 * j] as number) - cellStart - shift;
      let s1 = (runArr[2 * j + 1] as number) - cellStart - shift;
      if (s0 < k0) s0 = k0;
      if (s1 > k1) s1 = k1;
      if (s0 >= s1) continue;
      acc = countDeltaRun(samples, rowStart, k, s0, s1, acc, mask, hist);
      k = s1;
      n += s1 - s0;
    }
  }
  n += deltaRowCounter()(samples, span.offset + (clip.r0 - y0) * rowStride, rowStride, cols, hist);
  return n;
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
