import geodesic from 'geographiclib-geodesic';
import { AppError } from '../errors.js';
import { gdalPixelTransform, type Affine } from './affine.js';
import type { Crs } from './crs.js';
import type { Position, SelectedArea, Shape } from './geojson.js';
import type { GeometryEngine, Rings } from './geos.js';
import { ringsSelfIntersect } from './validity.js';

/** A pixel window as in `src/raster/types.ts` (`geo` imports nothing internal, so the shape is repeated here). */
export interface PixelWindow {
  col: number;
  row: number;
  width: number;
  height: number;
}

/** Bounds `[minx, miny, maxx, maxy]` in CRS units. */
export type Bounds = [minx: number, miny: number, maxx: number, maxy: number];

/** A selected area reprojected to a dataset CRS (vertices only, as the Python service does with pyproj). */
export interface ProjectedArea {
  /** The shapes with coordinates in dataset CRS units (x, y order). */
  shapes: Shape[];
  /** Bounds of the union of the shapes, dataset CRS units. */
  bounds: Bounds;
  /** True when every shape is a Point. */
  pointsOnly: boolean;
}

function projectRings(rings: Position[][], crs: Crs): Position[][] {
  return rings.map((ring) => ring.map(([lon, lat]) => crs.forward(lon, lat)));
}

/**
 * Reproject every shape from EPSG:4326 lon/lat to the dataset CRS (vertices only, as pyproj/Shapely do upstream:
 * edges are not densified) and take the bounds of their union.
 */
export function projectArea(area: SelectedArea, crs: Crs): ProjectedArea {
  // An identity CRS shares the (never mutated) shapes: no copy of up to the coordinate limit.
  const shapes: Shape[] =
    crs.identity === true
      ? area.shapes
      : area.shapes.map((s): Shape => {
          switch (s.type) {
            case 'Point':
              return { type: 'Point', coordinates: crs.forward(s.coordinates[0], s.coordinates[1]) };
            case 'Polygon':
              return { type: 'Polygon', coordinates: projectRings(s.coordinates, crs) };
            case 'MultiPolygon':
              return { type: 'MultiPolygon', coordinates: s.coordinates.map((p) => projectRings(p, crs)) };
          }
        });
  let minx = Infinity;
  let miny = Infinity;
  let maxx = -Infinity;
  let maxy = -Infinity;
  const visit = ([x, y]: Position): void => {
    if (x < minx) minx = x;
    if (x > maxx) maxx = x;
    if (y < miny) miny = y;
    if (y > maxy) maxy = y;
  };
  for (const s of shapes) {
    if (s.type === 'Point') visit(s.coordinates);
    // The union's bounds are those of the exteriors: holes and overlaps never extend them.
    else if (s.type === 'Polygon') s.coordinates[0]?.forEach(visit);
    else for (const p of s.coordinates) p[0]?.forEach(visit);
  }
  return { shapes, bounds: [minx, miny, maxx, maxy], pointsOnly: area.pointsOnly };
}

/**
 * The inverse of an affine exactly as the Python `affine` package computes it (`~transform`), so fractional
 * windows match rasterio's `from_bounds` to the last bit.
 */
function pythonAffineInverse(t: Affine): Affine {
  const [sa, sb, sc, sd, se, sf] = t;
  const det = sa * se - sb * sd;
  if (det === 0 || !Number.isFinite(det)) {
    throw new AppError('invalid_request', 'The dataset transform is not invertible.');
  }
  const idet = 1.0 / det;
  const ra = se * idet;
  const rb = -sb * idet;
  const rd = -sd * idet;
  const re = sa * idet;
  return [ra, rb, -sc * ra - sf * rb, rd, re, -sc * rd - sf * re];
}

/** A window bound closer than this (in cells) to a cell edge is taken to lie on it (float noise, not a cell). */
const EDGE_TOLERANCE = 1e-9;

function snapToEdge(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < EDGE_TOLERANCE ? r : v;
}

/** Fractional pixel position `[col, row]` of a CRS point, with the inverse `inv` of the grid transform. */
function pixelOf(inv: Affine, x: number, y: number): [number, number] {
  return [x * inv[0] + y * inv[1] + inv[2], x * inv[3] + y * inv[4] + inv[5]];
}

/**
 * The pixel window that holds `bounds` (CRS units) on a grid with `transform`: the four corners go through the
 * inverse affine (as rasterio's `from_bounds` does), then the window runs from `floor(min)` to `ceil(max)` in
 * columns and rows, so every cell the bounds touch is inside it; a bound within 1e-9 cell of a cell edge counts
 * as on the edge (it does not pull in the next cell); at least 1×1. May reach outside the raster.
 *
 * This differs from the Python service on purpose: it rounds the window's lengths half-up and floors its offsets,
 * which cuts off the last row or column whenever a bound lies less than half a cell past the offset's fraction,
 * so cells whose centres are inside the area were never counted (a 10.45 × 10.45-cell box kept 100 of its 121).
 * E.g. box (−110, 37, −109, 38) on `[0.00833, 0, −115, 0, −0.00833, 43]` → 121 × 121 cells (upstream 120 × 120).
 */
export function areaWindow(bounds: readonly [number, number, number, number], transform: Affine): PixelWindow {
  const [minx, miny, maxx, maxy] = bounds;
  const inv = pythonAffineInverse(transform);
  let c0 = Infinity;
  let c1 = -Infinity;
  let r0 = Infinity;
  let r1 = -Infinity;
  for (const [x, y] of [
    [minx, maxy],
    [maxx, maxy],
    [maxx, miny],
    [minx, miny],
  ] as const) {
    const [col, row] = pixelOf(inv, x, y);
    c0 = Math.min(c0, col);
    c1 = Math.max(c1, col);
    r0 = Math.min(r0, row);
    r1 = Math.max(r1, row);
  }
  if (![c0, c1, r0, r1].every(Number.isFinite)) {
    throw new AppError('invalid_geometry', 'The selected area has no finite extent in the dataset CRS.');
  }
  const col = Math.floor(snapToEdge(c0));
  const row = Math.floor(snapToEdge(r0));
  const width = Math.max(Math.ceil(snapToEdge(c1)) - col, 1);
  const height = Math.max(Math.ceil(snapToEdge(r1)) - row, 1);
  return { col, row, width, height };
}

/**
 * The cell `[col, row]` holding a point (CRS units): the floor of its fractional position on the dataset grid, as
 * GDAL computes it when it burns a point (so a point on a cell edge or corner goes to the cell right of / below it).
 */
export function pointCell(p: Position, transform: Affine): [number, number] {
  const [g1, g2, g0, g4, g5, g3] = gdalPixelTransform(transform, { col: 0, row: 0 });
  return [Math.floor(g0 + p[0] * g1 + p[1] * g2), Math.floor(g3 + p[0] * g4 + p[1] * g5)];
}

/** The window of the polygons' bounds ({@link areaWindow}), or null when the area has no polygon. */
function polygonWindow(area: ProjectedArea, transform: Affine): PixelWindow | null {
  let [minx, miny, maxx, maxy] = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = ([x, y]: Position): void => {
    minx = Math.min(minx, x);
    maxx = Math.max(maxx, x);
    miny = Math.min(miny, y);
    maxy = Math.max(maxy, y);
  };
  for (const s of area.shapes) {
    if (s.type === 'Polygon') s.coordinates[0]?.forEach(visit);
    else if (s.type === 'MultiPolygon') for (const p of s.coordinates) p[0]?.forEach(visit);
  }
  return minx <= maxx ? areaWindow([minx, miny, maxx, maxy], transform) : null;
}

/** The cells `[col, row]` of the area's points, in shape order. @throws AppError `invalid_geometry` (not finite). */
function pointCells(area: ProjectedArea, transform: Affine): [number, number][] {
  const out: [number, number][] = [];
  for (const s of area.shapes) {
    if (s.type !== 'Point') continue;
    const [col, row] = pointCell(s.coordinates, transform);
    if (!Number.isFinite(col) || !Number.isFinite(row)) {
      throw new AppError('invalid_geometry', 'The selected area has no finite extent in the dataset CRS.');
    }
    out.push([col, row]);
  }
  return out;
}

/**
 * The bounding window of a projected area: {@link areaWindow} of the polygons' bounds, grown to hold the cell of
 * every point. Only its position matters (the footprint check, the tests' GDAL windows): nothing is allocated over
 * it, since points far apart would make it arbitrarily large ({@link cellLayout} is what is read).
 */
export function extractionWindow(area: ProjectedArea, transform: Affine): PixelWindow {
  let w = polygonWindow(area, transform);
  for (const [col, row] of pointCells(area, transform)) {
    if (w === null) w = { col, row, width: 1, height: 1 };
    else {
      const c0 = Math.min(w.col, col);
      const r0 = Math.min(w.row, row);
      const c1 = Math.max(w.col + w.width, col + 1);
      const r1 = Math.max(w.row + w.height, row + 1);
      w = { col: c0, row: r0, width: c1 - c0, height: r1 - r0 };
    }
  }
  if (w === null) throw new AppError('invalid_geometry', 'The selected area has no shapes.');
  return w;
}

/**
 * What an extraction reads and allocates for an area: one dense `window` (the polygons' window; for points only,
 * the first point's cell) and the cells of the points outside it, one cell each — so points never make a window.
 */
export interface CellLayout {
  /** The dense window (pixels of the dataset grid; may reach outside the raster). */
  window: PixelWindow;
  /** `[col0, row0, col1, row1, …]`: distinct point cells outside `window`, row-major order (row, then column). */
  points: Float64Array;
}

/** The {@link CellLayout} of a projected area on the grid `transform`. @throws AppError `invalid_geometry`. */
export function cellLayout(area: ProjectedArea, transform: Affine): CellLayout {
  const cells = pointCells(area, transform);
  let window = polygonWindow(area, transform);
  if (window === null) {
    const first = cells[0];
    if (first === undefined) throw new AppError('invalid_geometry', 'The selected area has no shapes.');
    window = { col: first[0], row: first[1], width: 1, height: 1 };
  }
  const w = window;
  const seen = new Set<string>();
  const outside = cells.filter(([c, r]) => {
    if (c >= w.col && c < w.col + w.width && r >= w.row && r < w.row + w.height) return false;
    const key = `${c},${r}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  outside.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  return { window, points: Float64Array.from(outside.flat()) };
}

/** Cells a layout allocates: the dense window's plus one per point outside it. */
export function layoutCells(layout: CellLayout): number {
  return layout.window.width * layout.window.height + layout.points.length / 2;
}

/**
 * The size pre-flight estimate: the cells the extraction will allocate ({@link layoutCells} of {@link cellLayout}):
 * the polygons' window plus one cell per point outside it. E.g. box (−110, 37, −109, 38) on
 * `[0.00833, 0, −115, 0, −0.00833, 43]` → 14 641; two points at opposite corners of any grid → 2.
 */
export function estimateCells(area: SelectedArea, crs: Crs, transform: Affine): number {
  return layoutCells(cellLayout(projectArea(area, crs), transform));
}

function polygonsOf(shapes: readonly Shape[]): Rings[][] {
  // One entry per shape: the polygons of that shape (parts of a MultiPolygon are disjoint by definition).
  const out: Rings[][] = [];
  for (const s of shapes) {
    if (s.type === 'Polygon') out.push([s.coordinates]);
    else if (s.type === 'MultiPolygon') out.push(s.coordinates);
  }
  return out;
}

function boxOf(polys: Rings[]): Bounds {
  let minx = Infinity;
  let miny = Infinity;
  let maxx = -Infinity;
  let maxy = -Infinity;
  for (const p of polys) {
    for (const [x, y] of p[0] ?? []) {
      minx = Math.min(minx, x);
      maxx = Math.max(maxx, x);
      miny = Math.min(miny, y);
      maxy = Math.max(maxy, y);
    }
  }
  return [minx, miny, maxx, maxy];
}

/**
 * The polygons of the union of the shapes (points dropped), valid for signed-area sums. Kept as they are (exact,
 * and the common case) when the shapes' bounding boxes are disjoint and no shape crosses itself; otherwise merged
 * by GEOS (which also splits a bow-tie into its two lobes).
 */
export function unionPolygons(shapes: readonly Shape[], geometry: GeometryEngine): Rings[] {
  const groups = polygonsOf(shapes);
  if (groups.length === 0) return [];
  let merge = groups.some((g) => ringsSelfIntersect(g.flat()));
  const boxes = groups.map(boxOf);
  for (let i = 0; i < boxes.length && !merge; i++) {
    const a = boxes[i] as Bounds;
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j] as Bounds;
      if (a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]) {
        merge = true;
        break;
      }
    }
  }
  if (!merge) return groups.flat();
  return geometry.union(groups.flat());
}

function planarRingArea(ring: readonly Position[]): number {
  // Shoelace, relative to the first vertex to keep precision for large UTM coordinates.
  const [x0, y0] = ring[0] ?? [0, 0];
  let s = 0;
  for (let i = 1; i + 1 < ring.length; i++) {
    const [xa, ya] = ring[i] as Position;
    const [xb, yb] = ring[i + 1] as Position;
    s += (xa - x0) * (yb - y0) - (xb - x0) * (ya - y0);
  }
  return Math.abs(s / 2);
}

/** Sum over polygons of |exterior| − Σ|holes|, with `ringArea` giving each ring's absolute area. */
function polygonsArea(polys: readonly Rings[], ringArea: (ring: readonly Position[]) => number): number {
  let total = 0;
  for (const p of polys) {
    p.forEach((ring, i) => {
      total += i === 0 ? ringArea(ring) : -ringArea(ring);
    });
  }
  return Math.abs(total);
}

/**
 * The area of the union of the shapes, reported as `area` with every result. Geographic CRS: geodesic area on the CRS ellipsoid (what
 * pyproj's `Geod.geometry_area_perimeter` gives; m²), e.g. 8 985 387 394.84 m² for the 1° cell (−122..−121,
 * 43..44) on WGS84. Projected CRS: planar area in CRS units² of the projected shapes. Points count 0.
 */
export function areaSize(area: SelectedArea, crs: Crs, geometry: GeometryEngine): number {
  if (area.pointsOnly) return 0;
  if (crs.geographic) {
    const e = crs.ellipsoid ?? { a: 6378137, f: 1 / 298.257223563 };
    const geod = new geodesic.Geodesic.Geodesic(e.a, e.f);
    const ringArea = (ring: readonly Position[]): number => {
      const poly = geod.Polygon(false);
      const n = ring.length;
      // The closing vertex repeats the first; leaving it out changes nothing but saves an edge.
      const last = n > 1 && ring[0]?.[0] === ring[n - 1]?.[0] && ring[0]?.[1] === ring[n - 1]?.[1] ? n - 1 : n;
      for (let i = 0; i < last; i++) {
        const [lon, lat] = ring[i] as Position;
        poly.AddPoint(lat, lon);
      }
      return Math.abs(poly.Compute(false, true).area ?? 0);
    };
    return polygonsArea(unionPolygons(area.shapes, geometry), ringArea);
  }
  return polygonsArea(unionPolygons(projectArea(area, crs).shapes, geometry), planarRingArea);
}
