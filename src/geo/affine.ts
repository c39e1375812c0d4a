/**
 * A GDAL/rasterio-order affine geotransform `[a, b, c, d, e, f]`:
 *   x = a·col + b·row + c
 *   y = d·col + e·row + f
 * `a` is the pixel width and `e` the (usually negative) pixel height, both in CRS units (degrees for
 * EPSG:4326/4269, metres for UTM); `(c, f)` is the outer corner of pixel (0, 0). `col`/`row` are
 * fractional pixel coordinates (pixel centres at +0.5).
 */
export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

/** Affine from a registry `transform` of 6 or 9 numbers (only the first 6 are used, as upstream). */
export function affineFromArray(values: readonly number[]): Affine {
  if (values.length !== 6 && values.length !== 9) throw new RangeError('transform must have 6 or 9 elements');
  const [a, b, c, d, e, f] = values as [number, number, number, number, number, number];
  return [a, b, c, d, e, f];
}

/** Pixel (col, row) → CRS (x, y). */
export function applyAffine(t: Affine, col: number, row: number): [x: number, y: number] {
  return [t[0] * col + t[1] * row + t[2], t[3] * col + t[4] * row + t[5]];
}

/** The inverse transform: CRS (x, y) → pixel (col, row). Throws on a singular matrix. */
export function invertAffine(t: Affine): Affine {
  const [a, b, c, d, e, f] = t;
  const det = a * e - b * d;
  if (det === 0 || !Number.isFinite(det)) throw new RangeError('affine transform is not invertible');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** The transform of a window whose top-left pixel is (col, row) of `t`. */
export function windowAffine(t: Affine, col: number, row: number): Affine {
  const [x, y] = applyAffine(t, col, row);
  return [t[0], t[1], x, t[3], t[4], y];
}

/** The transform of a grid resampled by factors (sx, sy) (e.g. an overview: sx = fullWidth / ovWidth). */
export function scaleAffine(t: Affine, sx: number, sy: number): Affine {
  return [t[0] * sx, t[1] * sy, t[2], t[3] * sx, t[4] * sy, t[5]];
}

/**
 * The transform of a window exactly as rasterio's `windows.transform` computes it, as a GDAL geotransform
 * `[c, a, b, f, d, e]`, then GDAL's inverse (`GDALInvGeoTransform`, with its no-rotation special case): the pixel
 * coordinates GDAL rasterises with, so masks match `rasterio.features.rasterize` bit for bit.
 */
export function gdalPixelTransform(transform: Affine, window: { col: number; row: number }): Affine {
  const [a, b, c, d, e, f] = transform;
  const x = window.col * a + window.row * b + c;
  const y = window.col * d + window.row * e + f;
  const gc = c + (x - c);
  const gf = f + (y - f);
  if (b === 0 && d === 0 && a !== 0 && e !== 0) {
    return [1 / a, 0, -gc / a, 0, 1 / e, -gf / e];
  }
  const det = a * e - b * d;
  const inv = 1 / det;
  // GDAL order: px = g0 + X·g1 + Y·g2; returned here in Affine order [g1, g2, g0, g4, g5, g3].
  const g0 = (b * gf - gc * e) * inv;
  const g3 = (-a * gf + gc * d) * inv;
  return [e * inv, -b * inv, g0, -d * inv, a * inv, g3];
}
