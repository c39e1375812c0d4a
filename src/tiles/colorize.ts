/**
 * Colouring a tile: values → colormap codes, codes → RGBA. A value's code is its index in a 256-entry colour table,
 * computed as rio-tiler's `linear_rescale` does (what upstream's tiles showed):
 * `index = trunc((clip(v, lo, hi) − lo) / (hi − lo) × 255)`; no data (NaN) → transparent.
 */

/** Code of a transparent pixel in a `TileCodes` array (0…255 are colormap indices). */
export const TRANSPARENT = 256;

/** Row-major per-pixel codes: 0…255 = colormap index, `TRANSPARENT` = no data. */
export type TileCodes = Uint16Array;

/** The value range mapped onto the colormap: `lo` → index 0, `hi` → index 255 (lo < hi, both finite). */
export interface Rescale {
  lo: number;
  hi: number;
}

/**
 * One value's colormap index, exactly as rio-tiler computes it in float64 (numpy clip, subtract, divide,
 * multiply, then the uint8 cast truncates).
 * @example colormapIndex(50, { lo: 0, hi: 100 }) → 127
 */
export function colormapIndex(v: number, r: Rescale): number {
  const c = v < r.lo ? r.lo : v > r.hi ? r.hi : v;
  return Math.trunc(((c - r.lo) / (r.hi - r.lo)) * 255);
}

/** Codes of every output value (NaN → `TRANSPARENT`). */
export function rescaleToCodes(values: Float64Array, r: Rescale): TileCodes {
  const out = new Uint16Array(values.length);
  const { lo, hi } = r;
  const span = hi - lo;
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    if (Number.isNaN(v)) {
      out[k] = TRANSPARENT;
      continue;
    }
    const c = v < lo ? lo : v > hi ? hi : v;
    out[k] = Math.trunc(((c - lo) / span) * 255);
  }
  return out;
}

/**
 * Physical values in place: v × scale + offset (a release variable's encoding; NaN stays NaN). Identity is a no-op.
 */
export function toPhysical(values: Float64Array, scale: number, offset: number): Float64Array {
  if (scale === 1 && offset === 0) return values;
  for (let k = 0; k < values.length; k++) values[k] = (values[k] as number) * scale + offset;
  return values;
}

/**
 * Codes of a categorical variable: the position of each value in `categories` (ascending category values, at most
 * 256), so a `set` palette's colour i draws the i-th category; any other value and NaN → `TRANSPARENT`.
 * @example categoryCodes(Float64Array.of(0, 1, 7, NaN), [0, 1]) → [0, 1, TRANSPARENT, TRANSPARENT]
 */
export function categoryCodes(values: Float64Array, categories: readonly number[]): TileCodes {
  const index = new Map(categories.map((c, i) => [c, i]));
  const out = new Uint16Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = index.get(values[k] as number) ?? TRANSPARENT;
  return out;
}

/** True when every pixel is transparent. */
export function allTransparent(codes: TileCodes): boolean {
  for (let k = 0; k < codes.length; k++) if (codes[k] !== TRANSPARENT) return false;
  return true;
}

/**
 * RGBA bytes of every pixel from a 256×RGBA colormap table; transparent pixels are (0, 0, 0, 0).
 * @param lut 1024 bytes: entry i at [4i, 4i + 4)
 */
export function codesToRgba(codes: TileCodes, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(codes.length * 4);
  const lut32 = new Uint32Array(lut.buffer.slice(lut.byteOffset, lut.byteOffset + 1024));
  const out32 = new Uint32Array(out.buffer);
  for (let k = 0; k < codes.length; k++) {
    const c = codes[k] as number;
    if (c !== TRANSPARENT) out32[k] = lut32[c] as number;
  }
  return out;
}
