/**
 * Cross-check against GDAL: masks from `rasterio.features.rasterize` (GDAL's rasterizer) for random polygons —
 * convex, concave, with holes, multipolygons, slivers, grid-aligned, several features, points — must equal ours
 * cell for cell; windows must equal rasterio's `from_bounds` + the U§3.4 rounding; UTM coordinates must equal
 * PROJ's (via `rasterio.warp.transform`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../test/support/env.js';
import type { Affine } from './affine.js';
import { areaWindow, projectArea } from './area.js';
import { computeCoverage } from './coverage.js';
import { resolveCrs } from './crs.js';
import type { Position, Shape } from './geojson.js';

const enabled = requireTool('rasterio', HAS_RASTERIO());

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function closed(ring: Position[]): Position[] {
  return [...ring, ring[0] as Position];
}

/** A star-shaped ring around (cx, cy): concave when `jag` > 0, reversed when `ccw` is false. */
function star(r: () => number, cx: number, cy: number, radius: number, n: number, jag: number, ccw = true): Position[] {
  const pts: Position[] = [];
  for (let i = 0; i < n; i++) {
    const ang = (2 * Math.PI * i) / n;
    const rad = radius * (1 - jag * r());
    pts.push([cx + rad * Math.cos(ang), cy + rad * Math.sin(ang)]);
  }
  return closed(ccw ? pts : pts.reverse());
}

interface Case {
  transform: Affine;
  shapes: Shape[];
}

function makeCases(): Case[] {
  const r = rng(20261127);
  const cases: Case[] = [];
  for (let k = 0; k < 96; k++) {
    const px = [1, 0.5, 0.25, 0.00833, 0.37][k % 5] as number;
    // Every sixth grid is south-up (positive e), which flips ring orientation in pixel space.
    const transform: Affine =
      k % 6 === 5 ? [px, 0, -120 + r(), 0, px, 40 + r()] : [px, 0, -120 + r(), 0, -px, 45 + r()];
    const cx = -120 + 12 * px + r() * 10 * px;
    const cy = 45 - 12 * px - r() * 10 * px;
    const R = px * (3 + r() * 9);
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
      const [, , c0, , e0, f0] = transform;
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
    cases.push({ transform, shapes });
  }
  return cases;
}

const SCRIPT = `
import json, sys
import numpy as np
from affine import Affine
from rasterio.features import rasterize
from rasterio.windows import Window, from_bounds, transform as wtransform
from rasterio.warp import transform as warp
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    t = Affine(*c["transform"])
    b = c["bounds"]
    if t.e < 0:
        fw = from_bounds(b[0], b[1], b[2], b[3], t)
    else:  # from_bounds refuses south-up grids; the same corner arithmetic by hand
        inv = ~t
        cs, rs = zip(*[inv * p for p in ((b[0], b[3]), (b[2], b[3]), (b[2], b[1]), (b[0], b[1]))])
        fw = Window(min(cs), min(rs), max(cs) - min(cs), max(rs) - min(rs))
    w, h = max(int(np.floor(fw.width + 0.5)), 1), max(int(np.floor(fw.height + 0.5)), 1)
    win = Window(int(np.floor(fw.col_off)), int(np.floor(fw.row_off)), w, h)
    wt = wtransform(win, t)
    masks = {}
    for at in (False, True):
        m = rasterize(c["shapes"], out_shape=(h, w), transform=wt, all_touched=at, fill=0, default_value=1, dtype="uint8")
        masks["all_touched" if at else "centre"] = "".join(map(str, m.ravel().tolist()))
    out.append({"window": [win.col_off, win.row_off, w, h], **masks})
utm = json.load(open(sys.argv[2]))
xs, ys = warp("EPSG:4326", utm["crs"], [p[0] for p in utm["points"]], [p[1] for p in utm["points"]])
print(json.dumps({"cases": out, "utm": [list(p) for p in zip(xs, ys)]}))
`;

describe.runIf(enabled)('coverage and windows against GDAL/rasterio', () => {
  // Python runs in beforeAll: a skipped suite's body still runs at collection, without rasterio.
  let dir = '';
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  const cases = makeCases();
  const crs = resolveCrs('EPSG:4326');
  const projected = cases.map((c) =>
    projectArea({ shapes: c.shapes, pointsOnly: false, nShapes: 0, nCoordinates: 0 }, crs),
  );
  const utmPoints: Position[] = [];
  const r = rng(7);
  for (let i = 0; i < 40; i++) utmPoints.push([-114 + 6 * r(), 20 + 40 * r()]);

  const run = (): {
    cases: { window: [number, number, number, number]; centre: string; all_touched: string }[];
    utm: Position[];
  } => {
    const input = join(dir, 'cases.json');
    const utm = join(dir, 'utm.json');
    writeFileSync(input, JSON.stringify(cases.map((c, i) => ({ ...c, bounds: projected[i]?.bounds }))));
    writeFileSync(utm, JSON.stringify({ crs: 'EPSG:32612', points: utmPoints }));
    const script = join(dir, 'ref.py');
    writeFileSync(script, SCRIPT);
    return JSON.parse(execFileSync(PYTHON, [script, input, utm], { encoding: 'utf8', timeout: 60_000 })) as ReturnType<
      typeof run
    >;
  };
  let ref!: ReturnType<typeof run>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skope-geo-'));
    ref = run();
  }, 120_000);

  it('windows equal rasterio from_bounds with U§3.4 rounding', () => {
    cases.forEach((c, i) => {
      const w = areaWindow(projected[i]!.bounds, c.transform);
      expect([w.col, w.row, w.width, w.height], `case ${i}`).toEqual(ref.cases[i]!.window);
    });
  });

  it.each(['all_touched', 'centre'] as const)('%s masks equal GDAL cell for cell', (mode) => {
    let burnt = 0;
    cases.forEach((c, i) => {
      const w = areaWindow(projected[i]!.bounds, c.transform);
      const gdal = ref.cases[i]!;
      // Upstream's rule: the centre mask, or the all-touched one when the centre mask is empty.
      const expected = mode === 'centre' && !gdal.centre.includes('1') ? gdal.all_touched : gdal[mode];
      const ours = Array.from(computeCoverage(projected[i]!, w, c.transform, mode).weights, (v) => String(v)).join('');
      expect(ours, `case ${i} (${mode})`).toBe(expected);
      burnt += expected.split('1').length - 1;
    });
    expect(burnt).toBeGreaterThan(1000); // the cases are not trivially empty
  });

  it('centre falls back to all-touched in the tiny-polygon cases', () => {
    const tiny = ref.cases.filter((_, i) => i % 8 === 7);
    expect(tiny.length).toBe(12);
    for (const g of tiny) expect(g.centre.includes('1')).toBe(false);
  });

  it('UTM zone 12N coordinates equal PROJ within 1 mm', () => {
    const utm = resolveCrs('EPSG:32612');
    utmPoints.forEach((p, i) => {
      const [x, y] = utm.forward(p[0], p[1]);
      const [ex, ey] = ref.utm[i]!;
      expect(Math.abs(x - ex)).toBeLessThan(1e-3);
      expect(Math.abs(y - ey)).toBeLessThan(1e-3);
    });
  });
});

const PIPELINE_SCRIPT = `
import json, sys
import numpy as np
from affine import Affine
from rasterio.features import rasterize
from rasterio.windows import Window, from_bounds, transform as wtransform
from rasterio.warp import transform as warp
spec = json.load(open(sys.argv[1]))
out = []
for c in spec["cases"]:
    t = Affine(*c["transform"])
    shapes = []
    for s in c["shapes"]:
        rings = []
        for ring in s["coordinates"]:
            xs, ys = warp("EPSG:4326", c["crs"], [p[0] for p in ring], [p[1] for p in ring])
            rings.append(list(zip(xs, ys)))
        shapes.append({"type": "Polygon", "coordinates": rings})
    pts = [p for s in shapes for p in s["coordinates"][0]]
    b = (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
    fw = from_bounds(*b, t)
    w, h = max(int(np.floor(fw.width + 0.5)), 1), max(int(np.floor(fw.height + 0.5)), 1)
    win = Window(int(np.floor(fw.col_off)), int(np.floor(fw.row_off)), w, h)
    wt = wtransform(win, t)
    res = {"window": [win.col_off, win.row_off, w, h]}
    for at in (False, True):
        m = rasterize(shapes, out_shape=(h, w), transform=wt, all_touched=at, fill=0, default_value=1, dtype="uint8")
        res["all_touched" if at else "centre"] = "".join(map(str, m.ravel().tolist()))
    out.append(res)
print(json.dumps(out))
`;

describe.runIf(enabled)(
  'the whole area → cells pipeline against rasterio + PROJ (EPSG:4269 PaleoCAR grid, UTM 12N)',
  () => {
    const grids: { crs: string; transform: Affine; lon: number; lat: number; size: number }[] = [
      {
        crs: 'EPSG:4269',
        transform: [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016],
        lon: -108,
        lat: 37,
        size: 0.3,
      },
      { crs: 'EPSG:32612', transform: [800, 0, 200000, 0, -800, 4800000], lon: -110, lat: 38, size: 0.4 },
    ];
    const r = rng(4269);
    const cases = Array.from({ length: 60 }, (_, k) => {
      const g = grids[k % 2]!;
      const cx = g.lon + (r() - 0.5) * 2;
      const cy = g.lat + (r() - 0.5) * 2;
      const R = g.size * (0.05 + r());
      const rings =
        k % 3 === 0
          ? [star(r, cx, cy, R, 40, 0.5), star(r, cx, cy, R * 0.3, 7, 0.2, false)]
          : [star(r, cx, cy, R, 12 + (k % 30), 0.4)];
      const shapes: Shape[] = [{ type: 'Polygon', coordinates: rings }];
      return { crs: g.crs, transform: g.transform, shapes };
    });
    let dir = '';
    let ref: { window: number[]; centre: string; all_touched: string }[] = [];
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'skope-geo-'));
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ cases }));
      writeFileSync(join(dir, 'pipeline.py'), PIPELINE_SCRIPT);
      ref = JSON.parse(
        execFileSync(PYTHON, [join(dir, 'pipeline.py'), join(dir, 'spec.json')], { encoding: 'utf8', timeout: 60_000 }),
      ) as typeof ref;
    }, 120_000);
    afterAll(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('windows and masks are identical', () => {
      let cells = 0;
      cases.forEach((c, i) => {
        const area = projectArea(
          { shapes: c.shapes, pointsOnly: false, nShapes: 1, nCoordinates: 0 },
          resolveCrs(c.crs),
        );
        const w = areaWindow(area.bounds, c.transform);
        const gdal = ref[i]!;
        expect([w.col, w.row, w.width, w.height], `case ${i} window`).toEqual(gdal.window);
        const expectedCentre = gdal.centre.includes('1') ? gdal.centre : gdal.all_touched;
        const centre = Array.from(computeCoverage(area, w, c.transform, 'centre').weights, String).join('');
        const touched = Array.from(computeCoverage(area, w, c.transform, 'all_touched').weights, String).join('');
        expect(centre, `case ${i} centre (${c.crs})`).toBe(expectedCentre);
        expect(touched, `case ${i} all_touched (${c.crs})`).toBe(gdal.all_touched);
        cells += expectedCentre.split('1').length - 1;
      });
      expect(cells).toBeGreaterThan(10_000);
    });
  },
);
