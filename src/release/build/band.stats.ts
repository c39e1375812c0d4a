/**
 * Per-band statistics over the valid cells of a band (nodata and NaN excluded), streamed row strip by row strip:
 * minimum, maximum, mean, population standard deviation and the percentage of valid cells — GDAL's
 * `STATISTICS_*` values, in stored (native) units. Strips are merged with Chan et al.'s pairwise update, so the
 * result does not depend on the strip heights beyond rounding.
 */
import type { TypedArray } from '../../raster/types.js';

/** Running statistics of one band. */
export interface BandAccumulator {
  count: number;
  total: number;
  min: number;
  max: number;
  mean: number;
  /** Sum of squared deviations from the mean. */
  m2: number;
}

export const newAccumulator = (): BandAccumulator => ({
  count: 0,
  total: 0,
  min: Infinity,
  max: -Infinity,
  mean: 0,
  m2: 0,
});

/** Add a strip of samples to an accumulator (two passes over the strip: its mean, then its squared deviations). */
export function accumulate(acc: BandAccumulator, samples: TypedArray, nodata: number | null): void {
  acc.total += samples.length;
  const skipNaN = samples instanceof Float32Array || samples instanceof Float64Array;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v === nodata || (skipNaN && v !== v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return;
  const mean = sum / n;
  let m2 = 0;
  let comp = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v === nodata || (skipNaN && v !== v)) continue;
    const d = v - mean;
    m2 += d * d;
    comp += d;
  }
  m2 -= (comp * comp) / n; // corrects the rounding of `mean`
  const total = acc.count + n;
  const delta = mean - acc.mean;
  acc.mean += (delta * n) / total;
  acc.m2 += m2 + (delta * delta * acc.count * n) / total;
  acc.count = total;
  if (min < acc.min) acc.min = min;
  if (max > acc.max) acc.max = max;
}

/** Final statistics; only `valid_percent` (0) for a band without a valid cell. */
export interface BandStatistics {
  minimum?: number;
  maximum?: number;
  mean?: number;
  stddev?: number;
  /** Percent of cells that are valid, 0–100. */
  valid_percent: number;
}

export function finish(acc: BandAccumulator): BandStatistics {
  if (acc.count === 0) return { valid_percent: 0 };
  return {
    minimum: acc.min,
    maximum: acc.max,
    mean: acc.mean,
    stddev: Math.sqrt(Math.max(0, acc.m2 / acc.count)),
    valid_percent: (acc.count / acc.total) * 100,
  };
}
