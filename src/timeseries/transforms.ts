/**
 * Z-score transforms, as the upstream API computes them except that a series without spread gives 0, not NaN,
 * for its present values. Input and output: Float64Array, NaN = missing, one value
 * per timestep key (keys sorted ascending as strings).
 */
import { AppError } from '../errors.js';
import type { TimeRange, Transform } from './types.js';

/** Options of {@link applyTransform}. */
export interface TransformOptions {
  /** Normalises a reference-range bound to the keys' precision (e.g. `0102-01-01` → `0102`); identity if absent. */
  normalize?(key: string): string;
}

/**
 * Applies `transform` to `values` indexed by `timesteps`; returns a new array of the same length.
 * @throws AppError `time_range_empty` when a fixed reference range selects no timestep.
 */
export function applyTransform(
  values: Float64Array,
  timesteps: readonly string[],
  transform: Transform | null | undefined,
  options: TransformOptions = {},
): Float64Array {
  if (transform === null || transform === undefined || transform.type === 'NoTransform') return values.slice();
  if (transform.type === 'ZScoreFixedInterval') {
    return zScoreFixed(values, timesteps, transform.time_range ?? null, options.normalize);
  }
  return zScoreMoving(values, transform.width);
}

/**
 * Fixed-interval z-score: reference = the keys k with gte ≤ k ≤ lte (string order; the whole series when no
 * range); mean and population std (ddof 0) of its present values. Zero (or undefined) spread → 0.0 for present
 * values and NaN for missing ones.
 */
export function zScoreFixed(
  values: Float64Array,
  timesteps: readonly string[],
  range: TimeRange | null,
  normalize?: (key: string) => string,
): Float64Array {
  let from = 0;
  let to = values.length; // exclusive
  if (range !== null) {
    const gte = normalize ? normalize(range.gte) : range.gte;
    const lte = normalize ? normalize(range.lte) : range.lte;
    from = timesteps.findIndex((k) => k >= gte);
    if (from === -1) from = timesteps.length;
    to = from;
    while (to < timesteps.length && (timesteps[to] as string) <= lte) to++;
    if (to === from) {
      const first = timesteps[0] ?? '';
      const last = timesteps[timesteps.length - 1] ?? '';
      throw new AppError(
        'time_range_empty',
        `Reference range [${range.gte}, ${range.lte}] has no overlap with the extracted series [${first}, ${last}]. ` +
          'Ensure the reference interval falls within the extraction time range.',
      );
    }
  }
  const { mean, std } = meanStd(values, from, to);
  const out = new Float64Array(values.length);
  const flat = !(std > 0); // 0 or NaN
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    out[i] = v !== v ? NaN : flat ? 0 : (v - mean) / std;
  }
  return out;
}

/**
 * Moving-interval z-score: the reference of t is the previous `width` values (t−w … t−1, not t itself); a window
 * with fewer than w values or any missing one gives NaN (pandas min_periods = w); population std; std 0 → NaN.
 */
export function zScoreMoving(values: Float64Array, width: number): Float64Array {
  if (!Number.isInteger(width) || width < 1) throw new AppError('invalid_request', 'Window width must be at least 1.');
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let t = width; t < n; t++) {
    const v = values[t] as number;
    if (v !== v) continue;
    const { mean, std, count } = meanStd(values, t - width, t);
    if (count < width || !(std > 0)) continue;
    out[t] = (v - mean) / std;
  }
  return out;
}

/** Mean and population std of the present values of values[from..to); NaN for both when none is present. */
function meanStd(values: Float64Array, from: number, to: number): { mean: number; std: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    const v = values[i] as number;
    if (v === v) {
      sum += v;
      count++;
    }
  }
  if (count === 0) return { mean: NaN, std: NaN, count };
  const mean = sum / count;
  let ss = 0;
  for (let i = from; i < to; i++) {
    const v = values[i] as number;
    if (v === v) ss += (v - mean) * (v - mean);
  }
  return { mean, std: Math.sqrt(ss / count), count };
}
