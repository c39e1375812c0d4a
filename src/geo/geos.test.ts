import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ccw, clipConvex, polygonAreaInConvex, ringArea } from '../../test/support/convex.clip.js';
import type { Affine } from './affine.js';
import { areaSize, extractionWindow, projectArea, unionPolygons } from './area.js';
import { computeCoverage } from './coverage.js';
import { resolveCrs } from './crs.js';
import type { Position, Shape } from './geojson.js';
import { loadGeometryEngine, type Rings } from './geos.js';

const GEOMETRY = await loadGeometryEngine();

const FAILURES = JSON.parse(
  readFileSync(new URL('../../test/fixtures/geometry/union-failures.json', import.meta.url), 'utf8'),
) as { cases: Record<string, Rings[]> };

/** Area of a valid polygon: |exterior| − Σ|holes| (planar). */
const polygonArea = (p: Rings): number => p.reduce((s, r, i) => s + (i === 0 ? ringArea(r) : -ringArea(r)), 0);
const unionArea = (polys: Rings[]): number => polys.reduce((s, p) => s + polygonArea(p), 0);
const WGS84 = resolveCrs('EPSG:4326');

describe('polygonUnion on inputs that made polygon-clipping throw', () => {
  it.each(Object.entries(FAILURES.cases))(
    '%s: a valid union whose area lies between the largest part and the sum',
    (_, polys) => {
      const u = GEOMETRY.union(polys);
      expect(u.length).toBeGreaterThan(0);
      for (const p of u) expect(GEOMETRY.invalidReason(p)).toBeNull();
      const parts = polys.map(polygonArea);
      const area = unionArea(u);
      expect(area).toBeGreaterThanOrEqual(Math.max(...parts) * (1 - 1e-9));
      expect(area).toBeLessThanOrEqual(parts.reduce((s, a) => s + a, 0) * (1 + 1e-9));
    },
  );

  it.each(Object.entries(FAILURES.cases))(
    '%s: every coverage mode on a grid over it, and the area, without throwing',
    (_, polys) => {
      const shapes: Shape[] = polys.map((coordinates) => ({ type: 'Polygon', coordinates }));
      const projected = projectArea({ shapes, pointsOnly: false, nShapes: shapes.length, nCoordinates: 0 }, WGS84);
      const [minx, miny, maxx, maxy] = projected.bounds;
      // A demo-like grid: ~30 cells across the area, origin off the area's corner by a fraction of a cell.
      const cell = Math.max(maxx - minx, maxy - miny) / 30;
      const t: Affine = [cell, 0, minx - 0.37 * cell, 0, -cell, maxy + 0.61 * cell];
      const w = extractionWindow(projected, t);
      for (const mode of ['centre', 'all_touched', 'fractional'] as const) {
        const c = computeCoverage(projected, w, t, mode, GEOMETRY);
        expect(c.nCells, mode).toBeGreaterThan(0);
        if (mode === 'fractional') {
          const covered = c.weights.reduce((s, v) => s + v, 0) * cell * cell;
          expect(Math.abs(covered - unionArea(unionPolygons(shapes, GEOMETRY))) / covered).toBeLessThan(1e-9);
        }
      }
      expect(
        areaSize({ shapes, pointsOnly: false, nShapes: shapes.length, nCoordinates: 0 }, WGS84, GEOMETRY),
      ).toBeGreaterThan(0);
    },
  );
});

describe('polygonInvalidReason (OGC validity, in GEOS/Shapely words)', () => {
  it('explains a bow-tie and a hole outside its shell; a valid polygon has no reason', () => {
    expect(
      GEOMETRY.invalidReason([
        [
          [0, 0],
          [2, 2],
          [2, 0],
          [0, 2],
          [0, 0],
        ],
      ]),
    ).toBe('Self-intersection[1 1]');
    const square: Position[] = [
      [0, 0],
      [4, 0],
      [4, 4],
      [0, 4],
      [0, 0],
    ];
    expect(
      GEOMETRY.invalidReason([
        square,
        [
          [5, 5],
          [6, 5],
          [6, 6],
          [5, 5],
        ],
      ]),
    ).toMatch(/^Hole lies outside shell\[/);
    expect(
      GEOMETRY.invalidReason([
        square,
        [
          [1, 1],
          [2, 1],
          [2, 2],
          [1, 1],
        ],
      ]),
    ).toBeNull();
  });
});

// ---- properties ----------------------------------------------------------------------------------------------

/** A star around (cx, cy) (simple, concave), optionally with a hole well inside it. */
const starArb = fc
  .record({
    cx: fc.double({ min: -5, max: 5, noNaN: true }),
    cy: fc.double({ min: -5, max: 5, noNaN: true }),
    radii: fc.array(fc.double({ min: 0.3, max: 3, noNaN: true }), { minLength: 3, maxLength: 20 }),
    hole: fc.boolean(),
  })
  .map(({ cx, cy, radii, hole }): Rings => {
    const at = (scale: number, rs: readonly number[]): Position[] => {
      const pts = rs.map((r, i): Position => {
        const a = (2 * Math.PI * i) / rs.length;
        return [cx + scale * r * Math.cos(a), cy + scale * r * Math.sin(a)];
      });
      return [...pts, pts[0]!];
    };
    // Every edge of the star passes ≥ 0.3 · cos(π/3) = 0.15 from its centre; the hole's radius is ≤ 0.12.
    return hole
      ? [
          at(1, radii),
          at(
            0.04,
            radii.map(() => 3),
          ),
        ]
      : [at(1, radii)];
  });

/** A convex polygon: points on an ellipse at sorted angles, counter-clockwise, closed. */
const convexArb = fc
  .record({
    cx: fc.double({ min: -6, max: 6, noNaN: true }),
    cy: fc.double({ min: -6, max: 6, noNaN: true }),
    rx: fc.double({ min: 0.2, max: 4, noNaN: true }),
    ry: fc.double({ min: 0.2, max: 4, noNaN: true }),
    angles: fc.uniqueArray(fc.integer({ min: 0, max: 359 }), { minLength: 3, maxLength: 12 }),
  })
  .map(({ cx, cy, rx, ry, angles }): Position[] => {
    const pts = [...angles]
      .sort((a, b) => a - b)
      .map((d): Position => [cx + rx * Math.cos((d * Math.PI) / 180), cy + ry * Math.sin((d * Math.PI) / 180)]);
    const ring = ccw(pts);
    return [...ring, ring[0]!];
  });

/**
 * The area of (star ∪ convex₁ ∪ … ∪ convexₖ) by inclusion–exclusion, every intersection computed by clipping with
 * convex regions (an intersection of convex polygons is convex): an oracle that shares no code with GEOS.
 */
function inclusionExclusion(star: Rings, convex: Position[][]): number {
  let total = polygonArea(star);
  const k = convex.length;
  for (let mask = 1; mask < 1 << k; mask++) {
    let clip: Position[] | null = null;
    let bits = 0;
    for (let i = 0; i < k; i++) {
      if (!(mask & (1 << i))) continue;
      bits++;
      clip = clip === null ? convex[i]!.slice(0, -1) : ccw(clipConvex(clip, convex[i]!));
    }
    const sign = bits % 2 === 1 ? 1 : -1;
    const inter = clip !== null && clip.length >= 3 ? ringArea(clip) : 0;
    // + area(∩ convex) − area(star ∩ (∩ convex)) with the sign of |subset|: the union with the star folded in.
    total += sign * (inter - (clip !== null && clip.length >= 3 ? polygonAreaInConvex(star, clip) : 0));
  }
  return total;
}

describe('union properties', () => {
  it('area of the union = inclusion–exclusion over the parts (overlapping, touching, nested), within 1e-9', () => {
    fc.assert(
      fc.property(starArb, fc.array(convexArb, { maxLength: 3 }), (star, convex) => {
        const u = GEOMETRY.union([star, ...convex.map((r) => [r])]);
        const expected = inclusionExclusion(star, convex);
        expect(Math.abs(unionArea(u) - expected)).toBeLessThanOrEqual(1e-9 * expected);
      }),
      { numRuns: 200 },
    );
  });

  it('shapes that share an edge exactly merge into one polygon of the summed area', () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0.1, max: 3, noNaN: true }), (x, w) => {
        const a: Rings = [
          [
            [x, 0],
            [x + w, 0],
            [x + w, 1],
            [x, 1],
            [x, 0],
          ],
        ];
        const b: Rings = [
          [
            [x + w, 0],
            [x + 2 * w, 0],
            [x + 2 * w, 1],
            [x + w, 1],
            [x + w, 0],
          ],
        ];
        const u = GEOMETRY.union([a, b]);
        expect(u).toHaveLength(1);
        expect(Math.abs(unionArea(u) - 2 * w)).toBeLessThanOrEqual(1e-9 * 2 * w);
      }),
      { numRuns: 50 },
    );
  });

  it('area and coverage never throw, even on rings of random points (self-intersecting, degenerate)', () => {
    const pointArb = fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }));
    const ringArb = fc.array(pointArb, { minLength: 3, maxLength: 15 }).map((pts): Position[] => [...pts, pts[0]!]);
    const t: Affine = [0.25, 0, -3.1, 0, -0.25, 3.1];
    fc.assert(
      fc.property(
        fc.array(fc.array(ringArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
        (polys) => {
          const shapes: Shape[] = polys.map((coordinates) => ({ type: 'Polygon', coordinates }));
          const area = { shapes, pointsOnly: false, nShapes: shapes.length, nCoordinates: 0 };
          const projected = projectArea(area, WGS84);
          const w = extractionWindow(projected, t);
          for (const mode of ['centre', 'all_touched', 'fractional'] as const) {
            const c = computeCoverage(projected, w, t, mode, GEOMETRY);
            for (const v of c.weights) expect(v >= 0 && v <= 1).toBe(true);
          }
          expect(areaSize(area, WGS84, GEOMETRY)).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
