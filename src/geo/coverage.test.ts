import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Affine } from './affine.js';
import { areaWindow, projectArea, type ProjectedArea } from './area.js';
import { boxRing as ring } from './box.js';
import { computeCoverage, type CoverageMode } from './coverage.js';
import { resolveCrs } from './crs.js';
import { parseSelectedArea, type Position, type Shape } from './geojson.js';
import { polygonAreaInConvex } from '../../test/support/convex.clip.js';
import { loadGeometryEngine } from './geos.js';

const GEOMETRY = await loadGeometryEngine();

const WGS84 = resolveCrs('EPSG:4326');
const GRID_5X5: Affine = [1, 0, -123, 0, -1, 45];

function cover(shapes: Shape[], t: Affine, mode: CoverageMode): ReturnType<typeof computeCoverage> & { win: string } {
  const area = parseSelectedArea(
    {
      type: 'FeatureCollection',
      features: shapes.map((geometry) => ({ type: 'Feature', geometry, properties: null })),
    },
    { maxShapes: 100, maxCoordinates: 100_000 },
  );
  const p = projectArea(area, WGS84);
  const w = areaWindow(p.bounds, t);
  return { ...computeCoverage(p, w, t, mode, GEOMETRY), win: `${w.col},${w.row},${w.width}x${w.height}` };
}

const poly = (...rings: Position[][]): Shape => ({ type: 'Polygon', coordinates: rings });

describe('computeCoverage on the upstream 5×5 grid', () => {
  it('the single-cell polygon covers its one cell in every mode', () => {
    for (const mode of ['centre', 'all_touched', 'fractional'] as const) {
      const c = cover([poly(ring(-122, 43, -121, 44))], GRID_5X5, mode);
      expect([c.win, c.nCells, Array.from(c.weights)]).toEqual(['1,1,1x1', 1, [1]]);
    }
  });

  it('the full-grid polygon gives 25 cells', () => {
    for (const mode of ['centre', 'all_touched', 'fractional'] as const) {
      const c = cover([poly(ring(-123, 40, -118, 45))], GRID_5X5, mode);
      expect([c.win, c.nCells]).toEqual(['0,0,5x5', 25]);
      expect(c.weights.every((v) => v === 1)).toBe(true);
    }
  });

  it('a point at the origin burns pixel (0, 0): n_cells 1', () => {
    const c = cover([{ type: 'Point', coordinates: [-123, 45] }], GRID_5X5, 'centre');
    expect([c.win, c.nCells, Array.from(c.weights)]).toEqual(['0,0,1x1', 1, [1]]);
  });

  it('a polygon holding no cell centre falls back to all-touched (as upstream does)', () => {
    // 0.2° × 0.3° inside cell (1, 1), straddling nothing: the centre rule marks nothing.
    const tiny = poly([
      [-121.9, 43.9],
      [-121.7, 43.9],
      [-121.7, 43.6],
      [-121.9, 43.9],
    ]);
    const c = cover([tiny], GRID_5X5, 'centre');
    expect([c.win, c.nCells]).toEqual(['1,1,1x1', 1]);
    // Straddling a vertical cell edge without any centre: both touched cells count.
    const straddle = poly(ring(-121.2, 43.1, -120.9, 43.3));
    const s = cover([straddle], GRID_5X5, 'centre');
    // (The window used to be upstream's: 1 column, which cut the second touched cell off.)
    expect([s.win, s.nCells, Array.from(s.weights)]).toEqual(['1,1,2x1', 2, [1, 1]]);
    const wide = poly(ring(-121.45, 43.1, -120.55, 43.3)); // columns 1.55..2.45: no centre, two touched cells
    expect(cover([wide], GRID_5X5, 'centre').nCells).toBe(2);
  });

  it('fractional weights are the covered shares', () => {
    // Half of cell (1,1) and an eighth of cell (2,1), on a window of 2×1 cells (upstream's window cut the second).
    const c = cover([poly(ring(-122, 43.5, -120.75, 44))], GRID_5X5, 'fractional');
    expect(c.win).toBe('1,1,2x1');
    expect(Array.from(c.weights)).toEqual([0.5, 0.125]);
    const d = cover([poly(ring(-122.5, 43, -120.5, 44))], GRID_5X5, 'fractional');
    expect(d.win).toBe('0,1,3x1');
    expect(Array.from(d.weights)).toEqual([0.5, 1, 0.5]);
    expect(d.nCells).toBe(3);
  });

  it('holes are excluded and overlapping shapes are not double counted in fractional mode', () => {
    const donut = poly(ring(-123, 40, -118, 45), ring(-122, 41, -119, 44));
    const c = cover([donut], GRID_5X5, 'fractional');
    expect(c.nCells).toBe(16);
    expect(c.weights.reduce((s, v) => s + v, 0)).toBe(16);
    const both = cover([poly(ring(-123, 44, -121, 45)), poly(ring(-122, 44, -120, 45))], GRID_5X5, 'fractional');
    expect(Array.from(both.weights)).toEqual([1, 1, 1]);
  });

  it('centre excludes a hole, all_touched keeps the cells the hole edges run through', () => {
    const donut = poly(ring(-123, 40, -118, 45), ring(-121.8, 41.2, -119.2, 43.8));
    expect(cover([donut], GRID_5X5, 'centre').nCells).toBe(16);
    const touched = cover([donut], GRID_5X5, 'all_touched');
    // Only the middle cell lies wholly inside the hole.
    expect(touched.nCells).toBe(24);
    expect(touched.weights[12]).toBe(0);
  });
});

// ---- properties ----------------------------------------------------------------------------------------------

const GRID: Affine = [0.5, 0, -10, 0, -0.5, 10];

/** A random simple polygon: a star around a centre (concave, any orientation and starting vertex). */
interface Star {
  ring: Position[];
  cx: number;
  cy: number;
}

const centredStarArb = fc
  .record({
    cx: fc.double({ min: -6, max: 6, noNaN: true }),
    cy: fc.double({ min: -6, max: 6, noNaN: true }),
    radii: fc.array(fc.double({ min: 0.3, max: 3, noNaN: true }), { minLength: 3, maxLength: 24 }),
  })
  .map(({ cx, cy, radii }): Star => {
    const pts = radii.map((r, i): Position => {
      const a = (2 * Math.PI * i) / radii.length;
      return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
    });
    return { ring: [...pts, pts[0] as Position], cx, cy };
  });
const starArb = centredStarArb.map((s) => s.ring);

function coverageOf(rings: Position[][], mode: CoverageMode, t: Affine = GRID): ReturnType<typeof computeCoverage> {
  const area: ProjectedArea = projectArea(
    { shapes: [{ type: 'Polygon', coordinates: rings }], pointsOnly: false, nShapes: 1, nCoordinates: 0 },
    WGS84,
  );
  // A fixed window wider than any star, so every polygon lies inside it.
  return computeCoverage(area, { col: 0, row: 0, width: 40, height: 40 }, t, mode, GEOMETRY);
}

function shoelace(r: Position[]): number {
  let s = 0;
  for (let i = 0; i + 1 < r.length; i++) s += r[i]![0] * r[i + 1]![1] - r[i + 1]![0] * r[i]![1];
  return Math.abs(s / 2);
}

function reorder(r: Position[], start: number, reverse: boolean): Position[] {
  const open = r.slice(0, -1);
  const k = start % open.length;
  let rot = [...open.slice(k), ...open.slice(0, k)];
  if (reverse) rot = rot.reverse();
  return [...rot, rot[0] as Position];
}

describe('coverage properties', () => {
  it('fractional weights lie in [0, 1] and sum × cell area to the polygon area', () => {
    fc.assert(
      fc.property(starArb, (r) => {
        const c = coverageOf([r], 'fractional');
        let sum = 0;
        let min = Infinity;
        let max = -Infinity;
        for (const v of c.weights) {
          min = Math.min(min, v);
          max = Math.max(max, v);
          sum += v;
        }
        expect(min).toBeGreaterThanOrEqual(0);
        expect(max).toBeLessThanOrEqual(1);
        expect(Math.abs(sum * 0.25 - shoelace(r))).toBeLessThan(1e-9 * (1 + shoelace(r)));
      }),
      { numRuns: 150 },
    );
  });

  it('a hole removes exactly its area', () => {
    fc.assert(
      fc.property(starArb, (r) => {
        // The star shrunk about the origin lies within ±4.5, well inside the outer square and the window.
        const outer: Position[] = ring(-9.5, -9.5, 9.5, 9.5);
        const hole: Position[] = r.map(([x, y]) => [x * 0.5, y * 0.5]);
        const c = coverageOf([outer, hole], 'fractional');
        const sum = c.weights.reduce((s, v) => s + v, 0);
        expect(Math.abs(sum * 0.25 - (19 * 19 - shoelace(hole)))).toBeLessThan(1e-9);
      }),
      { numRuns: 60 },
    );
  });

  it('an edge starting a few ULPs left of a column boundary still touches the cells right of it', () => {
    // Found by the property below (seed 1511104041): x = 31.999999999999996 px, where x + 1 rounds up to 33, so a
    // walk that stepped to floor(x + 1) jumped over column 32. All four cells around (6, 0) are touched.
    const diamond: Position[] = [
      [6.299999999999998, 0],
      [5.999999999999998, 0.3],
      [5.699999999999998, 3.6739403974420595e-17],
      [5.999999999999998, -0.3],
      [6.299999999999998, 0],
    ];
    const touched = coverageOf([diamond], 'all_touched').weights;
    const cells = [...touched.keys()].filter((i) => touched[i] === 1).map((i) => [Math.floor(i / 40), i % 40]);
    expect(cells).toEqual([
      [19, 31],
      [19, 32],
      [20, 31],
      [20, 32],
    ]);
  });

  it('centre cells ⊆ all_touched cells ⊆ fractional cells', () => {
    fc.assert(
      fc.property(starArb, (r) => {
        const centre = coverageOf([r], 'centre').weights;
        const touched = coverageOf([r], 'all_touched').weights;
        const frac = coverageOf([r], 'fractional').weights;
        let violations = 0;
        for (let i = 0; i < centre.length; i++) {
          if (centre[i]! > 0 && touched[i] !== 1) violations++;
          // GDAL's all-touched rule leaves a cell out when an edge runs along its boundary; an edge 1e-9 off the
          // boundary still gives the exact coverage a sliver of ~1e-8 of a cell (seen: seed 343684926). Shares that
          // small are float noise, not a touched cell.
          if (frac[i]! > 1e-6 && touched[i] !== 1) violations++;
        }
        expect(violations).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('weights do not depend on ring orientation or starting vertex', () => {
    fc.assert(
      fc.property(starArb, fc.nat(), fc.boolean(), (r, start, reverse) => {
        const r2 = reorder(r, start, reverse);
        let differ = 0;
        for (const mode of ['centre', 'all_touched'] as const) {
          const a = coverageOf([r], mode).weights;
          const b = coverageOf([r2], mode).weights;
          for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
        }
        const a = coverageOf([r], 'fractional').weights;
        const b = coverageOf([r2], 'fractional').weights;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        expect(differ).toBe(0);
        expect(worst).toBeLessThan(1e-12);
      }),
      { numRuns: 100 },
    );
  });

  it('a polygon covering the whole window gives all weights 1', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.constantFrom(...(['centre', 'all_touched', 'fractional'] as const)),
        (m, mode) => {
          const c = coverageOf([ring(-10 - m, -10 - m, 10 + m, 10 + m)], mode);
          expect(c.nCells).toBe(1600);
          expect(c.weights.every((v) => v === 1)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('handles a 1000×1000-cell window with a 10 000-vertex polygon', () => {
    const n = 10_000;
    const pts: Position[] = [];
    for (let i = 0; i < n; i++) {
      const a = (2 * Math.PI * i) / n;
      const r = 4.9 * (0.8 + 0.2 * Math.sin(37 * a));
      pts.push([5 + r * Math.cos(a), 5 + r * Math.sin(a)]);
    }
    pts.push(pts[0]!);
    const area: ProjectedArea = {
      shapes: [{ type: 'Polygon', coordinates: [pts] }],
      bounds: [0, 0, 10, 10],
      pointsOnly: false,
    };
    const t: Affine = [0.01, 0, 0, 0, -0.01, 10];
    const w = areaWindow(area.bounds, t);
    expect(w).toEqual({ col: 0, row: 0, width: 1000, height: 1000 });
    const frac = computeCoverage(area, w, t, 'fractional', GEOMETRY);
    const sum = frac.weights.reduce((s, v) => s + v, 0);
    expect(Math.abs(sum * 1e-4 - shoelace(pts))).toBeLessThan(1e-8);
    const centre = computeCoverage(area, w, t, 'centre', GEOMETRY);
    // The centre count approximates the area in cells to within the boundary cells.
    expect(Math.abs(centre.nCells - shoelace(pts) * 1e4)).toBeLessThan(frac.nCells - centre.nCells + 1);
  });
});

/** The counterexample that made the former oracle (polygon-clipping) throw: a concave star with a hole. */
const STAR_WITH_HOLE_1551733789: [Star, Star] = [
  {
    ring: [
      [0.3, 0],
      [1.8369701987210297e-17, 0.3],
      [-2.9999999999999996, 3.673940397442059e-16],
      [-3.0394429192535376e-16, -1.6545956604901464],
      [0.3, 0],
    ],
    cx: 0,
    cy: 0,
  },
  {
    ring: [
      [0.3, 0],
      [-0.14999999999999994, 0.2598076211353316],
      [-0.15000000000000013, -0.2598076211353315],
      [0.3, 0],
    ],
    cx: 0,
    cy: 0,
  },
];

describe('fractional coverage against convex clipping', () => {
  it('each weight equals the area of the polygon clipped to the cell (an independent computation)', () => {
    const t: Affine = [0.5, 0, -10, 0, -0.5, 10];
    fc.assert(
      fc.property(centredStarArb, centredStarArb, ({ ring: outer, cx, cy }, inner) => {
        // A concave star with a hole: the second star shrunk to a radius ≤ 0.12 about the first one's centre, which
        // keeps it inside (every edge of the outer star passes at least 0.15 from its centre).
        const hole: Position[] = inner.ring.map(([x, y]) => [cx + (x - inner.cx) * 0.04, cy + (y - inner.cy) * 0.04]);
        const rings = [outer, hole];
        const c = coverageOf(rings, 'fractional', t);
        let worst = 0;
        for (let r = 0; r < 40; r++) {
          for (let col = 0; col < 40; col++) {
            const x0 = -10 + col * 0.5;
            const y1 = 10 - r * 0.5;
            const cell: Position[] = [
              [x0, y1 - 0.5],
              [x0 + 0.5, y1 - 0.5],
              [x0 + 0.5, y1],
              [x0, y1],
            ];
            const expected = polygonAreaInConvex(rings, cell);
            worst = Math.max(worst, Math.abs(c.weights[r * 40 + col]! - expected / 0.25));
          }
        }
        expect(worst).toBeLessThan(1e-9);
      }),
      { numRuns: 12, examples: [STAR_WITH_HOLE_1551733789] },
    );
  });
});

describe('degenerate polygons', () => {
  it('a zero-area box still gives one cell in every mode (the all-touched fallback)', () => {
    const flat = poly([
      [-121.3, 43.4],
      [-121.3, 43.4],
      [-121.3, 43.4],
      [-121.3, 43.4],
    ]);
    for (const mode of ['centre', 'all_touched', 'fractional'] as const) {
      const c = cover([flat], GRID_5X5, mode);
      expect([mode, c.win, c.nCells, Array.from(c.weights)]).toEqual([mode, '1,1,1x1', 1, [1]]);
    }
  });
});
