/**
 * Random and hand-made areas for the GDAL cross-checks of `src/geo` (test-only): deterministic (mulberry32, and
 * fast-check with a fixed seed), so a failure reproduces.
 */
import fc from 'fast-check';
import type { Affine } from '../../src/geo/affine.js';
import type { Position, Shape } from '../../src/geo/geojson.js';
import { rng } from './crosscheck.shapes.js';

export { rng };

export function closed(ring: Position[]): Position[] {
  return [...ring, ring[0] as Position];
}

/** A star-shaped ring around (cx, cy): concave when `jag` > 0, reversed when `ccw` is false. */
export function star(
  r: () => number,
  cx: number,
  cy: number,
  radius: number,
  n: number,
  jag: number,
  ccw = true,
): Position[] {
  const pts: Position[] = [];
  for (let i = 0; i < n; i++) {
    const ang = (2 * Math.PI * i) / n;
    const rad = radius * (1 - jag * r());
    pts.push([cx + rad * Math.cos(ang), cy + rad * Math.sin(ang)]);
  }
  return closed(ccw ? pts : pts.reverse());
}

/** One area on one grid; the raster is `size` × `size` cells and every shape lies inside it. */
export interface Case {
  transform: Affine;
  shapes: Shape[];
  size: number;
}

export const SIZE = 48;

/** Hand-made kinds: convex, concave, holes, multipolygons, slivers, grid-aligned edges, several features, tiny. */
export function makeCases(): Case[] {
  const r = rng(20261127);
  const cases: Case[] = [];
  for (let k = 0; k < 96; k++) {
    const px = [1, 0.5, 0.25, 0.00833, 0.37][k % 5] as number;
    // Every sixth grid is south-up (positive e), which flips ring orientation in pixel space. Origins are
    // fractional multiples of a cell away from round numbers.
    const southUp = k % 6 === 5;
    const c0 = -120 + r() * px * 0.7;
    const f0 = (southUp ? 40 : 45) + r() * px * 0.7;
    const transform: Affine = southUp ? [px, 0, c0, 0, px, f0] : [px, 0, c0, 0, -px, f0];
    const e0 = transform[4];
    // The centre sits 12..22 cells from the origin; radii stay ≤ 7 cells, so every shape is inside the raster.
    const cx = c0 + (12 + r() * 10) * px;
    const cy = f0 + (12 + r() * 10) * e0;
    const R = px * (3 + r() * 4);
    const kind = k % 8;
    let shapes: Shape[];
    if (kind === 0) shapes = [{ type: 'Polygon', coordinates: [star(r, cx, cy, R, 7, 0)] }];
    else if (kind === 1) shapes = [{ type: 'Polygon', coordinates: [star(r, cx, cy, R, 25, 0.6, false)] }];
    else if (kind === 2) {
      shapes = [
        { type: 'Polygon', coordinates: [star(r, cx, cy, R, 16, 0.2), star(r, cx, cy, R * 0.4, 9, 0.3, false)] },
      ];
    } else if (kind === 3) {
      shapes = [
        {
          type: 'MultiPolygon',
          coordinates: [[star(r, cx - R, cy, R * 0.6, 11, 0.5)], [star(r, cx + R, cy + R * 0.3, R * 0.5, 6, 0.1)]],
        },
      ];
    } else if (kind === 4) {
      // A sliver: a long thin triangle.
      const a: Position = [cx - R, cy - R * 0.2];
      const b: Position = [cx + R, cy + R * 0.5];
      const c: Position = [cx + R, cy + R * 0.5 + px * 0.05 * r()];
      shapes = [{ type: 'Polygon', coordinates: [[a, b, c, a]] }];
    } else if (kind === 5) {
      // Grid-aligned vertices (integers in pixel space), a concave L, with a horizontal edge on a centre line.
      const X = (i: number): number => c0 + i * px;
      const Y = (j: number): number => f0 + j * e0;
      const i0 = 2 + Math.floor(r() * 5);
      const j0 = 2 + Math.floor(r() * 5);
      const ring: Position[] = [
        [X(i0), Y(j0)],
        [X(i0 + 6), Y(j0)],
        [X(i0 + 6), Y(j0 + 2.5)],
        [X(i0 + 3), Y(j0 + 2.5)],
        [X(i0 + 3), Y(j0 + 7)],
        [X(i0), Y(j0 + 7)],
      ];
      // A hole with edges on cell-centre lines (half-integers in pixel space), either orientation.
      const hole: Position[] = [
        [X(i0 + 0.5), Y(j0 + 3.5)],
        [X(i0 + 2.5), Y(j0 + 3.5)],
        [X(i0 + 2.5), Y(j0 + 5.5)],
        [X(i0 + 0.5), Y(j0 + 5.5)],
      ];
      shapes = [
        {
          type: 'Polygon',
          coordinates: [closed(k % 16 < 8 ? ring : ring.reverse()), closed(r() < 0.5 ? hole : hole.reverse())],
        },
      ];
    } else if (kind === 6) {
      // Several features, overlapping, plus a point.
      shapes = [
        { type: 'Polygon', coordinates: [star(r, cx, cy, R * 0.7, 9, 0.3)] },
        { type: 'Polygon', coordinates: [star(r, cx + R * 0.5, cy - R * 0.2, R * 0.6, 5, 0)] },
        { type: 'Point', coordinates: [cx - R * 0.9, cy + R * 0.8] },
      ];
    } else {
      // Tiny polygon inside one cell: no centre inside, so `centre` falls back to all-touched.
      const t0: Position = [cx + px * 0.1, cy - px * 0.1];
      shapes = [{ type: 'Polygon', coordinates: [closed([t0, [t0[0] + px * 0.2, t0[1]], [t0[0], t0[1] - px * 0.3]])] }];
    }
    cases.push({ transform, shapes, size: SIZE });
  }
  return cases;
}

/** Grids of the generated cases: north-up geographic (fine and coarse), projected 800 m, all with fractional origins. */
const GRIDS: Affine[] = [
  [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016],
  [0.37, 0, -120.13, 0, -0.37, 45.61],
  [800, 0, 200_123.4, 0, -800, 4_800_456.7],
];

/** A star in pixel space (centre, radii per vertex), optionally with a hole well inside it. */
const pixelStarArb = fc.record({
  cx: fc.double({ min: 10, max: 38, noNaN: true }),
  cy: fc.double({ min: 10, max: 38, noNaN: true }),
  radius: fc.double({ min: 0.05, max: 8, noNaN: true }),
  jags: fc.array(fc.double({ min: 0, max: 0.7, noNaN: true }), { minLength: 3, maxLength: 20 }),
  hole: fc.boolean(),
  reverse: fc.boolean(),
});
type PixelStar = typeof pixelStarArb extends fc.Arbitrary<infer T> ? T : never;

function starRings(s: PixelStar, toCrs: (u: number, v: number) => Position): Position[][] {
  const n = s.jags.length;
  const ringAt = (scale: number, jag: boolean): Position[] => {
    const pts = s.jags.map((j, i): Position => {
      const a = (2 * Math.PI * i) / n;
      const rad = s.radius * scale * (jag ? 1 - j : 1);
      return toCrs(s.cx + rad * Math.cos(a), s.cy + rad * Math.sin(a));
    });
    return closed(s.reverse ? pts.reverse() : pts);
  };
  // Every edge of the outer star passes at least radius · 0.3 · cos(π/3) = 0.15 · radius from the centre.
  return s.hole ? [ringAt(1, true), ringAt(0.12, false)] : [ringAt(1, true)];
}

const shapeArb = fc.oneof(
  { weight: 4, arbitrary: pixelStarArb.map((s) => ({ kind: 'polygon' as const, stars: [s] })) },
  {
    // A valid MultiPolygon: two stars of radius < 4 cells whose centres are ≥ 8 cells apart (disjoint parts).
    // Overlapping areas come as separate features, which is valid GeoJSON.
    weight: 2,
    arbitrary: fc.tuple(pixelStarArb, pixelStarArb).map(([a, b]) => ({
      kind: 'multi' as const,
      stars: [
        { ...a, cx: 10 + (a.cx - 10) / 3, radius: Math.min(a.radius, 3.9) },
        { ...b, cx: 28 + (b.cx - 10) / 3, radius: Math.min(b.radius, 3.9) },
      ],
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.double({ min: 2, max: 46, noNaN: true }), fc.double({ min: 2, max: 46, noNaN: true }))
      .map(([u, v]) => ({ kind: 'point' as const, u, v })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.double({ min: 4, max: 44, noNaN: true }),
        fc.double({ min: 4, max: 44, noNaN: true }),
        fc.double({ min: 4, max: 44, noNaN: true }),
        fc.double({ min: 4, max: 44, noNaN: true }),
        fc.double({ min: 1e-4, max: 0.2, noNaN: true }),
      )
      .map(([u0, v0, u1, v1, w]) => ({ kind: 'sliver' as const, u0, v0, u1, v1, w })),
  },
);

/** Cases drawn by fast-check with a fixed seed (reproducible in CI); 1–3 shapes each, on every grid. */
export function generatedCases(): Case[] {
  const arb = fc.record({
    grid: fc.constantFrom(...GRIDS),
    shapes: fc.array(shapeArb, { minLength: 1, maxLength: 3 }),
  });
  return fc.sample(arb, { seed: 15, numRuns: 150 }).map(({ grid, shapes }): Case => {
    const [a, , c, , e, f] = grid;
    const toCrs = (u: number, v: number): Position => [c + u * a, f + v * e];
    return {
      transform: grid,
      size: SIZE,
      shapes: shapes.map((s): Shape => {
        if (s.kind === 'point') return { type: 'Point', coordinates: toCrs(s.u, s.v) };
        if (s.kind === 'sliver') {
          const p0 = toCrs(s.u0, s.v0);
          return { type: 'Polygon', coordinates: [[p0, toCrs(s.u1, s.v1), toCrs(s.u1 + s.w, s.v1), p0]] };
        }
        if (s.kind === 'polygon') return { type: 'Polygon', coordinates: starRings(s.stars[0]!, toCrs) };
        return { type: 'MultiPolygon', coordinates: s.stars.map((st) => starRings(st, toCrs)) };
      }),
    };
  });
}
