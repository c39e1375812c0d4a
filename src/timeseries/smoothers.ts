/**
 * Moving-average smoothers, as the upstream API computes them except that a missing timestep stays missing: a rolling mean with min_periods = 1 that skips
 * missing values inside the window, keeps the series length, and never fills a missing timestep.
 */
import { AppError } from '../errors.js';
import type { Smoother } from './types.js';

/**
 * Applies `smoother` to `values` (NaN = missing) and returns a new array of the same length.
 * `trailing` averages t−w+1 … t; `centered` averages t−(w−1)/2 … t+(w−1)/2 (w must be odd).
 * @throws AppError `invalid_request` for a width < 1 or an even centered width.
 */
export function applySmoother(values: Float64Array, smoother: Smoother | null | undefined): Float64Array {
  if (smoother === null || smoother === undefined || smoother.type === 'NoSmoother') return values.slice();
  const w = smoother.width;
  if (!Number.isInteger(w) || w < 1) throw new AppError('invalid_request', 'Window width must be at least 1.');
  let before: number;
  let after: number;
  if (smoother.method === 'trailing') {
    before = w - 1;
    after = 0;
  } else {
    if (w % 2 === 0) throw new AppError('invalid_request', 'Window width must be odd for centered windows');
    before = (w - 1) / 2;
    after = before;
  }
  const n = values.length;
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    if (Number.isNaN(values[t] as number)) {
      out[t] = NaN;
      continue;
    }
    let sum = 0;
    let count = 0;
    const end = Math.min(n - 1, t + after);
    for (let i = Math.max(0, t - before); i <= end; i++) {
      const v = values[i] as number;
      if (v === v) {
        sum += v;
        count++;
      }
    }
    out[t] = sum / count;
  }
  return out;
}
