/**
 * Cross-check of the extraction pipeline against a Python reference of the upstream service's algorithm
 * (bench/reference/timeseries_reference.py: rasterio geometry_mask + numpy nanmean/nanmedian, pyproj areas) on
 * 220 random areas over two generated datasets (EPSG:4269 float32, EPSG:32612 uint16). Every statistic must agree
 * within 1e-6 relative, `n_cells` exactly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { resolveCrs } from '../geo/crs.js';
import { runExtraction } from './extract.js';
import { bandsOf, testDeps, type TestDataset } from '../../test/support/extract.fixtures.js';
import type { ExtractRequest } from './types.js';
import { HAS_RASTERIO, PYTHON, hasCommand, requireTool } from '../../test/support/env.js';
import { KINDS, randomArea, rng } from '../../test/support/crosscheck.shapes.js';
import { loadGeometryEngine } from '../geo/geos.js';

const GEOMETRY = await loadGeometryEngine();

const MAKE_DATASETS = fileURLToPath(new URL('../../test/support/crosscheck.datasets.py', import.meta.url));
const REFERENCE = fileURLToPath(new URL('../../bench/reference/timeseries_reference.py', import.meta.url));
// The reference also needs shapely and pyproj (Debian: python3-shapely python3-pyproj).
const enabled = requireTool('rasterio', HAS_RASTERIO() && hasCommand(PYTHON, ['-c', 'import shapely, pyproj']));
const PER_DATASET = 110;

const years = (n: number): string[] => Array.from({ length: n }, (_, i) => String(2001 + i));
const A: TestDataset = {
  id: 'xa',
  crs: 'EPSG:4269',
  transform: [0.25, 0, -115, 0, -0.25, 42],
  period: null,
  variables: { v: [...bandsOf('a1.tif', years(3)), ...bandsOf('a2.tif', years(5).slice(3))] },
};
const B: TestDataset = {
  id: 'xb',
  crs: 'EPSG:32612',
  transform: [5000, 0, 300000, 0, -5000, 4300000],
  period: null,
  variables: { v: [...bandsOf('b1.tif', years(3)), ...bandsOf('b2.tif', years(5).slice(3))] },
};

interface RefResult {
  n_cells: number;
  area: number;
  mean: (number | null)[];
  median: (number | null)[];
}

let dir = '';
beforeAll(() => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'skope-xcheck-'));
  execFileSync(PYTHON, [MAKE_DATASETS, dir]);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cases(seed: number, bbox: [number, number, number, number], cell: number): Record<string, unknown>[] {
  const rand = rng(seed);
  return Array.from({ length: PER_DATASET }, (_, i) => randomArea(rand, KINDS[i % KINDS.length]!, bbox, cell));
}

function reference(ds: TestDataset, areas: Record<string, unknown>[]): RefResult[] {
  const steps = ds.variables['v']!;
  const files: { path: string; bands: number[] }[] = [];
  for (const [, e] of steps) {
    const path = join(dir, e.file);
    const f = files.find((x) => x.path === path);
    if (f) f.bands.push(e.bidx);
    else files.push({ path, bands: [e.bidx] });
  }
  const req = { crs: ds.crs, transform: ds.transform, max_cells: 1_000_000, threads: 2, files, cases: areas };
  const reqPath = join(dir, `${ds.id}.json`);
  writeFileSync(reqPath, JSON.stringify(req));
  const out = execFileSync(PYTHON, [REFERENCE, reqPath], { maxBuffer: 64 * 1024 * 1024 }).toString();
  return (JSON.parse(out) as { results: RefResult[] }).results;
}

function agree(actual: (number | null)[], expected: (number | null)[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i] ?? null;
    if (e === null || a === null) expect(a, `${what}[${i}]`).toBe(e);
    else expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
  });
}

async function crossCheck(
  ds: TestDataset,
  areas: Record<string, unknown>[],
  tuning?: { chunkBytes: number },
): Promise<void> {
  const expected = reference(ds, areas);
  const deps = testDeps(GEOMETRY, dir, [ds], {}, tuning);
  let outside = 0;
  try {
    for (const [i, area] of areas.entries()) {
      const request: ExtractRequest = {
        dataset_id: ds.id,
        variable_id: 'v',
        selected_area: area,
        zonal_statistic: 'mean',
        transform: { type: 'NoTransform' },
        requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
        time_range: null,
      };
      const what = `${ds.id} case ${i} (${KINDS[i % KINDS.length]}): ${JSON.stringify(area)}`;
      const ref = expected[i]!;
      let run: Awaited<ReturnType<typeof runExtraction>>;
      try {
        run = await runExtraction(request, deps, { signal: new AbortController().signal });
      } catch (err) {
        // Wholly outside the raster: refused up front with `area_outside_dataset` (docs/API.md); the reference
        // sees only missing cells.
        expect(isAppError(err, 'area_outside_dataset'), `${what}: ${String(err)}`).toBe(true);
        expect(
          [...ref.mean, ...ref.median].every((v) => v === null),
          what,
        ).toBe(true);
        outside++;
        continue;
      }
      const { result, base_series } = run;
      expect(result.n_cells, `${what} n_cells`).toBe(ref.n_cells);
      expect(Math.abs(result.area - ref.area), `${what} area ${result.area} vs ${ref.area}`).toBeLessThanOrEqual(
        1e-6 * Math.max(1, ref.area),
      );
      agree(base_series.mean, ref.mean, `${what} mean`);
      agree(base_series.median, ref.median, `${what} median`);
    }
  } finally {
    await deps.close();
  }
  // The generator aims inside; a handful may fall outside, never most.
  expect(outside).toBeLessThan(areas.length / 10);
}

describe.runIf(enabled)('cross-check against the Python reference', () => {
  it(`EPSG:4269 float32 (pixel + band interleaved): ${PER_DATASET} random areas`, async () => {
    await crossCheck(A, cases(1, [-115, 33, -103, 42], 0.25));
  });

  it(`EPSG:32612 uint16: ${PER_DATASET} random areas`, async () => {
    const crs = resolveCrs('EPSG:32612');
    // Lon/lat box inside the projected extent (x 300–500 km, y 4140–4300 km).
    const [a, b] = crs.inverse(300000, 4140000);
    const [c, d] = crs.inverse(500000, 4300000);
    const [e, f] = crs.inverse(300000, 4300000);
    const [g, h] = crs.inverse(500000, 4140000);
    const bbox: [number, number, number, number] = [Math.max(a, e), Math.max(b, h), Math.min(c, g), Math.min(d, f)];
    // A small chunk budget sends larger windows through the row-strip histogram path.
    await crossCheck(B, cases(2, bbox, 0.05), { chunkBytes: 600 });
  });
});
