import { gdalPixelTransform, type Affine } from './affine.js';
import type { PixelWindow, ProjectedArea } from './area.js';
import { pointCell, unionPolygons } from './area.js';
import type { Position, Shape } from './geojson.js';
import type { GeometryEngine } from './geos.js';
import { burnFilled, burnOutline, toPixelRings, type PixelRing } from './rasterize.js';
import { accumulateCoverage } from './fraction.js';

/**
 * Cell selection rule for an area (the `coverage` field of an extraction; docs/API.md). `centre`: cells whose centre is inside, with the
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
  /** Cells with weight > 0, cells outside the raster included (they count as missing values, not as no cell). */
  nCells: number;
}

function polygonsOfShape(shape: Shape): Position[][][] {
  if (shape.type === 'Polygon') return [shape.coordinates];
  if (shape.type === 'MultiPolygon') return shape.coordinates;
  return [];
}

function burnPoints(shapes: readonly Shape[], transform: Affine, window: PixelWindow, out: Float64Array): void {
  for (const s of shapes) {
    if (s.type !== 'Point') continue;
    const [col, row] = pointCell(s.coordinates, transform);
    const cx = col - window.col;
    const cy = row - window.row;
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
    if (allTouched) burnOutline(rings, window, mask);
    burnFilled(rings, window, mask);
  }
  burnPoints(area.shapes, transform, window, mask);
  return mask;
}

/**
 * The cells of `window` (pixels of the dataset grid `transform`) covered by `area` (dataset CRS), by `mode`:
 * - `centre`: GDAL's rasterize rule (cell centre inside; holes excluded; a Point burns the cell holding it), and
 *   when no cell is marked the all-touched result instead (as the Python service does);
 * - `all_touched`: GDAL `ALL_TOUCHED=TRUE` (edges running along cell boundaries do not touch the neighbours);
 * - `fractional`: the exact share of each cell inside the union of the shapes (points weigh 1 in their cell); when
 *   that leaves every weight 0 (a polygon of no area), the all-touched cells with weight 1.
 * `outside`: cells of the area selected outside the window (points, see `cellLayout`); the fallbacks above apply
 * only when neither the window nor those select a cell, as if the window held them.
 * Runs in O(cells + edge crossings).
 */
export function computeCoverage(
  area: ProjectedArea,
  window: PixelWindow,
  transform: Affine,
  mode: CoverageMode,
  geometry: GeometryEngine,
  outside = 0,
): Coverage {
  const { width, height } = window;
  // GDAL's pixel coordinates on the dataset's whole grid: masks then match GDAL rasterising onto the dataset, ties
  // included. The exact shares need no such care, and are computed in the window's own pixels.
  const pixel = gdalPixelTransform(transform, { col: 0, row: 0 });
  let weights: Float64Array;
  if (mode === 'fractional') {
    const polys = unionPolygons(area.shapes, geometry);
    weights = accumulateCoverage(
      toPixelRings(polys.flat(), gdalPixelTransform(transform, window)),
      polys.map((p) => p.length),
      width,
      height,
    );
    burnPoints(area.shapes, transform, window, weights);
    // A polygon of no area (e.g. the degenerate box) covers nothing: fall back as `centre` does, not to 0 cells.
    if (outside === 0 && countPositive(weights) === 0) weights = rasterMask(area, window, transform, pixel, true);
  } else {
    weights = rasterMask(area, window, transform, pixel, mode === 'all_touched');
    if (mode === 'centre' && outside === 0 && countPositive(weights) === 0) {
      weights = rasterMask(area, window, transform, pixel, true);
    }
  }
  return { width, height, weights, nCells: countPositive(weights) };
}
