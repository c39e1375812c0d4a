/**
 * Convolution overviews (GDAL's BILINEAR, CUBIC and LANCZOS overview resampling), computed as GDAL 3.6's
 * `GDALResampleChunk_Convolution` does so that our overviews equal `gdaladdo -r <method>`'s:
 * - separable: a horizontal pass over each source row, then a vertical pass over the filtered rows;
 * - the kernel is stretched by the decimation ratio `srcSize / dstSize` (a double: 2 for even sizes, a little
 *   less for odd ones), so a 2× overview reads 4 (bilinear), 8 (cubic) or 12 (lanczos) cells per axis, centred
 *   on the output cell's centre;
 * - at the image edges the taps are cut off and the remaining weights renormalised (no edge replication);
 * - with a nodata value, nodata cells' weights are dropped and the rest renormalised; a cell whose weights are
 *   all nodata is nodata. Kernels with negative lobes (cubic, lanczos) give nodata when fewer than half the taps
 *   of a row (or column) are a run of valid cells, as GDAL does to avoid ringing next to holes;
 * - samples are read in GDAL's Float32 working type (so uint32/int32 values above 2^24 are rounded first), sums
 *   are in float64, the result is rounded to float32 and then converted to the band's type as GDALCopyWords does
 *   (clamped to the type's range, unsigned rounded half up, signed half away from zero);
 * - each overview level is computed from the level before it (GDAL cascades these methods);
 * - sums are taken in GDAL's order (weights four at a time, its four-at-a-time Lanczos formula, line-order sums for
 *   whole groups of 8 output columns as its SSE2 vertical pass does), so the results are bit-identical to
 *   gdaladdo's, floats included (overview.convolve.crosscheck.test.ts).
 * Pure functions and one streaming class over typed arrays; no I/O.
 */
import { DTYPE_RANGE } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';

/** float32's machine epsilon (2^-23) and smallest normal value (2^-126); float64's epsilon (2^-52). */
const FLT_EPSILON = 2 ** -23;
const FLT_MIN = 2 ** -126;

/** The convolution resamplings (GDAL's OVERVIEW_RESAMPLING names, lower case). */
export type ConvolutionMethod = 'bilinear' | 'cubic' | 'lanczos';

/** A separable kernel: its radius in output cells and its weight at a distance `x` (output-cell units). */
export interface Kernel {
  radius: number;
  /** True when some weights are negative (cubic, lanczos): GDAL's run-of-valid-cells rule applies. */
  negative: boolean;
  weight(x: number): number;
  /** The weight as GDAL computes it for taps taken four at a time (its `*4Values` functions), when different. */
  weight4?: (x: number) => number;
}

/** Triangle filter, 1 − |x| inside ±1. */
export function bilinearWeight(x: number): number {
  const a = Math.abs(x);
  return a <= 1 ? 1 - a : 0;
}

/** Keys cubic convolution with a = −0.5 (GDAL's CUBIC: Catmull-Rom), zero beyond ±2. */
export function cubicWeight(x: number): number {
  const a = Math.abs(x);
  const x2 = x * x;
  if (a <= 1) return x2 * (1.5 * a - 2.5) + 1;
  if (a <= 2) return x2 * (-0.5 * a + 2.5) - 4 * a + 2;
  return 0;
}

/** Lanczos-windowed sinc with 3 lobes, sinc(x)·sinc(x/3) (not cut off: the taps stay within ±3). */
export function lanczosWeight(x: number): number {
  if (x === 0) return 1;
  const pix = Math.PI * x;
  const pixOverR = pix / 3;
  return (Math.sin(pix) * Math.sin(pixOverR)) / (pix * pixOverR);
}

/**
 * The same Lanczos weight computed as GDAL's four-at-a-time version does, with sin(πx) from sin(πx/3) by
 * sin 3a = 3 sin a − 4 sin³ a: it differs from `lanczosWeight` in the last bits, and those bits decide a few
 * rounding ties (measured: 4 of 73 920 cells of a uint32 overview above 2^24 otherwise differ from gdaladdo's).
 */
export function lanczosWeight4(x: number): number {
  if (x === 0) return 1;
  const pix = Math.PI * x;
  const pixOverR = pix / 3;
  const s = Math.sin(pixOverR);
  const s2 = s * s;
  return ((3 - 4 * s2) * s2) / (pix * pixOverR);
}

/** Each method's kernel, as GDAL 3.6 defines them (radius 1, 2 and 3). */
export const KERNELS: { readonly [M in ConvolutionMethod]: Kernel } = {
  bilinear: { radius: 1, negative: false, weight: bilinearWeight },
  cubic: { radius: 2, negative: true, weight: cubicWeight },
  lanczos: { radius: 3, negative: true, weight: lanczosWeight, weight4: lanczosWeight4 },
};

/**
 * The taps of one axis: for output cell `i`, source cells `start[i] … start[i]+count[i]-1` with raw kernel weights
 * `weights[i·stride + k]` summing to `sum[i]`, and the same weights divided by that sum in `normalized` (what GDAL
 * uses when no cell is nodata).
 */
export interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  stride: number;
  weights: Float64Array;
  normalized: Float64Array;
  sum: Float64Array;
}

/**
 * Taps for downsampling an axis of `srcSize` cells to `dstSize` (GDAL's formulas: centre `(i + 0.5)·ratio`, first
 * tap `floor(centre − r + 0.5)`, end `trunc(centre + r + 0.5)` with `r` the radius × ratio, both clipped to the
 * axis; weights taken four at a time, then one by one, and summed in that grouping). Tap distances step by
 * 1/ratio from the first tap: accumulated one step at a time for the horizontal pass, as `y + k·step` within
 * each group of four for the `vertical` one (GDAL's two loops differ so; the last bits matter for odd sizes).
 */
export function axisTaps(srcSize: number, dstSize: number, kernel: Kernel, vertical = false): AxisTaps {
  const ratio = srcSize / dstSize;
  const scale = 1 / ratio;
  const scaleWeight = scale >= 1 ? 1 : scale;
  const scaledRadius = kernel.radius / scaleWeight;
  const stride = Math.trunc(2 + 2 * scaledRadius + 0.5);
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float64Array(dstSize * stride);
  const normalized = new Float64Array(dstSize * stride);
  const sum = new Float64Array(dstSize);
  const f4 = kernel.weight4 ?? kernel.weight;
  for (let i = 0; i < dstSize; i++) {
    const centre = (i + 0.5) * ratio;
    const s = Math.max(0, Math.floor(centre - scaledRadius + 0.5));
    const e = Math.min(srcSize, Math.trunc(centre + scaledRadius + 0.5));
    const n = e - s;
    const o = i * stride;
    let x = scaleWeight * (s - centre + 0.5);
    let total = 0;
    let k = 0;
    for (; k + 3 < n; k += 4) {
      let x1: number;
      let x2: number;
      let x3: number;
      if (vertical) {
        x1 = x + scaleWeight;
        x2 = x + 2 * scaleWeight;
        x3 = x + 3 * scaleWeight;
      } else {
        x1 = x + scaleWeight;
        x2 = x1 + scaleWeight;
        x3 = x2 + scaleWeight;
      }
      const w0 = f4(x);
      const w1 = f4(x1);
      const w2 = f4(x2);
      const w3 = f4(x3);
      x = vertical ? x + 4 * scaleWeight : x3 + scaleWeight;
      weights[o + k] = w0;
      weights[o + k + 1] = w1;
      weights[o + k + 2] = w2;
      weights[o + k + 3] = w3;
      total += w0 + w1 + w2 + w3;
    }
    for (; k < n; k++, x += scaleWeight) {
      const w = kernel.weight(x);
      weights[o + k] = w;
      total += w;
    }
    const inv = total !== 0 ? 1 / total : 1;
    for (k = 0; k < n; k++) normalized[o + k] = (weights[o + k] as number) * inv;
    start[i] = s;
    count[i] = n;
    sum[i] = total;
  }
  return { start, count, stride, weights, normalized, sum };
}

/**
 * Whether a sample counts, as GDAL 3.6's nodata mask decides: integers unless equal to the nodata; floats unless
 * NaN (when the nodata is NaN) or within 2 ulps-ish of the nodata (`|v − nd| < 2·ε·|v + nd|`, ε the dtype's
 * epsilon, in float32 arithmetic for float32 — GDAL's ARE_REAL_EQUAL), so a value a hair from the nodata (such
 * as the nodata replacement in a finer overview) is nodata too.
 */
export function validity(nodata: number | null, dtype: DType): ((v: number) => boolean) | null {
  if (nodata === null) return null;
  if (Number.isNaN(nodata)) return (v) => v === v;
  if (dtype === 'float32' || dtype === 'float64') {
    const nd = Math.fround(nodata);
    return (x) => {
      const v = Math.fround(x);
      return !(
        v === nd || Math.abs(Math.fround(v - nd)) < Math.fround(FLT_EPSILON * 2 * Math.abs(Math.fround(v + nd)))
      );
    };
  }
  return (v) => v !== nodata;
}

/**
 * GDAL's working type: the samples as float32 (only uint32, int32 and float64 change: 8- and 16-bit integers are
 * exact, float32 is itself), valid flags 1/0 when there is a nodata.
 */
function toWork(
  src: TypedArray,
  nodata: number | null,
  dtype: DType,
): { values: TypedArray; valid: Uint8Array | null } {
  const values = dtype === 'uint32' || dtype === 'int32' || dtype === 'float64' ? new Float32Array(src) : src;
  if (nodata === null) return { values, valid: null };
  const valid = new Uint8Array(src.length);
  if (dtype === 'float32' || dtype === 'float64' || Number.isNaN(nodata)) {
    const ok = validity(nodata, dtype) as (v: number) => boolean;
    for (let i = 0; i < src.length; i++) valid[i] = ok(src[i] as number) ? 1 : 0;
  } else {
    for (let i = 0; i < src.length; i++) valid[i] = src[i] === nodata ? 0 : 1;
  }
  return { values, valid };
}

/** Longest run of valid cells among `n` flags read from `at` in steps of `step`. */
function longestRun(valid: Uint8Array, at: number, step: number, n: number): number {
  let run = 0;
  let best = 0;
  for (let k = 0; k < n; k++, at += step) {
    if (valid[at] !== 0) run++;
    else {
      if (run > best) best = run;
      run = 0;
    }
  }
  return run > best ? run : best;
}

/** Rows filtered horizontally: `values[r·dstWidth + i]`, and per cell 1 (valid) or 0 when there is a nodata. */
export interface FilteredRows {
  values: Float64Array;
  valid: Uint8Array | null;
}

/**
 * Horizontal pass: each of the `rows` rows of `src` (`width` wide) convolved with `taps` (sized for
 * `width` → dstWidth). Without nodata the normalised weights are used; with nodata the weights of nodata cells
 * are dropped and the sum renormalised (a cell without any valid tap, or failing the run rule, is flagged 0).
 */
export function filterRows(
  src: TypedArray,
  rows: number,
  width: number,
  taps: AxisTaps,
  kernel: Kernel,
  nodata: number | null,
  dtype: DType,
): FilteredRows {
  const dstWidth = taps.start.length;
  const { values: v, valid } = toWork(src, nodata, dtype);
  const out = new Float64Array(rows * dstWidth);
  const { start, count, stride } = taps;
  // Row by row, output cell by cell (the same sums as GDAL's cell-by-cell, row-by-row loops, in cache order).
  if (valid === null) {
    const w = taps.normalized;
    for (let r = 0; r < rows; r++) {
      const row = r * width;
      const at = r * dstWidth;
      for (let i = 0; i < dstWidth; i++) {
        const j = row + (start[i] as number);
        const n = count[i] as number;
        const o = i * stride;
        let a = 0;
        let b = 0;
        let k = 0;
        for (; k + 3 < n; k += 4) {
          a += (v[j + k] as number) * (w[o + k] as number);
          a += (v[j + k + 1] as number) * (w[o + k + 1] as number);
          b += (v[j + k + 2] as number) * (w[o + k + 2] as number);
          b += (v[j + k + 3] as number) * (w[o + k + 3] as number);
        }
        for (; k < n; k++) a += (v[j + k] as number) * (w[o + k] as number);
        out[at + i] = a + b;
      }
    }
    return { values: out, valid: null };
  }
  const outValid = new Uint8Array(rows * dstWidth);
  const w = taps.weights;
  const negative = kernel.negative;
  // Nodata cells before each column of the row, so a window without any skips the run search (the usual case).
  const holes = new Int32Array(width + 1);
  for (let r = 0; r < rows; r++) {
    const row = r * width;
    const at = r * dstWidth;
    if (negative) for (let x = 0; x < width; x++) holes[x + 1] = (holes[x] as number) + 1 - (valid[row + x] as number);
    for (let i = 0; i < dstWidth; i++) {
      const s0 = start[i] as number;
      const j = row + s0;
      const n = count[i] as number;
      const o = i * stride;
      if (negative && holes[s0 + n] !== holes[s0] && longestRun(valid, j, 1, n) < Math.trunc(n / 2)) continue;
      let val = 0;
      let total = 0;
      let k = 0;
      for (; k + 3 < n; k += 4) {
        const w0 = (w[o + k] as number) * (valid[j + k] as number);
        const w1 = (w[o + k + 1] as number) * (valid[j + k + 1] as number);
        const w2 = (w[o + k + 2] as number) * (valid[j + k + 2] as number);
        const w3 = (w[o + k + 3] as number) * (valid[j + k + 3] as number);
        val += (v[j + k] as number) * w0;
        val += (v[j + k + 1] as number) * w1;
        val += (v[j + k + 2] as number) * w2;
        val += (v[j + k + 3] as number) * w3;
        total += w0 + w1 + w2 + w3;
      }
      for (; k < n; k++) {
        const wk = (w[o + k] as number) * (valid[j + k] as number);
        val += (v[j + k] as number) * wk;
        total += wk;
      }
      if (total > 0) {
        out[at + i] = val / total;
        outValid[at + i] = 1;
      }
    }
  }
  return { values: out, valid: outValid };
}

/**
 * A float32 working value stored in `dtype` as GDALCopyWords does: floats as they are; integers NaN → 0, then
 * rounded (unsigned: `+0.5` in float32 and truncated; signed: half away from zero) and clamped to the range.
 */
export function storeWork(value: number, dtype: DType): number {
  if (dtype === 'float32' || dtype === 'float64') return value;
  if (value !== value) return 0;
  const [lo, hi] = DTYPE_RANGE[dtype];
  const r = value >= 0 || lo === 0 ? Math.fround(value + 0.5) : Math.fround(value - 0.5);
  return Math.trunc(Math.min(hi, Math.max(lo, r)));
}

/**
 * The value GDAL 3.6 writes instead of a computed value equal to the nodata (so a valid cell never reads as
 * nodata): for integers the next value up (down at the top of the type's range); for floats, worked in float32,
 * `nodata·(1 + FLT_EPSILON)` rounded to float32 (one or two float32 steps away from zero), FLT_MIN for a nodata
 * of 0. Measured against gdaladdo on this machine (uint8 255 → 254, float32 −9999 → −9999.0009765625,
 * 1000 → 1000.0001220703125, 0 → 1.1754944e-38).
 */
export function nodataReplacement(nodata: number, dtype: DType): number {
  if (dtype === 'float32' || dtype === 'float64') {
    if (nodata === 0) return FLT_MIN;
    return Math.fround(nodata + Math.fround(nodata * FLT_EPSILON));
  }
  const [lo, hi] = DTYPE_RANGE[dtype];
  if (nodata < lo || nodata > hi) return 0;
  return nodata === hi ? nodata - 1 : nodata + 1;
}

/** Scratch arrays of the vertical pass, one slot per output column, reused from row to row. */
interface Scratch {
  acc: Float64Array;
  total: Float64Array;
  run: Int32Array;
  best: Int32Array;
}

function scratch(width: number): Scratch {
  return {
    acc: new Float64Array(width),
    total: new Float64Array(width),
    run: new Int32Array(width),
    best: new Int32Array(width),
  };
}

/**
 * Vertical pass for output row `i`: filtered rows `first…` (`rows.values`, `dstWidth` wide, row `first` at
 * offset 0) combined with the row's taps into `out` (offset `at`), in `dtype`. Cells without a valid tap (or
 * failing the run rule) are `nodata` (0 without one). Taps are walked line by line over the whole row, each column
 * keeping its own sums in GDAL's order (per column: lines in order; GDAL's scalar columns pair them, see below).
 */
export function filterRow(
  rows: FilteredRows,
  first: number,
  dstWidth: number,
  taps: AxisTaps,
  i: number,
  kernel: Kernel,
  nodata: number | null,
  dtype: DType,
  out: TypedArray,
  at: number,
  work: Scratch = scratch(dstWidth),
): void {
  const s = taps.start[i] as number;
  const n = taps.count[i] as number;
  const o = i * taps.stride;
  const v = rows.values;
  const valid = rows.valid;
  const base = (s - first) * dstWidth;
  const empty = nodata ?? 0;
  const hasNodata = nodata !== null && !Number.isNaN(nodata);
  const replacement = hasNodata ? nodataReplacement(nodata, dtype) : 0;
  const store = (value: number): number => {
    const stored = storeWork(value, dtype);
    return hasNodata && stored === nodata ? replacement : stored;
  };
  const { acc, total, run, best } = work;
  acc.fill(0);
  if (valid === null) {
    const w = taps.normalized;
    // GDAL's SSE2 path takes whole groups of 8 columns and sums the lines in order.
    const sse = dstWidth - (dstWidth % 8);
    for (let k = 0; k < n; k++) {
      const wk = w[o + k] as number;
      const row = base + k * dstWidth;
      for (let c = 0; c < sse; c++) acc[c] = (acc[c] as number) + (v[row + c] as number) * wk;
    }
    for (let c = 0; c < sse; c++) out[at + c] = store(Math.fround(acc[c] as number));
    // The last columns go through its scalar loop: lines 0,1 / 2,3 of each group of four in two sums.
    for (let c = sse; c < dstWidth; c++) {
      const j = base + c;
      let a = 0;
      let b = 0;
      let k = 0;
      for (; k + 3 < n; k += 4) {
        a += (v[j + k * dstWidth] as number) * (w[o + k] as number);
        a += (v[j + (k + 1) * dstWidth] as number) * (w[o + k + 1] as number);
        b += (v[j + (k + 2) * dstWidth] as number) * (w[o + k + 2] as number);
        b += (v[j + (k + 3) * dstWidth] as number) * (w[o + k + 3] as number);
      }
      for (; k < n; k++) a += (v[j + k * dstWidth] as number) * (w[o + k] as number);
      out[at + c] = store(Math.fround(a + b));
    }
    return;
  }
  const w = taps.weights;
  const negative = kernel.negative;
  total.fill(0);
  if (negative) {
    run.fill(0);
    best.fill(0);
  }
  for (let k = 0; k < n; k++) {
    const wk = w[o + k] as number;
    const row = base + k * dstWidth;
    for (let c = 0; c < dstWidth; c++) {
      const wc = wk * (valid[row + c] as number);
      acc[c] = (acc[c] as number) + (v[row + c] as number) * wc;
      total[c] = (total[c] as number) + wc;
    }
  }
  if (negative) {
    for (let k = 0; k < n; k++) {
      const row = base + k * dstWidth;
      for (let c = 0; c < dstWidth; c++) {
        if (valid[row + c] !== 0) run[c] = (run[c] as number) + 1;
        else {
          if ((run[c] as number) > (best[c] as number)) best[c] = run[c] as number;
          run[c] = 0;
        }
      }
    }
  }
  const half = Math.trunc(n / 2);
  for (let c = 0; c < dstWidth; c++) {
    if (negative && Math.max(run[c] as number, best[c] as number) < half) {
      out[at + c] = empty;
      continue;
    }
    const t = total[c] as number;
    out[at + c] = t > 0 ? store(Math.fround((acc[c] as number) / t)) : empty;
  }
}

/**
 * Streaming 2-D convolution downsampler of one band, `srcWidth`×`srcHeight` → `dstWidth`×`dstHeight`: rows are
 * pushed top to bottom in strips of any height; each push returns the output rows that became complete (their
 * taps all received), so a writer that reads a level strip by strip never holds more than a strip plus the
 * kernel's overlap (≤ 2·radius·ratio filtered rows).
 */
export class ConvolutionDownsampler {
  private readonly kernel: Kernel;
  private readonly xTaps: AxisTaps;
  private readonly yTaps: AxisTaps;
  /** Filtered rows kept, starting at source row `first`. */
  private kept: FilteredRows = { values: new Float64Array(0), valid: null };
  private first = 0;
  private received = 0;
  private nextOut = 0;

  constructor(
    private readonly srcWidth: number,
    private readonly srcHeight: number,
    private readonly dstWidth: number,
    dstHeight: number,
    method: ConvolutionMethod,
    private readonly dtype: DType,
    private readonly nodata: number | null,
  ) {
    this.kernel = KERNELS[method];
    this.xTaps = axisTaps(srcWidth, dstWidth, this.kernel);
    this.yTaps = axisTaps(srcHeight, dstHeight, this.kernel, true);
  }

  /**
   * Rows `row … row+height-1` (the next ones: strips arrive in order), `srcWidth` wide.
   * @returns the output rows completed, from output row `row`, or null when none is yet.
   */
  push(strip: TypedArray, height: number): { row: number; data: TypedArray } | null {
    const fresh = filterRows(strip, height, this.srcWidth, this.xTaps, this.kernel, this.nodata, this.dtype);
    const w = this.dstWidth;
    const keptRows = this.received - this.first;
    const values = new Float64Array((keptRows + height) * w);
    values.set(this.kept.values.subarray(0, keptRows * w));
    values.set(fresh.values, keptRows * w);
    let valid: Uint8Array | null = null;
    if (fresh.valid) {
      valid = new Uint8Array((keptRows + height) * w);
      if (this.kept.valid) valid.set(this.kept.valid.subarray(0, keptRows * w));
      valid.set(fresh.valid, keptRows * w);
    }
    this.kept = { values, valid };
    this.received += height;
    const { start, count } = this.yTaps;
    const dstHeight = start.length;
    let end = this.nextOut;
    while (end < dstHeight && (start[end] as number) + (count[end] as number) <= this.received) end++;
    if (end === this.nextOut) return null;
    const outRow = this.nextOut;
    const out = new (strip.constructor as new (n: number) => TypedArray)((end - outRow) * w);
    const work = scratch(w);
    for (let i = outRow; i < end; i++)
      filterRow(
        this.kept,
        this.first,
        w,
        this.yTaps,
        i,
        this.kernel,
        this.nodata,
        this.dtype,
        out,
        (i - outRow) * w,
        work,
      );
    this.nextOut = end;
    // Drop the rows no later output row reads.
    const keepFrom = end < dstHeight ? (start[end] as number) : this.received;
    const drop = keepFrom - this.first;
    if (drop > 0) {
      this.kept = {
        values: this.kept.values.slice(drop * w),
        valid: this.kept.valid ? this.kept.valid.slice(drop * w) : null,
      };
      this.first = keepFrom;
    }
    return { row: outRow, data: out };
  }

  /** True once every output row has been returned. */
  get done(): boolean {
    return this.nextOut === this.yTaps.start.length && this.received === this.srcHeight;
  }
}
