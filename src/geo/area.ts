import geodesic from 'geographiclib-geodesic';
import polygonClipping from 'polygon-clipping';
import { AppError } from '../errors.js';
import type { Affine } from './affine.js';
import type { Crs } from './crs.js';
import type { Position, SelectedArea, Shape } from './geojson.js';
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

/** A selected area reprojected to a dataset CRS (U§3.4 steps 2–3). */
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
  const shapes: Shape[] = area.shapes.map((s): Shape => {
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

/**
 * The pixel window that holds `bounds` (CRS units) on a grid with `transform` (U§3.4 steps 5–7): fractional
 * offsets and lengths as rasterio's `from_bounds` (inverse affine at the four corners), lengths rounded half-up
 * first, then offsets floored, then lengths clamped to at least 1. May reach outside the raster.
 */
export function areaWindow(bounds: readonly [number, number, number, number], transform: Affine): PixelWindow {
  const [minx, miny, maxx, maxy] = bounds;
  const inv = pythonAffineInverse(transform);
  const xs = [minx, maxx, maxx, minx];
  const ys = [maxy, maxy, miny, miny];
  let c0 = Infinity;
  let c1 = -Infinity;
  let r0 = Infinity;
  let r1 = -Infinity;
  for (let i = 0; i < 4; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    const col = x * inv[0] + y * inv[1] + inv[2];
    const row = x * inv[3] + y * inv[4] + inv[5];
    c0 = Math.min(c0, col);
    c1 = Math.max(c1, col);
    r0 = Math.min(r0, row);
    r1 = Math.max(r1, row);
  }
  if (![c0, c1, r0, r1].every(Number.isFinite)) {
    throw new AppError('invalid_geometry', 'The selected area has no finite extent in the dataset CRS.');
  }
  const width = Math.floor(Math.max(c1 - c0, 0) + 0.5);
  const height = Math.floor(Math.max(r1 - r0, 0) + 0.5);
  return { col: Math.floor(c0), row: Math.floor(r0), width: Math.max(width, 1), height: Math.max(height, 1) };
}

/**
 * The size pre-flight estimate (U§4.3): the cell count of the extraction window, or null when the area is points
 * only (the check is skipped). E.g. box (−110, 37, −109, 38) on `[0.00833, 0, −115, 0, −0.00833, 43]` → 14 400.
 */
export function estimateCells(area: SelectedArea, crs: Crs, transform: Affine): number | null {
  if (area.pointsOnly) return null;
  const w = areaWindow(projectArea(area, crs).bounds, transform);
  return w.width * w.height;
}

type Rings = Position[][];

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
 * with polygon-clipping (which also splits a bow-tie into its two lobes).
 */
export function unionPolygons(shapes: readonly Shape[]): Rings[] {
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
  const [first, ...rest] = groups as [Rings[], ...Rings[][]];
  try {
    return polygonClipping.union(first, ...rest);
  } catch (err) {
    throw new AppError('invalid_geometry', 'The shapes of the selected area could not be merged.', { cause: err });
  }
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
 * The area of the union of the shapes (U§3.4 step 10). Geographic CRS: geodesic area on the CRS ellipsoid (what
 * pyproj's `Geod.geometry_area_perimeter` gives; m²), e.g. 8 985 387 394.84 m² for the 1° cell (−122..−121,
 * 43..44) on WGS84. Projected CRS: planar area in CRS units² of the projected shapes. Points count 0.
 */
export function areaSize(area: SelectedArea, crs: Crs): number {
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
    return polygonsArea(unionPolygons(area.shapes), ringArea);
  }
  return polygonsArea(unionPolygons(projectArea(area, crs).shapes), planarRingArea);
}
