import type { Affine } from './affine.js';
import type { PixelWindow, ProjectedArea } from './area.js';
import { unionPolygons } from './area.js';
import type { Position, Shape } from './geojson.js';
import { burnFilled, burnOutline, toPixelRings, type PixelRing } from './rasterize.js';
import { accumulateCoverage } from './fraction.js';

/**
 * Cell selection rule for an area (CONTRACT §3 extension). `centre`: cells whose centre is inside, with the
 * all-touched fallback when none is (upstream default); `all_touched`: every cell the geometry touches;
 * `fractional`: every touched cell weighted by the exact share of it inside (exactextract semantics).
 */
export type CoverageMode = 'centre' | 'all_touched' | 'fractional';

/** Which cells of a window an area covers, and how much. */
export interface Coverage {
  /** Window size in cells. */
  width: number;
  height: number;
  /** Row-major over the window, in [0, 1]: 0/1 for `centre` and `all_touched`, the covered share for `fractional`. */
  weights: Float64Array;
  /** Cells with weight > 0 (cells outside the raster included: CONTRACT §3). */
  nCells: number;
}

/**
 * The transform of a window exactly as rasterio's `windows.transform` computes it, as a GDAL geotransform
 * `[c, a, b, f, d, e]`, then GDAL's inverse (`GDALInvGeoTransform`, with its no-rotation special case): the pixel
 * coordinates GDAL rasterises with, so masks match `rasterio.features.rasterize` bit for bit.
 */
export function gdalPixelTransform(transform: Affine, window: PixelWindow): Affine {
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

function polygonsOfShape(shape: Shape): Position[][][] {
  if (shape.type === 'Polygon') return [shape.coordinates];
  if (shape.type === 'MultiPolygon') return shape.coordinates;
  return [];
}

/** The cell (window col, row) a point falls in: the floor of its fractional position (U§4.2). */
function pointCell(p: Position, transform: Affine, window: PixelWindow): [number, number] {
  const [a, b, c, d, e, f] = transform;
  const det = a * e - b * d;
  const idet = 1 / det;
  const ra = e * idet;
  const rb = -b * idet;
  const rd = -d * idet;
  const re = a * idet;
  // Same arithmetic as the window offsets (areaWindow), so a lone point always lands in its own 1×1 window.
  const col = p[0] * ra + p[1] * rb + (-c * ra - f * rb);
  const row = p[0] * rd + p[1] * re + (-c * rd - f * re);
  return [Math.floor(col) - window.col, Math.floor(row) - window.row];
}

function burnPoints(shapes: readonly Shape[], transform: Affine, window: PixelWindow, out: Float64Array): void {
  for (const s of shapes) {
    if (s.type !== 'Point') continue;
    const [cx, cy] = pointCell(s.coordinates, transform, window);
    if (cx >= 0 && cx < window.width && cy >= 0 && cy < window.height) out[cy * window.width + cx] = 1;
  }
}

function countPositive(weights: Float64Array): number {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if ((weights[i] as number) > 0) n++;
  return n;
}

function rasterMask(
  area: ProjectedArea,
  window: PixelWindow,
  transform: Affine,
  pixel: Affine,
  allTouched: boolean,
): Float64Array {
  const { width, height } = window;
  const mask = new Float64Array(width * height);
  for (const shape of area.shapes) {
    const polys = polygonsOfShape(shape);
    if (polys.length === 0) continue;
    // GDAL rasterises all rings of one geometry (every part of a MultiPolygon) in one even-odd pass.
    const rings: PixelRing[] = toPixelRings(polys.flat(), pixel);
    if (allTouched) burnOutline(rings, width, height, mask);
    burnFilled(rings, width, height, mask);
  }
  burnPoints(area.shapes, transform, window, mask);
  return mask;
}

/**
 * The cells of `window` (pixels of the dataset grid `transform`) covered by `area` (dataset CRS), by `mode`:
 * - `centre`: GDAL's rasterize rule (cell centre inside; holes excluded; a Point burns the cell holding it), and
 *   when no cell is marked the all-touched result instead (U§3.4 step 8);
 * - `all_touched`: GDAL `ALL_TOUCHED=TRUE` (edges running along cell boundaries do not touch the neighbours);
 * - `fractional`: the exact share of each cell inside the union of the shapes (points weigh 1 in their cell); when
 *   that leaves every weight 0 (a polygon of no area), the all-touched cells with weight 1.
 * Runs in O(cells + edge crossings).
 */
export function computeCoverage(
  area: ProjectedArea,
  window: PixelWindow,
  transform: Affine,
  mode: CoverageMode,
): Coverage {
  const { width, height } = window;
  const pixel = gdalPixelTransform(transform, window);
  let weights: Float64Array;
  if (mode === 'fractional') {
    const polys = unionPolygons(area.shapes);
    weights = accumulateCoverage(
      toPixelRings(polys.flat(), pixel),
      polys.map((p) => p.length),
      width,
      height,
    );
    burnPoints(area.shapes, transform, window, weights);
    // A polygon of no area (e.g. the degenerate box) covers nothing: fall back as `centre` does, not to 0 cells.
    if (countPositive(weights) === 0) weights = rasterMask(area, window, transform, pixel, true);
  } else {
    weights = rasterMask(area, window, transform, pixel, mode === 'all_touched');
    if (mode === 'centre' && countPositive(weights) === 0) {
      weights = rasterMask(area, window, transform, pixel, true);
    }
  }
  return { width, height, weights, nCells: countPositive(weights) };
}
