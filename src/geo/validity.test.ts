import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { areaSize, unionPolygons } from './area.js';
import { computeCoverage } from './coverage.js';
import { resolveCrs } from './crs.js';
import type { Position } from './geojson.js';
import { ringsSelfIntersect } from './validity.js';
import { loadGeometryEngine } from './geos.js';

const GEOMETRY = await loadGeometryEngine();

const square: Position[] = [
  [0, 0],
  [4, 0],
  [4, 4],
  [0, 4],
  [0, 0],
];
// The upstream test suite's bow-tie.
const bowtie: Position[] = [
  [-110, 38],
  [-109, 39],
  [-109, 38],
  [-110, 39],
  [-110, 38],
];

describe('ringsSelfIntersect', () => {
  it('finds crossings and overlaps, not shared vertices', () => {
    expect(ringsSelfIntersect([square])).toBe(false);
    expect(ringsSelfIntersect([bowtie])).toBe(true);
    const hole: Position[] = [
      [1, 1],
      [1, 2],
      [2, 2],
      [2, 1],
      [1, 1],
    ];
    expect(ringsSelfIntersect([square, hole])).toBe(false);
    const crossingHole: Position[] = [
      [3, 1],
      [5, 1],
      [5, 2],
      [3, 2],
      [3, 1],
    ];
    expect(ringsSelfIntersect([square, crossingHole])).toBe(true);
    // A hole touching the shell at one vertex is fine; one running along the shell is not.
    const touching: Position[] = [
      [0, 2],
      [1, 3],
      [1, 1],
      [0, 2],
    ];
    expect(ringsSelfIntersect([square, touching])).toBe(false);
    const along: Position[] = [
      [0, 1],
      [1, 2],
      [0, 3],
      [0, 1],
    ];
    expect(ringsSelfIntersect([square, along])).toBe(true);
  });

  it('accepts every star-shaped ring', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.1, max: 5, noNaN: true }), { minLength: 3, maxLength: 60 }), (radii) => {
        const pts = radii.map((r, i): Position => {
          const a = (2 * Math.PI * i) / radii.length;
          return [r * Math.cos(a), r * Math.sin(a)];
        });
        expect(ringsSelfIntersect([[...pts, pts[0]!]])).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('self-intersecting input', () => {
  const WGS84 = resolveCrs('EPSG:4326');
  const area = {
    shapes: [{ type: 'Polygon' as const, coordinates: [bowtie] }],
    pointsOnly: false,
    nShapes: 1,
    nCoordinates: 5,
  };

  it('a bow-tie is split into its two lobes before signed-area sums', () => {
    const lobes = unionPolygons(area.shapes, GEOMETRY);
    expect(lobes).toHaveLength(2);
    const left: Position[] = [
      [-110, 38],
      [-109.5, 38.5],
      [-110, 39],
      [-110, 38],
    ];
    const right: Position[] = [
      [-109.5, 38.5],
      [-109, 38],
      [-109, 39],
      [-109.5, 38.5],
    ];
    const size = (r: Position[]): number =>
      areaSize(
        { shapes: [{ type: 'Polygon', coordinates: [r] }], pointsOnly: false, nShapes: 1, nCoordinates: 4 },
        WGS84,
        GEOMETRY,
      );
    const total = areaSize(area, WGS84, GEOMETRY);
    expect(Math.abs(total - (size(left) + size(right))) / total).toBeLessThan(1e-12);
    // Each lobe is a quarter of the 1° cell, near enough.
    expect(total / size(square.map(([x, y]) => [-110 + x / 4, 38 + y / 4]))).toBeCloseTo(0.5, 2);
  });

  it('fractional coverage counts both lobes; centre burns both as GDAL does (even-odd)', () => {
    const t = [0.1, 0, -110, 0, -0.1, 39] as const;
    const projected = {
      shapes: area.shapes,
      bounds: [-110, 38, -109, 39] as [number, number, number, number],
      pointsOnly: false,
    };
    const win = { col: 0, row: 0, width: 10, height: 10 };
    const frac = computeCoverage(projected, win, t, 'fractional', GEOMETRY);
    expect(frac.weights.reduce((s, v) => s + v, 0)).toBeCloseTo(50, 9);
    const centre = computeCoverage(projected, win, t, 'centre', GEOMETRY);
    // rasterio.features.rasterize gives 50 (centre) and 64 (all_touched) for this bow-tie on this grid.
    expect(centre.nCells).toBe(50);
    expect(computeCoverage(projected, win, t, 'all_touched', GEOMETRY).nCells).toBe(64);
  });
});
