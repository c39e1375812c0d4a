import { describe, expect, it } from 'vitest';
import type { Affine } from './affine.js';
import {
  areaSize,
  areaWindow,
  cellLayout,
  estimateCells,
  extractionWindow,
  projectArea,
  unionPolygons,
} from './area.js';
import { boxPolygon as box, boxRing as ring } from './box.js';
import { computeCoverage } from './coverage.js';
import { resolveCrs } from './crs.js';
import { footprintRelation } from './footprint.js';
import { parseSelectedArea } from './geojson.js';
import { loadGeometryEngine } from './geos.js';

const GEOMETRY = await loadGeometryEngine();

const LIMITS = { maxShapes: 100, maxCoordinates: 10_000 };
const fc = (...geoms: unknown[]): unknown => ({
  type: 'FeatureCollection',
  features: geoms.map((geometry) => ({ type: 'Feature', geometry, properties: null })),
});
const area = (g: unknown): ReturnType<typeof parseSelectedArea> => parseSelectedArea(g, LIMITS);

const WGS84 = resolveCrs('EPSG:4326');
const GRID_5X5: Affine = [1, 0, -123, 0, -1, 45];
const VALID_DS: Affine = [0.00833, 0, -115, 0, -0.00833, 43];
const PROJECTED_DS: Affine = [800, 0, 200000, 0, -800, 4800000];

const relClose = (actual: number, expected: number, rel = 1e-6): void => {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(rel);
};

describe('worked examples on the upstream 5×5 grid', () => {
  it('SINGLE_CELL_POLYGON: window col 1 row 1 1×1, geodesic area 8 985 387 394.84 m²', () => {
    const a = area(box(-122, 43, -121, 44));
    const p = projectArea(a, WGS84);
    expect(p.bounds).toEqual([-122, 43, -121, 44]);
    expect(areaWindow(p.bounds, GRID_5X5)).toEqual({ col: 1, row: 1, width: 1, height: 1 });
    relClose(areaSize(a, WGS84, GEOMETRY), 8_985_387_394.84);
    expect(areaSize(a, WGS84, GEOMETRY)).toBeCloseTo(8_985_387_394.84, 1);
  });

  it('the full grid: window 5×5, area 228 145 753 854.25 m²', () => {
    const a = area(box(-123, 40, -118, 45));
    expect(areaWindow(projectArea(a, WGS84).bounds, GRID_5X5)).toEqual({ col: 0, row: 0, width: 5, height: 5 });
    relClose(areaSize(a, WGS84, GEOMETRY), 228_145_753_854.25);
  });

  it('a point at the grid origin: pixel (0, 0), 1×1, area 0', () => {
    const a = area({ type: 'Point', coordinates: [-123, 45] });
    expect(areaWindow(projectArea(a, WGS84).bounds, GRID_5X5)).toEqual({ col: 0, row: 0, width: 1, height: 1 });
    expect(areaSize(a, WGS84, GEOMETRY)).toBe(0);
  });

  it('points on cell edges and corners go to the floor of their fractional position', () => {
    const at = (lon: number, lat: number): [number, number] => {
      const w = areaWindow(projectArea(area({ type: 'Point', coordinates: [lon, lat] }), WGS84).bounds, GRID_5X5);
      return [w.col, w.row];
    };
    expect(at(-121, 43)).toEqual([2, 2]); // corner shared by four cells
    expect(at(-121.5, 44)).toEqual([1, 1]); // on a horizontal edge
    expect(at(-122, 43.5)).toEqual([1, 1]); // on a vertical edge
    expect(at(-118, 40)).toEqual([5, 5]); // the far corner is outside the raster
  });
});

describe('areaWindow', () => {
  it('runs from floor(min) to ceil(max): every cell the bounds touch', () => {
    // Fractional window col 0.4..2.9 → cols 0..3, row 0.2..1.6 → rows 0..2 (upstream's half-up lengths gave 1 row).
    expect(areaWindow([0.4, -1.6, 2.9, -0.2], [1, 0, 0, 0, -1, 0])).toEqual({ col: 0, row: 0, width: 3, height: 2 });
    // Inside one cell: 1×1.
    expect(areaWindow([3.3, -3.3, 3.79, -3.2], [1, 0, 0, 0, -1, 0])).toEqual({ col: 3, row: 3, width: 1, height: 1 });
  });

  it('keeps the cells a 10.45-cell box holds (upstream cut off the last row and column)', () => {
    // Columns and rows 400.1–410.55 of a unit grid: 11 × 11 cells touched, 121 centres inside.
    const t: Affine = [1, 0, 0, 0, -1, 0];
    expect(areaWindow([400.1, -410.55, 410.55, -400.1], t)).toEqual({ col: 400, row: 400, width: 11, height: 11 });
    // 350.3–352.6: 3 × 3 (upstream: 2 × 2).
    expect(areaWindow([350.3, -352.6, 352.6, -350.3], t)).toEqual({ col: 350, row: 350, width: 3, height: 3 });
  });

  it('a bound within 1e-9 cell of a cell edge does not pull in the next cell; aligned boxes are unchanged', () => {
    const t: Affine = [1, 0, 0, 0, -1, 0];
    expect(areaWindow([2, -5, 4, -3], t)).toEqual({ col: 2, row: 3, width: 2, height: 2 });
    expect(areaWindow([2 - 1e-10, -(5 + 1e-10), 4 + 1e-10, -(3 - 1e-10)], t)).toEqual({
      col: 2,
      row: 3,
      width: 2,
      height: 2,
    });
    // 1e-8 cell past the edge is a real (thin) overlap: the next cell is in.
    expect(areaWindow([2, -3.5, 4 + 1e-8, -3], t)).toEqual({ col: 2, row: 3, width: 3, height: 1 });
    // A degenerate box on a cell corner is the 1×1 window of the cell right of and below it.
    expect(areaWindow([2, -3, 2, -3], t)).toEqual({ col: 2, row: 3, width: 1, height: 1 });
  });

  it('handles a rotated grid through the four corners', () => {
    // 90° rotation: x = −row, y = col.
    const t: Affine = [0, -1, 0, 1, 0, 0];
    expect(areaWindow([-3, 1, -1, 2], t)).toEqual({ col: 1, row: 1, width: 1, height: 2 });
  });
});

describe('estimateCells: the size pre-flight counts the extraction window', () => {
  it('box (−110, 37, −109, 38) on valid-ds gives 121 × 121 = 14 641 (upstream: 14 400)', () => {
    expect(estimateCells(area(box(-110, 37, -109, 38)), WGS84, VALID_DS)).toBe(14_641);
  });

  it('the same box in EPSG:32612 with 800 m pixels gives 114 × 141 = 16 074 (upstream: 113 × 140)', () => {
    const a = area(box(-110, 37, -109, 38));
    const utm = resolveCrs('EPSG:32612');
    const w = areaWindow(projectArea(a, utm).bounds, PROJECTED_DS);
    expect([w.width, w.height]).toEqual([114, 141]);
    expect(estimateCells(a, utm, PROJECTED_DS)).toBe(16_074);
  });

  it('the degenerate box (0, 0, 0, 0) gives 1', () => {
    expect(estimateCells(area(box(0, 0, 0, 0)), WGS84, VALID_DS)).toBe(1);
  });

  it('counts one cell per point outside the polygons’ window, never the window that would hold them', () => {
    expect(estimateCells(area({ type: 'Point', coordinates: [-110, 38] }), WGS84, VALID_DS)).toBe(1);
    const mixed = area(fc({ type: 'Point', coordinates: [-112, 40] }, box(-110.1, 37.9, -110, 38)));
    // The box's window is 13 × 13; the point's cell (360, 360) lies outside it and costs one cell. (Their bounding
    // window, from the point's cell to the box's far cells (600.24 → 601, 612.24 → 613), is 241 × 253: never read.)
    expect(estimateCells(mixed, WGS84, VALID_DS)).toBe(13 * 13 + 1);
    const bounding = extractionWindow(projectArea(mixed, WGS84), VALID_DS);
    expect([bounding.width, bounding.height]).toEqual([241, 253]);
    // Two points at opposite corners of the whole world: two cells, whatever the grid.
    const far = area(
      fc(
        { type: 'Point', coordinates: [-179.999995, 89.999995] },
        { type: 'Point', coordinates: [179.999995, -89.999995] },
      ),
    );
    expect(estimateCells(far, WGS84, VALID_DS)).toBe(2);
    const fine: Affine = [1e-5, 0, -180, 0, -1e-5, 90];
    expect(estimateCells(far, WGS84, fine)).toBe(2);
    const layout = cellLayout(projectArea(far, WGS84), fine);
    // The first point's cell is the window; the other is one cell of a 36 000 000 × 18 000 000 grid.
    expect(layout.window).toEqual({ col: 0, row: 0, width: 1, height: 1 });
    expect([...layout.points]).toEqual([35_999_999, 17_999_999]);
    // Points in one cell, or inside the polygons' window, cost nothing more.
    const same = area(fc({ type: 'Point', coordinates: [-110, 38] }, { type: 'Point', coordinates: [-110, 38] }));
    expect(estimateCells(same, WGS84, VALID_DS)).toBe(1);
    const inside = area(fc({ type: 'Point', coordinates: [-110.05, 37.95] }, box(-110.1, 37.9, -110, 38)));
    expect(estimateCells(inside, WGS84, VALID_DS)).toBe(169);
  });

  it('the small polygon passes 500 000; the large one and two distant small boxes do not', () => {
    expect(estimateCells(area(box(-110.1, 37.9, -110, 38)), WGS84, VALID_DS)).toBe(169);
    expect(estimateCells(area(box(-130, 25, -110, 45)), WGS84, VALID_DS)!).toBeGreaterThan(500_000);
    const far = area(fc(box(-114, 42, -113.99, 42.01), box(-103, 32, -102.99, 32.01)));
    expect(estimateCells(far, WGS84, VALID_DS)!).toBeGreaterThan(10);
    // Union bounds: columns 120.05..1441.78 → 120..1442, rows 118.85..1320.53 → 118..1321.
    expect(estimateCells(far, WGS84, VALID_DS)).toBe(1322 * 1203);
  });
});

describe('areaSize', () => {
  it('does not double count overlapping shapes (geodesic area of the union)', () => {
    const one = areaSize(area(box(-122, 43, -121, 44)), WGS84, GEOMETRY);
    const twice = areaSize(area(fc(box(-122, 43, -121, 44), box(-122, 43, -121, 44))), WGS84, GEOMETRY);
    relClose(twice, one, 1e-9);
    // The union keeps the vertices where the edges were noded (−121.6 and −121.4 on both parallels), as Shapely's
    // unary_union does; a geodesic through them differs from the one that skips them, so the geodesic area is
    // Shapely + pyproj's 8 985 470 085.58 m², not the box's 8 985 387 394.84 m².
    const halves = areaSize(area(fc(box(-122, 43, -121.4, 44), box(-121.6, 43, -121, 44))), WGS84, GEOMETRY);
    relClose(halves, 8_985_470_085.575378, 1e-9);
  });

  it('adds disjoint shapes and subtracts holes', () => {
    const a = areaSize(area(box(-122, 43, -121, 44)), WGS84, GEOMETRY);
    const b = areaSize(area(box(-120, 41, -119, 42)), WGS84, GEOMETRY);
    relClose(areaSize(area(fc(box(-122, 43, -121, 44), box(-120, 41, -119, 42))), WGS84, GEOMETRY), a + b, 1e-12);
    const hole = areaSize(area(box(-121.75, 43.25, -121.25, 43.75)), WGS84, GEOMETRY);
    const withHole = area({
      type: 'Polygon',
      coordinates: [ring(-122, 43, -121, 44), ring(-121.75, 43.25, -121.25, 43.75)],
    });
    relClose(areaSize(withHole, WGS84, GEOMETRY), a - hole, 1e-12);
  });

  it('uses the GRS80 ellipsoid for EPSG:4269', () => {
    const a = area(box(-122, 43, -121, 44));
    const nad = areaSize(a, resolveCrs('EPSG:4269'), GEOMETRY);
    expect(nad).not.toBe(areaSize(a, WGS84, GEOMETRY));
    relClose(nad, 8_985_387_394.84, 1e-7); // the ellipsoids differ by 0.1 mm in b
  });

  it('is planar CRS units² for projected CRSs', () => {
    const utm = resolveCrs('EPSG:32612');
    const a = area(box(-110, 37, -109, 38));
    const ring0 = ring(-110, 37, -109, 38).map(([lon, lat]) => utm.forward(lon, lat));
    let s = 0;
    for (let i = 0; i + 1 < ring0.length; i++) s += ring0[i]![0] * ring0[i + 1]![1] - ring0[i + 1]![0] * ring0[i]![1];
    relClose(areaSize(a, utm, GEOMETRY), Math.abs(s / 2), 1e-9);
    expect(areaSize(a, utm, GEOMETRY)).toBeGreaterThan(9.7e9);
    expect(areaSize(a, utm, GEOMETRY)).toBeLessThan(9.9e9);
  });

  it('unionPolygons merges overlapping shapes only', () => {
    const two = area(fc(box(0, 0, 2, 2), box(1, 1, 3, 3))).shapes;
    const u = unionPolygons(two, GEOMETRY);
    expect(u).toHaveLength(1);
    expect(u[0]![0]).toHaveLength(9);
    expect(unionPolygons(area(fc(box(0, 0, 1, 1), box(5, 5, 6, 6))).shapes, GEOMETRY)).toHaveLength(2);
  });
});

describe('footprintRelation', () => {
  it('classifies windows against a 5×5 raster', () => {
    expect(footprintRelation({ col: 1, row: 1, width: 1, height: 1 }, 5, 5)).toBe('inside');
    expect(footprintRelation({ col: 0, row: 0, width: 5, height: 5 }, 5, 5)).toBe('inside');
    expect(footprintRelation({ col: -1, row: 0, width: 2, height: 1 }, 5, 5)).toBe('partial');
    expect(footprintRelation({ col: 4, row: 4, width: 2, height: 2 }, 5, 5)).toBe('partial');
    expect(footprintRelation({ col: 5, row: 0, width: 1, height: 1 }, 5, 5)).toBe('outside');
    expect(footprintRelation({ col: -3, row: 2, width: 3, height: 1 }, 5, 5)).toBe('outside');
    expect(footprintRelation({ col: 0, row: 5, width: 5, height: 5 }, 5, 5)).toBe('outside');
  });

  it('a point on the far corner of the grid is outside; the origin is inside', () => {
    const win = (lon: number, lat: number) =>
      areaWindow(projectArea(area({ type: 'Point', coordinates: [lon, lat] }), WGS84).bounds, GRID_5X5);
    expect(footprintRelation(win(-118, 40), 5, 5)).toBe('outside');
    expect(footprintRelation(win(-123, 45), 5, 5)).toBe('inside');
  });
});

describe('footprint on the valid-ds grid (the upstream test shapes)', () => {
  // dataset_bbox (−115, 31, −102, 43) at 0.00833°: 1560 × 1440 cells.
  const relation = (g: unknown): string =>
    footprintRelation(areaWindow(projectArea(area(g), WGS84).bounds, VALID_DS), 1560, 1440);

  it('classifies the upstream test shapes', () => {
    expect(relation({ type: 'Point', coordinates: [-110, 38] })).toBe('inside');
    expect(relation({ type: 'Point', coordinates: [-130, 38] })).toBe('outside');
    expect(relation(box(-113, 36, -111, 38))).toBe('inside');
    expect(relation(box(-110, 37, -98, 40))).toBe('partial');
    expect(relation(box(-130, 45, -120, 50))).toBe('outside');
    // Touching the east edge only: no cell of the raster is in the window.
    expect(relation(box(-102, 31, -101, 43))).toBe('outside');
  });

  it('n_cells counts the cells outside the raster too', () => {
    // Half of this box lies west of the 5×5 grid: window col −1, 2 × 1 cells, both counted.
    const p = projectArea(area(box(-124, 43, -122, 44)), WGS84);
    const w = areaWindow(p.bounds, GRID_5X5);
    expect(w).toEqual({ col: -1, row: 1, width: 2, height: 1 });
    expect(footprintRelation(w, 5, 5)).toBe('partial');
    expect(computeCoverage(p, w, GRID_5X5, 'centre', GEOMETRY).nCells).toBe(2);
  });
});
