/**
 * Medians and quantiles of the zonal statistics: quickselect, exactextract's weighted quantile, and the median of a
 * 65 536-bin histogram.
 */
import { AppError } from '../errors.js';

/** The median of the `m` ≥ 1 values counted in bins [from, to) of `hist` (bin i holds value i − offset). */
export function histogramMedian(hist: Uint32Array, m: number, offset: number, from: number, to: number): number {
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

/** {@link weightedQuantile} of the first `n` of `x` and `w`, with `order` (≥ n) as scratch for the sort. */
export function weightedQuantileOf(x: Float64Array, w: Float64Array, order: Int32Array, n: number, q: number): number {
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
