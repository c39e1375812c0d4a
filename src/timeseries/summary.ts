import type { SummaryStat } from './types.js';
import { medianInPlace } from './stats.median.js';

/** Summary statistics of one series (U§3.8 step 4 with the CONTRACT §3 fixes). */
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
