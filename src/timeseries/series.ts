/**
 * Internal series representation for the analysis kernels: a Float64Array with NaN for a missing value. The API
 * uses `null`; these helpers convert at the edges so NaN never reaches JSON.
 */

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
