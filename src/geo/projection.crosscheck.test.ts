/**
 * The whole area → cells pipeline against rasterio + PROJ: random stars (some with holes) in lon/lat, reprojected
 * to the PaleoCAR grid (EPSG:4269) and to UTM 12N, rasterised by GDAL over the dataset's whole grid; our centre,
 * all-touched and fractional cells must be identical.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../test/support/env.js';
import { rng, star } from '../../test/support/geo.cases.js';
import type { Affine } from './affine.js';
import { extractionWindow, projectArea } from './area.js';
import { computeCoverage, type CoverageMode } from './coverage.js';
import { resolveCrs } from './crs.js';
import type { Shape } from './geojson.js';
import { loadGeometryEngine } from './geos.js';

const GEOMETRY = await loadGeometryEngine();

const enabled = requireTool('rasterio', HAS_RASTERIO());

const PIPELINE_SCRIPT = `
import json, sys
import numpy as np
from affine import Affine
from rasterio.features import rasterize
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
    res = {}
    for at in (False, True):
        # The dataset's whole grid: the cells GDAL burns anywhere, as flat indices row * width + col.
        m = rasterize(shapes, out_shape=(c["height"], c["width"]), transform=t, all_touched=at, fill=0,
                      default_value=1, dtype="uint8")
        res["all_touched" if at else "centre"] = np.flatnonzero(m).tolist()
    out.append(res)
print(json.dumps(out))
`;

describe.runIf(enabled)(
  'the whole area → cells pipeline against rasterio + PROJ (EPSG:4269 PaleoCAR grid, UTM 12N)',
  () => {
    const grids: {
      crs: string;
      transform: Affine;
      width: number;
      height: number;
      lon: number;
      lat: number;
      size: number;
    }[] = [
      {
        crs: 'EPSG:4269',
        transform: [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016],
        width: 1560,
        height: 1440,
        lon: -108,
        lat: 37,
        size: 0.3,
      },
      {
        crs: 'EPSG:32612',
        transform: [800, 0, 200000, 0, -800, 4800000],
        width: 1000,
        height: 1000,
        lon: -110,
        lat: 38,
        size: 0.4,
      },
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
      return { crs: g.crs, transform: g.transform, width: g.width, height: g.height, shapes };
    });
    let dir = '';
    let ref: { centre: number[]; all_touched: number[] }[] = [];
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'skope-geo-'));
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ cases }));
      writeFileSync(join(dir, 'pipeline.py'), PIPELINE_SCRIPT);
      ref = JSON.parse(
        execFileSync(PYTHON, [join(dir, 'pipeline.py'), join(dir, 'spec.json')], {
          encoding: 'utf8',
          timeout: 120_000,
          maxBuffer: 256 * 1024 * 1024,
        }),
      ) as typeof ref;
    }, 180_000);
    afterAll(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    /** Our cells for `mode` as sorted flat indices over the dataset's whole grid. */
    const ours = (c: (typeof cases)[number], mode: CoverageMode): number[] => {
      const area = projectArea({ shapes: c.shapes, pointsOnly: false, nShapes: 1, nCoordinates: 0 }, resolveCrs(c.crs));
      const w = extractionWindow(area, c.transform);
      const cov = computeCoverage(area, w, c.transform, mode, GEOMETRY);
      const out: number[] = [];
      for (let row = 0; row < w.height; row++) {
        for (let col = 0; col < w.width; col++) {
          if ((cov.weights[row * w.width + col] as number) <= 0) continue;
          const gr = w.row + row;
          const gc = w.col + col;
          if (gr >= 0 && gr < c.height && gc >= 0 && gc < c.width) out.push(gr * c.width + gc);
        }
      }
      return out;
    };

    it('centre, all-touched and fractional cells are identical to GDAL over the whole grid', () => {
      let cells = 0;
      cases.forEach((c, i) => {
        const gdal = ref[i]!;
        const expectedCentre = gdal.centre.length > 0 ? gdal.centre : gdal.all_touched;
        expect(ours(c, 'centre'), `case ${i} centre (${c.crs})`).toEqual(expectedCentre);
        expect(ours(c, 'all_touched'), `case ${i} all_touched (${c.crs})`).toEqual(gdal.all_touched);
        expect(ours(c, 'fractional'), `case ${i} fractional (${c.crs})`).toEqual(gdal.all_touched);
        cells += expectedCentre.length;
      });
      expect(cells).toBeGreaterThan(10_000);
    });
  },
);
