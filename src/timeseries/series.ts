/**
 * Internal series representation for the analysis kernels: a Float64Array with NaN for a missing value. The API
 * uses `null`; these helpers convert at the edges so NaN never reaches JSON. Also the summary statistics of a series
 * (the `summary_stats` entries of a response).
 */
import { medianInPlace } from './stats.median.js';
import type { SummaryStat } from './types.js';

/** `null` (and any non-finite number) → NaN. */
export function fromNullable(values: readonly (number | null)[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined || !Number.isFinite(v) ? NaN : v;
  }
  return out;
}

/** NaN (and ±Infinity) → `null`. */
export function toNullable(values: Float64Array): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/** Summary statistics of one series: mean, median and sample standard deviation; null when undefined. */
export type Summary = Omit<SummaryStat, 'name'>;

/**
 * Mean, median and sample standard deviation (ddof = 1) of the present (non-NaN) values of a series.
 * No present value → all null; one present value → stdev null. Never NaN.
 */
export function summarize(values: Float64Array): Summary {
  const present = new Float64Array(values.length);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    present[n++] = v;
    sum += v;
  }
  if (n === 0) return { mean: null, median: null, stdev: null };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (present[i] as number) - mean;
    ss += d * d;
  }
  const stdev = n > 1 ? Math.sqrt(ss / (n - 1)) : null;
  return { mean, median: medianInPlace(present, n), stdev };
}
