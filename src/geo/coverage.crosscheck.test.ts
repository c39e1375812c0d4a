/**
 * Cross-check against GDAL: the cells our rules select for random areas — convex, concave, with holes,
 * multipolygons, slivers, grid-aligned, several features, points — must equal the cells GDAL's rasterizer
 * (`rasterio.features.rasterize`) burns over the WHOLE raster, not over our window: so a window that cut cells off
 * would fail here. `centre` (with the all-touched fallback) and `all_touched` must be equal cell for cell, and
 * `fractional` weights must be > 0 exactly on GDAL's all-touched cells. UTM coordinates must equal PROJ's (via
 * `rasterio.warp.transform`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../test/support/env.js';
import type { Affine } from './affine.js';
import { extractionWindow, projectArea, type ProjectedArea } from './area.js';
import { computeCoverage, type CoverageMode } from './coverage.js';
import { resolveCrs } from './crs.js';
import type { Position } from './geojson.js';
import { generatedCases, makeCases, rng, type Case } from '../../test/support/geo.cases.js';
import { ccw, polygonAreaInConvex } from '../../test/support/convex.clip.js';
import { loadGeometryEngine } from './geos.js';

const GEOMETRY = await loadGeometryEngine();

const enabled = requireTool('rasterio', HAS_RASTERIO());

const SCRIPT = `
import json, sys
from affine import Affine
from rasterio.features import rasterize
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    t = Affine(*c["transform"])
    n = c["size"]
    masks = {}
    for at in (False, True):
        # The whole raster, not a window: every cell GDAL burns anywhere.
        m = rasterize(c["shapes"], out_shape=(n, n), transform=t, all_touched=at, fill=0, default_value=1, dtype="uint8")
        masks["all_touched" if at else "centre"] = "".join(map(str, m.ravel().tolist()))
    out.append(masks)
utm = json.load(open(sys.argv[2]))
from rasterio.warp import transform as warp
xs, ys = warp("EPSG:4326", utm["crs"], [p[0] for p in utm["points"]], [p[1] for p in utm["points"]])
print(json.dumps({"cases": out, "utm": [list(p) for p in zip(xs, ys)]}))
`;

/** Our selection for `mode` over the whole `size` × `size` raster, as a '0'/'1' (or weight > 0) string. */
function ourMask(area: ProjectedArea, c: { transform: Affine; size: number }, mode: CoverageMode): string {
  const w = extractionWindow(area, c.transform);
  const cov = computeCoverage(area, w, c.transform, mode, GEOMETRY);
  const cells = new Uint8Array(c.size * c.size);
  for (let r = 0; r < w.height; r++) {
    for (let col = 0; col < w.width; col++) {
      if ((cov.weights[r * w.width + col] as number) <= 0) continue;
      const gr = w.row + r;
      const gc = w.col + col;
      if (gr >= 0 && gr < c.size && gc >= 0 && gc < c.size) cells[gr * c.size + gc] = 1;
    }
  }
  return cells.join('');
}

/** Area of the case's shapes inside cell (col, row), in cells (an upper bound of the union's: overlaps add). */
function areaInCell(c: Case, col: number, row: number): number {
  const [a, b, x0, d, e, y0] = c.transform;
  const corner = (u: number, v: number): Position => [x0 + u * a + v * b, y0 + u * d + v * e];
  const cell = ccw([corner(col, row), corner(col + 1, row), corner(col + 1, row + 1), corner(col, row + 1)]);
  let total = 0;
  for (const s of c.shapes) {
    const polys = s.type === 'Polygon' ? [s.coordinates] : s.type === 'MultiPolygon' ? s.coordinates : [];
    for (const p of polys) total += polygonAreaInConvex(p, cell);
  }
  return total / Math.abs(a * e - b * d);
}

/**
 * Asserts that `ours` equals GDAL's touched set `gdal`, except for cells the area touches with no area: GDAL's
 * all-touched walk also marks a cell where an edge merely ends on its boundary, and a bound within 1e-9 cell of a
 * cell edge leaves the next cell out of our window on purpose. Every such cell must hold < 1e-9 of a cell of the
 * area by an independent computation (convex clipping); returns how many there were.
 */
function expectTouchedEqual(c: Case, ours: string, gdal: string, label: string, exact = false): number {
  let contacts = 0;
  for (let k = 0; k < ours.length; k++) {
    if (ours[k] === gdal[k]) continue;
    const col = k % c.size;
    const row = Math.floor(k / c.size);
    const share = areaInCell(c, col, row);
    // Exact shares also see the slivers (≤ 0.01 cell) that GDAL's walk skips along axis-parallel edges.
    const limit = exact && ours[k] === '1' ? 0.0101 : 1e-9;
    const what = `${label}: cell (${col}, ${row}) ours ${ours[k]} GDAL ${gdal[k]} holds ${share} of the area`;
    expect(share, what).toBeLessThan(limit);
    contacts++;
  }
  return contacts;
}

describe.runIf(enabled)('cells selected over the whole raster equal GDAL rasterize', () => {
  // Python runs in beforeAll: a skipped suite's body still runs at collection, without rasterio.
  let dir = '';
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  const cases = [...makeCases(), ...generatedCases()];
  const crs = resolveCrs('EPSG:4326');
  const projected = cases.map((c) =>
    projectArea(
      { shapes: c.shapes, pointsOnly: c.shapes.every((s) => s.type === 'Point'), nShapes: 0, nCoordinates: 0 },
      crs,
    ),
  );
  const utmPoints: Position[] = [];
  const r = rng(7);
  for (let i = 0; i < 40; i++) utmPoints.push([-114 + 6 * r(), 20 + 40 * r()]);

  const run = (): {
    cases: { centre: string; all_touched: string }[];
    utm: Position[];
  } => {
    const input = join(dir, 'cases.json');
    const utm = join(dir, 'utm.json');
    writeFileSync(input, JSON.stringify(cases));
    writeFileSync(utm, JSON.stringify({ crs: 'EPSG:32612', points: utmPoints }));
    const script = join(dir, 'ref.py');
    writeFileSync(script, SCRIPT);
    return JSON.parse(
      execFileSync(PYTHON, [script, input, utm], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }),
    ) as ReturnType<typeof run>;
  };
  let ref!: ReturnType<typeof run>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skope-geo-'));
    ref = run();
  }, 120_000);

  it('every cell GDAL burns (all-touched) with any area lies inside our extraction window', () => {
    cases.forEach((c, i) => {
      const w = extractionWindow(projected[i]!, c.transform);
      const gdal = ref.cases[i]!.all_touched;
      for (let k = gdal.indexOf('1'); k !== -1; k = gdal.indexOf('1', k + 1)) {
        const row = Math.floor(k / c.size);
        const col = k % c.size;
        const inside = col >= w.col && col < w.col + w.width && row >= w.row && row < w.row + w.height;
        if (!inside)
          expect(areaInCell(c, col, row), `case ${i}: cell (${col}, ${row}) outside ${JSON.stringify(w)}`).toBeLessThan(
            1e-9,
          );
      }
    });
  });

  it('centre cells (with the all-touched fallback) equal GDAL over the whole raster', () => {
    let burnt = 0;
    cases.forEach((c, i) => {
      const gdal = ref.cases[i]!;
      const fallback = !gdal.centre.includes('1');
      // GDAL cells the area touches with no area (see below) only matter when the fallback takes the touched set.
      const expected = fallback ? gdal.all_touched : gdal.centre;
      const ours = ourMask(projected[i]!, c, 'centre');
      if (fallback) expectTouchedEqual(c, ours, expected, `case ${i} (centre → all_touched)`);
      else expect(ours, `case ${i} (centre)`).toBe(expected);
      burnt += expected.split('1').length - 1;
    });
    expect(burnt).toBeGreaterThan(5000); // the cases are not trivially empty
  });

  it.each(['all_touched', 'fractional'] as const)(
    '%s cells equal GDAL all-touched over the whole raster, but for cells touched with (next to) no area',
    (mode) => {
      let contacts = 0;
      cases.forEach((c, i) => {
        contacts += expectTouchedEqual(
          c,
          ourMask(projected[i]!, c, mode),
          ref.cases[i]!.all_touched,
          `case ${i} (${mode})`,
          mode === 'fractional',
        );
      });
      // The grid-aligned kind (an edge ending exactly on a cell edge) gives a few; random shapes give next to none.
      console.log(
        `${mode}: ${contacts} cells differ from GDAL, each touched with < 1e-9 of a cell (fractional: ≤ 0.01)`,
      );
      expect(contacts).toBeLessThan(40);
    },
  );

  it('centre falls back to all-touched in the tiny-polygon cases', () => {
    const tiny = ref.cases.slice(0, 96).filter((_, i) => i % 8 === 7);
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
