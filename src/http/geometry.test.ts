/**
 * Areas that break fragile geometry code, through the API in every coverage mode: the inputs on which the former
 * polygon library threw (its bug reports #49, #83, #105, #115, #139 and the star with a hole of fast-check seed
 * 1551733789), scaled onto the test dataset's 5×5 grid, plus a bow-tie, overlapping features and a point on a cell
 * corner. Every valid area must be 200/SUCCESS with the cells GDAL selects over the whole raster (rasterio; for
 * `fractional`, the cells holding a positive share of the area by Shapely), never a 5xx or a failed job; an invalid
 * polygon (the bow-tie, issue #49's self-touching ring) is refused before a job exists with 422 and GEOS's reason.
 * (The exact, unscaled inputs are unit tests of the geometry engine: src/geo/geos.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../test/support/env.js';
import { appForFile, extractAndWait } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';
import type { Position } from '../geo/geojson.js';

const enabled = requireTool('rasterio', HAS_RASTERIO());
const t = appForFile();

type Rings = Position[][];
const FAILURES = JSON.parse(
  readFileSync(new URL('../../test/fixtures/geometry/union-failures.json', import.meta.url), 'utf8'),
) as { cases: Record<string, Rings[]> };

/** The test dataset's grid: 1° cells, 5 × 5, west −123, north 45 (EPSG:4326). */
const GRID = { west: -123, north: 45, size: 5 };

/** The polygons scaled and moved so that their bounds fill −122.6…−118.4 × 40.4…44.6 (most of the grid). */
function ontoGrid(polys: Rings[]): Rings[] {
  const pts = polys.flat(2);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const s = 4.2 / Math.max(x1 - x0, y1 - y0);
  return polys.map((p) => p.map((r) => r.map(([x, y]): Position => [-122.6 + (x - x0) * s, 40.4 + (y - y0) * s])));
}

const featureCollection = (geometries: unknown[]): unknown => ({
  type: 'FeatureCollection',
  features: geometries.map((geometry) => ({ type: 'Feature', geometry, properties: null })),
});

const AREAS: Record<string, unknown> = {
  ...Object.fromEntries(
    Object.entries(FAILURES.cases).map(([name, polys]) => [
      name,
      featureCollection(ontoGrid(polys).map((coordinates) => ({ type: 'Polygon', coordinates }))),
    ]),
  ),
  'overlapping features and a point on a cell corner': featureCollection([
    {
      type: 'Polygon',
      coordinates: [
        [
          [-122.7, 41.2],
          [-120.1, 41.2],
          [-120.1, 43.9],
          [-122.7, 43.9],
          [-122.7, 41.2],
        ],
      ],
    },
    {
      type: 'Polygon',
      coordinates: [
        [
          [-121.3, 40.6],
          [-118.8, 40.6],
          [-118.8, 42.4],
          [-121.3, 42.4],
          [-121.3, 40.6],
        ],
      ],
    },
    { type: 'Point', coordinates: [-119, 44] },
  ]),
};

/** Not valid OGC polygons: refused with 422 and the reason (lowercased, as the Python service words it). */
const INVALID: Record<string, [area: unknown, message: string]> = {
  'bow-tie (self-intersecting)': [
    {
      type: 'Polygon',
      coordinates: [
        [
          [-122.5, 40.5],
          [-118.5, 44.5],
          [-118.5, 40.5],
          [-122.5, 44.5],
          [-122.5, 40.5],
        ],
      ],
    },
    'Selected area is not a valid polygon: self-intersection[-120.5 42.5]',
  ],
  'issue-49 (a ring touching itself)': [
    AREAS['issue-49'],
    'Selected area is not a valid polygon: ring self-intersection[',
  ],
};
delete AREAS['issue-49'];

describe('invalid polygons through POST /timeseries/extract and the v2 route', () => {
  it.each(Object.keys(INVALID))('%s: 422 invalid_geometry with the reason, no job', async (name) => {
    const [area, message] = INVALID[name]!;
    for (const url of ['/timeseries/extract', '/timeseries']) {
      for (const selected_area of name.startsWith('issue') ? [area] : [area, featureCollection([area])]) {
        const res = await t.app.inject({ method: 'POST', url, payload: extractPayload({ selected_area }) });
        expect(res.statusCode, res.body).toBe(422);
        const body = res.json<{ code: string; detail: unknown }>();
        expect(body.code).toBe('invalid_geometry');
        expect(JSON.stringify(body.detail)).toContain(JSON.stringify(message).slice(1, -1));
      }
    }
  });

  it('a collection of a valid polygon and a bow-tie is refused too', async () => {
    const [bowTie] = INVALID['bow-tie (self-intersecting)']!;
    const valid = {
      type: 'Polygon',
      coordinates: [
        [
          [-122.9, 44.9],
          [-122.1, 44.9],
          [-122.1, 44.1],
          [-122.9, 44.9],
        ],
      ],
    };
    const selected_area = featureCollection([valid, bowTie]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      payload: extractPayload({ selected_area }),
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toEqual({
      detail: 'Selected area is not a valid polygon: self-intersection[-120.5 42.5]',
      code: 'invalid_geometry',
    });
  });
});

const SCRIPT = `
import json, sys
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry import box, shape
from shapely.ops import unary_union
from shapely.validation import make_valid
areas = json.load(sys.stdin)
t = Affine(1, 0, ${GRID.west}, 0, -1, ${GRID.north})
out = {}
def shapes(g):
    return [f["geometry"] for f in g["features"]] if g["type"] == "FeatureCollection" else [g]
for name, g in areas.items():
    counts = {}
    for at in (False, True):
        m = rasterize(shapes(g), out_shape=(${GRID.size}, ${GRID.size}), transform=t, all_touched=at, fill=0,
                      default_value=1, dtype="uint8")
        counts["all_touched" if at else "centre"] = int(m.sum())
    # fractional: cells holding a positive share of the (repaired, merged) area, by Shapely
    u = unary_union([make_valid(shape(s)) for s in shapes(g) if s["type"] != "Point"])
    pts = [shape(s) for s in shapes(g) if s["type"] == "Point"]
    frac = 0
    for r in range(${GRID.size}):
        for c in range(${GRID.size}):
            cell = box(${GRID.west} + c, ${GRID.north} - r - 1, ${GRID.west} + c + 1, ${GRID.north} - r)
            if u.intersection(cell).area > 1e-12 * cell.area or any(cell.covers(p) and (p.x - ${GRID.west}) // 1 == c and (${GRID.north} - p.y) // 1 == r for p in pts):
                frac += 1
    counts["fractional"] = frac
    out[name] = counts
print(json.dumps(out))
`;

describe.runIf(enabled)('hostile but valid GeoJSON areas through POST /timeseries/extract', () => {
  let gdal: Record<string, { centre: number; all_touched: number; fractional: number }> = {};
  beforeAll(() => {
    gdal = JSON.parse(
      execFileSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(AREAS), encoding: 'utf8', timeout: 60_000 }),
    ) as typeof gdal;
  });

  it.each(Object.keys(AREAS))('%s: SUCCESS in every coverage mode with GDAL’s cells', async (name) => {
    const expected = gdal[name]!;
    // The centre rule falls back to the touched cells when no centre is inside.
    const centre = expected.centre > 0 ? expected.centre : expected.all_touched;
    for (const [coverage, cells] of [
      ['centre', centre],
      ['all_touched', expected.all_touched],
      ['fractional', expected.fractional],
    ] as const) {
      const { status } = await extractAndWait(t.app, extractPayload({ selected_area: AREAS[name], coverage }));
      expect(status['status'], `${name} (${coverage}): ${JSON.stringify(status)}`).toBe('SUCCESS');
      const result = status['result'] as { n_cells: number; area: number; series: { values: unknown[] }[] };
      expect(result.n_cells, `${name} (${coverage})`).toBe(cells);
      expect(result.area).toBeGreaterThan(0);
      expect(result.series[0]?.values).toHaveLength(5);
    }
  });
});
