/**
 * Points never allocate a window: an area's points outside its polygons' window are read one cell each, the size
 * pre-flight counts exactly what is allocated, and the statistics equal those of a window holding every cell.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { computeCoverage } from '../geo/coverage.js';
import { loadGeometryEngine } from '../geo/geos.js';
import { openCog } from '../raster/cog.js';
import { FileSource } from '../storage/source.file.js';
import { bandsOf, testDeps, type TestDataset } from '../../test/support/extract.fixtures.js';
import { coverageAndArea, preflightExtraction, runExtraction, type CoverageInput } from './extract.js';
import { localReduceRunner, reduceTask, type ReduceRunner, type ReduceTask } from './reduce.js';
import type { ExtractRequest } from './types.js';

const GEOMETRY = await loadGeometryEngine();
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/upstream-5x5', import.meta.url));
const years = ['0001', '0002', '0003', '0004', '0005'];
const FLOAT = 'annual_5x5x5_dataset_float32_variable.tif';
const UINT16 = 'annual_5x5x5_dataset_uint16_variable.tif';
const variables = { ppt: bandsOf(FLOAT, years), ppt16: bandsOf(UINT16, years) };
const DATASETS: TestDataset[] = [
  // The 5 × 5 fixture on its own 1° grid…
  { id: 'grid', crs: 'EPSG:4326', transform: [1, 0, -123, 0, -1, 45], period: null, variables },
  // …and as the north-west corner of a 0.001° grid reaching to (180, −90): 303 000 × 135 000 cells, the rest missing.
  { id: 'fine', crs: 'EPSG:4326', transform: [0.001, 0, -123, 0, -0.001, 45], period: null, variables },
];
// Four cells at most: any window over two far-apart cells would be refused.
const deps = testDeps(GEOMETRY, FIXTURES, DATASETS, { maxCells: 4 });
afterAll(() => deps.close());

const point = (lon: number, lat: number): Record<string, unknown> => ({ type: 'Point', coordinates: [lon, lat] });
const fc = (...geoms: unknown[]): Record<string, unknown> => ({
  type: 'FeatureCollection',
  features: geoms.map((geometry) => ({ type: 'Feature', geometry, properties: null })),
});
const cellBox = (lon: number, lat: number): Record<string, unknown> => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon, lat],
      [lon + 1, lat],
      [lon + 1, lat + 1],
      [lon, lat + 1],
      [lon, lat],
    ],
  ],
});
const request = (over: Partial<ExtractRequest>): ExtractRequest => ({
  dataset_id: 'grid',
  variable_id: 'ppt',
  selected_area: point(-122.5, 44.5),
  zonal_statistic: 'mean',
  transform: { type: 'NoTransform' },
  requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
  time_range: { gte: '0001', lte: '0005' },
  ...over,
});

/** Runs with a runner and a coverage that record every window they are given. */
async function recorded(over: Partial<ExtractRequest>) {
  const tasks: ReduceTask[] = [];
  const coverages: CoverageInput[] = [];
  const local = localReduceRunner(deps.openCog);
  const runner: ReduceRunner = {
    parallelism: 1,
    reduce: (task, ctx) => {
      tasks.push(task);
      return local.reduce(task, ctx);
    },
  };
  const out = await runExtraction(
    request(over),
    {
      ...deps,
      runner,
      coverage: (input) => {
        coverages.push(input);
        const c = computeCoverage(input.projected, input.window, input.transform, input.mode, GEOMETRY, input.outside);
        return Promise.resolve(c);
      },
    },
    { signal: new AbortController().signal },
  );
  // Every cell any task or coverage allocates a sample for.
  const allocated = Math.max(
    ...tasks.map((t) => t.window.width * t.window.height + (t.points?.length ?? 0) / 2),
    ...coverages.map((c) => c.window.width * c.window.height),
  );
  return { ...out, allocated, tasks };
}

/** What a window holding every given cell `[col, row, weight]` of the 5 × 5 grid gives (the dense path). */
async function denseReference(file: string, cells: [number, number, number][], weighted = false) {
  const weights = new Float64Array(25);
  for (const [c, r, w] of cells) weights[r * 5 + c] = w;
  const cog = await openCog(new FileSource(`${FIXTURES}/${file}`));
  try {
    const task = { url: '', bands: [1, 2, 3, 4, 5], window: { col: 0, row: 0, width: 5, height: 5 }, weights };
    return await reduceTask({ ...task, weighted, chunkBytes: 1 << 20 }, () => Promise.resolve(cog), {
      signal: new AbortController().signal,
    });
  } finally {
    await cog.close();
  }
}

describe('points never allocate a window', () => {
  it('two points at opposite corners of the 5 × 5 grid: 2 cells allocated, the values of a window holding both', async () => {
    for (const variable_id of ['ppt', 'ppt16']) {
      const { result, base_series, allocated, tasks } = await recorded({
        variable_id,
        selected_area: fc(point(-122.5, 44.5), point(-118.5, 40.5)),
        zonal_statistic: 'median',
      });
      expect(result.n_cells).toBe(2);
      expect(allocated).toBe(2);
      expect(tasks.map((t) => [t.window, [...(t.points ?? [])]])).toEqual([
        [{ col: 0, row: 0, width: 1, height: 1 }, [4, 4]],
      ]);
      const ref = await denseReference(variable_id === 'ppt' ? FLOAT : UINT16, [
        [0, 0, 1],
        [4, 4, 1],
      ]);
      expect(base_series.mean).toEqual(ref.mean);
      expect(base_series.median).toEqual(ref.median);
    }
    // Real values: 100·b + 10·r + c (+ 0.1 in the float file), cells (0, 0) and (4, 4) → 100·b + 22 (+ 0.1).
    const { base_series } = await recorded({
      variable_id: 'ppt16',
      selected_area: fc(point(-122.5, 44.5), point(-118.5, 40.5)),
    });
    expect(base_series.mean).toEqual([122, 222, 322, 422, 522]);
  });

  it('a polygon and a far point: the polygon’s window plus one cell, same statistics in every coverage mode', async () => {
    const area = fc(cellBox(-122, 43), point(-118.5, 40.5));
    for (const coverage of ['centre', 'all_touched', 'fractional'] as const) {
      const { result, base_series, allocated } = await recorded({ selected_area: area, coverage });
      expect(result.n_cells).toBe(2);
      // The box's window (1 × 1 cell, plus its edges' rounding at most) and the point's cell.
      expect(allocated).toBeLessThanOrEqual(4);
      const ref = await denseReference(
        FLOAT,
        [
          [1, 1, 1],
          [4, 4, 1],
        ],
        coverage === 'fractional',
      );
      expect(base_series.mean).toEqual(ref.mean);
      expect(base_series.median).toEqual(ref.median);
    }
  });

  it('points at opposite corners of a 303 000 × 135 000 grid: 2 cells, the fixture cell’s values, the other missing', async () => {
    const { result, base_series, allocated } = await recorded({
      dataset_id: 'fine',
      selected_area: fc(point(-122.9995, 44.9995), point(179.9995, -89.9995)),
    });
    expect(result.n_cells).toBe(2);
    expect(allocated).toBe(2);
    // Cell (0, 0) of the fixture; the far cell is outside the raster (missing), so the mean is cell (0, 0)'s.
    const single = await recorded({ dataset_id: 'fine', selected_area: point(-122.9995, 44.9995) });
    expect(base_series.mean).toEqual(single.base_series.mean);
    expect(base_series.mean.every((v) => typeof v === 'number')).toBe(true);
  });

  it('the pre-flight counts what is allocated: far polygons are still refused, far points are not', async () => {
    const plan = await preflightExtraction(
      request({ selected_area: fc(point(-122.5, 44.5), point(-118.5, 40.5)) }),
      deps,
    );
    expect(plan.window).toEqual({ col: 0, row: 0, width: 1, height: 1 });
    expect([...plan.points]).toEqual([4, 4]);
    const err = await preflightExtraction(
      request({ selected_area: fc(cellBox(-123, 44), cellBox(-119, 40)) }),
      deps,
    ).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('area_too_large');
    expect(isAppError(err) && err.details).toEqual({ estimate: 25, max: 4 });
  });
});

describe('invalid polygons are refused by the pre-flight', () => {
  it('every MultiPolygon part is checked: a bow-tie part → invalid_geometry with GEOS’s reason', async () => {
    const valid = [
      [
        [-122.9, 44.9],
        [-122.1, 44.9],
        [-122.1, 44.1],
        [-122.9, 44.9],
      ],
    ];
    const bowTie = [
      [
        [-122, 42],
        [-120, 44],
        [-120, 42],
        [-122, 44],
        [-122, 42],
      ],
    ];
    const err = await preflightExtraction(
      request({ selected_area: { type: 'MultiPolygon', coordinates: [valid, bowTie] } }),
      deps,
    ).catch((e: unknown) => e);
    expect(isAppError(err) && [err.code, err.message]).toEqual([
      'invalid_geometry',
      'Selected area is not a valid polygon: self-intersection[-121 43]',
    ]);
    // The valid part alone passes.
    const plan = await preflightExtraction(
      request({ selected_area: { type: 'MultiPolygon', coordinates: [valid] } }),
      deps,
    );
    expect(plan.window).toEqual({ col: 0, row: 0, width: 1, height: 1 });
  });
});

describe('coverageAndArea: the pool task computes the area with the coverage', () => {
  it('one 1° cell: its coverage and its geodesic area (8 985 387 394.84 m²)', async () => {
    const plan = await preflightExtraction(request({ selected_area: cellBox(-122, 43) }), deps);
    const out = coverageAndArea(
      {
        projected: plan.projected,
        window: plan.window,
        transform: [1, 0, -123, 0, -1, 45],
        mode: 'centre',
        area: plan.area,
        crs: 'EPSG:4326',
      },
      GEOMETRY,
    );
    expect(out.nCells).toBe(1);
    expect(Math.abs(out.area - 8985387394.84)).toBeLessThan(0.01);
  });
});
