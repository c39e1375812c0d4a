import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../errors.js';
import { boxPolygon } from '../geo/box.js';
import { computeCoverage } from '../geo/coverage.js';
import { preflightExtraction, runExtraction, shardPieces, taperTail, type CoverageInput } from './extract.js';
import { localReduceRunner, type ReduceRunner, type ReduceTask } from './reduce.js';
import { createStatsCache } from './stats.cache.js';
import { bandsOf, testDeps, type TestDataset } from '../../test/support/extract.fixtures.js';
import type { ExtractRequest } from './types.js';
import { loadGeometryEngine } from '../geo/geos.js';

const GEOMETRY = await loadGeometryEngine();

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/upstream-5x5', import.meta.url));
const years = ['0001', '0002', '0003', '0004', '0005'];
const months = years.flatMap((y) => Array.from({ length: 12 }, (_, m) => `${y}-${String(m + 1).padStart(2, '0')}`));
const grid = [1, 0, -123, 0, -1, 45] as const;
const DATASETS: TestDataset[] = [
  {
    id: 'test-annual',
    crs: 'EPSG:4326',
    transform: grid,
    period: { gte: '0001', lte: '0005' },
    variables: {
      ppt: bandsOf('annual_5x5x5_dataset_float32_variable.tif', years),
      ppt16: bandsOf('annual_5x5x5_dataset_uint16_variable.tif', years),
      missing: bandsOf('no_such_file.tif', years),
    },
  },
  {
    id: 'test-monthly',
    crs: 'EPSG:4326',
    transform: grid,
    period: { gte: '0001-01', lte: '0005-12' },
    variables: { ppt: bandsOf('monthly_5x5x60_dataset_float32_variable.tif', months) },
  },
];
const deps = testDeps(GEOMETRY, FIXTURES, DATASETS);
afterAll(() => deps.close());

const box = boxPolygon;
const SINGLE_CELL = box(-122, 43, -121, 44);
const request = (over: Partial<ExtractRequest> = {}): ExtractRequest => ({
  dataset_id: 'test-annual',
  variable_id: 'ppt',
  selected_area: SINGLE_CELL,
  zonal_statistic: 'mean',
  transform: { type: 'NoTransform' },
  requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
  time_range: { gte: '0001', lte: '0005' },
  ...over,
});
const run = (over: Partial<ExtractRequest> = {}) =>
  runExtraction(request(over), deps, { signal: new AbortController().signal });

function near(actual: readonly (number | null)[] | undefined, expected: readonly (number | null)[]): void {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (e === null) expect(actual![i]).toBeNull();
    else expect(Math.abs((actual![i] as number) - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('runExtraction on the upstream 5×5 fixtures (upstream derived values)', () => {
  it('annual single cell: values, n_cells, area, summary, base series', async () => {
    const progress: [number, number][] = [];
    const { result, base_series } = await runExtraction(request(), deps, {
      signal: new AbortController().signal,
      onProgress: (d, t) => progress.push([d, t]),
    });
    near(
      result.series[0]?.values,
      [111.0999984741211, 211.1000061035156, 311.1000061035156, 411.1000061035156, 511.1000061035156],
    );
    expect(result.series[0]?.timesteps).toEqual(years);
    expect(result.series[0]?.time_range).toEqual({ gte: '0001', lte: '0005' });
    expect(result.n_cells).toBe(1);
    expect(Math.abs(result.area - 8985387394.84)).toBeLessThan(0.01);
    const s = result.summary_stats[0]!;
    near([s.mean, s.median, s.stdev], [311.1000046, 311.1000061, 158.1138854]);
    expect(base_series.timesteps).toEqual(years);
    near(base_series.median, result.series[0]!.values);
    expect(progress.at(-1)).toEqual([5, 5]);
  });

  it('full grid: n_cells 25, nanmean and nanmedian per band', async () => {
    const { result, base_series } = await run({ selected_area: box(-123, 40, -118, 45), zonal_statistic: 'median' });
    expect(result.n_cells).toBe(25);
    expect(Math.abs(result.area - 228145753854.25)).toBeLessThan(0.05);
    near(base_series.mean, [121.691658, 221.691666, 321.573914, 421.691681, 521.691711]);
    near(base_series.median, [121.65, 221.65, 321.1, 421.65, 521.65]);
    near(result.series[0]?.values, [121.65, 221.65, 321.1, 421.65, 521.65]);
  });

  it('uint16 twin: integer values, nodata 65535 → missing', async () => {
    const { base_series } = await run({ variable_id: 'ppt16', selected_area: box(-123, 40, -118, 45) });
    // 100·b + 10·r + c over the 24 (23 in band 3) valid cells.
    const expected = [1, 2, 3, 4, 5].map((b) => {
      const vals: number[] = [];
      for (let r = 0; r < 5; r++)
        for (let c = 0; c < 5; c++)
          if (!((r === 3 && c === 4) || (b === 3 && r === 2 && c === 4))) vals.push(100 * b + 10 * r + c);
      return vals.reduce((a, v) => a + v, 0) / vals.length;
    });
    near(base_series.mean, expected);
  });

  it('monthly single cell: 60 values 100·b + 11.1, summary', async () => {
    const { result } = await run({ dataset_id: 'test-monthly', time_range: { gte: '0001-01', lte: '0005-12' } });
    near(
      result.series[0]?.values,
      Array.from({ length: 60 }, (_, i) => 100 * (i + 1) + 11.1),
    );
    expect(result.series[0]?.timesteps[12]).toBe('0002-01');
    const s = result.summary_stats[0]!;
    near([s.mean, s.median, s.stdev], [3061.10006, 3061.1001, 1746.42496]);
  });

  it('point at the origin (−123, 45) → pixel (0,0): [100 … 500], area 0', async () => {
    const { result } = await run({ selected_area: { type: 'Point', coordinates: [-123, 45] } });
    expect(result.series[0]?.values).toEqual([100, 200, 300, 400, 500]);
    expect(result.n_cells).toBe(1);
    expect(result.area).toBe(0);
  });

  it('an area of only missing cells (c4, r3): every value and summary null', async () => {
    const { result } = await run({ selected_area: box(-119, 41, -118, 42) });
    expect(result.series[0]?.values).toEqual([null, null, null, null, null]);
    expect(result.summary_stats[0]).toEqual({ name: 'raw', mean: null, median: null, stdev: null });
    expect(result.n_cells).toBe(1);
  });

  it('partial range 0002–0004 and the dataset period for a null range', async () => {
    const partial = await run({ time_range: { gte: '0002', lte: '0004' } });
    expect(partial.result.series[0]?.time_range).toEqual({ gte: '0002', lte: '0004' });
    expect(partial.result.series[0]?.values).toHaveLength(3);
    const full = await run({ time_range: null });
    expect(full.result.series[0]?.time_range).toEqual({ gte: '0001', lte: '0005' });
  });

  it('a registry period finer than the keys (0001-01-01 … 0005-12-01) is cut to the key precision', async () => {
    const fine = testDeps(GEOMETRY, FIXTURES, [{ ...DATASETS[0]!, period: { gte: '0001-01-01', lte: '0005-12-01' } }]);
    try {
      const { result } = await runExtraction(request({ time_range: null }), fine, {
        signal: new AbortController().signal,
      });
      expect(result.series[0]?.timesteps).toEqual(years);
    } finally {
      await fine.close();
    }
  });

  it('a finer range normalises (0002-01-01 selects 0002) and reports the keys selected', async () => {
    const { result } = await run({ time_range: { gte: '0002-01-01', lte: '0004-01-01' } });
    expect(result.series[0]?.timesteps).toEqual(['0002', '0003', '0004']);
  });

  it('an area partly outside the raster: cells outside are missing but counted', async () => {
    // Two columns: −124..−122 covers one cell outside (col −1) and col 0, rows 0..0 (lat 44..45).
    const { result } = await run({ selected_area: box(-124, 44, -122, 45) });
    expect(result.n_cells).toBe(2);
    near(result.series[0]?.values, [100, 200, 300, 400, 500]);
  });

  it('transform and smoothers on the extracted series', async () => {
    const { result } = await run({
      transform: { type: 'ZScoreMovingInterval', width: 2 },
      requested_series_options: [{ name: 'z', smoother: { type: 'NoSmoother' } }],
    });
    near(result.series[0]?.values, [null, null, 3, 3, 3]);
  });
});

describe('coverage modes (centre, all_touched, fractional)', () => {
  it('fractional: half of (c0, r1) and all of (c1, r1) → weighted mean, exactextract weighted median', async () => {
    const { result, base_series } = await run({ selected_area: box(-122.5, 43, -121, 44), coverage: 'fractional' });
    const mean = [1, 2, 3, 4, 5].map((b) => (0.5 * Math.fround(100 * b + 10) + Math.fround(100 * b + 11.1)) / 1.5);
    near(base_series.mean, mean);
    // Two values: s = [0, 1.5], S = 1.5, q·S = 0.75 → halfway between them.
    near(
      base_series.median,
      [1, 2, 3, 4, 5].map((b) => (Math.fround(100 * b + 10) + Math.fround(100 * b + 11.1)) / 2),
    );
    expect(result.n_cells).toBe(2);
  });

  it('all_touched counts every touched cell; centre only the cells whose centre is inside', async () => {
    const area = box(-122.5, 43, -121, 44);
    expect((await run({ selected_area: area, coverage: 'all_touched' })).result.n_cells).toBe(2);
    const centre = await run({ selected_area: area });
    expect(centre.result.n_cells).toBe(1);
    near(
      centre.base_series.mean,
      [111.0999984741211, 211.1000061035156, 311.1000061035156, 411.1000061035156, 511.1000061035156],
    );
  });
});

describe('strip mode (8/16-bit data, window × bands over the chunk budget)', () => {
  it('gives the same statistics as whole-window reads, also partly outside the raster', async () => {
    const tiny = testDeps(GEOMETRY, FIXTURES, DATASETS, {}, { chunkBytes: 16, fileConcurrency: 1 });
    try {
      for (const area of [box(-123, 40, -118, 45), box(-124, 41.5, -119.5, 46), box(-122, 43, -121, 44)]) {
        const req = request({ variable_id: 'ppt16', selected_area: area });
        const strips = await runExtraction(req, tiny, { signal: new AbortController().signal });
        const whole = await runExtraction(req, deps, { signal: new AbortController().signal });
        expect(strips.base_series).toEqual(whole.base_series);
        expect(strips.result.n_cells).toBe(whole.result.n_cells);
      }
    } finally {
      await tiny.close();
    }
  });
});

describe('errors', () => {
  it('unknown dataset and variable', async () => {
    const e1 = await rejection(run({ dataset_id: 'nonexistent-ds' }));
    expect(isAppError(e1, 'dataset_not_found')).toBe(true);
    expect((e1 as Error).message).toBe("Dataset 'nonexistent-ds' not found.");
    const e2 = await rejection(run({ variable_id: 'no-such-var' }));
    expect(isAppError(e2, 'variable_not_found')).toBe(true);
    expect((e2 as Error).message).toBe("Variable 'no-such-var' not found in dataset 'test-annual'.");
  });

  it('too large an area: the upstream sentence', async () => {
    const small = testDeps(GEOMETRY, FIXTURES, DATASETS, { maxCells: 10 });
    const e = await rejection(preflightExtraction(request({ selected_area: box(-123, 40, -118, 45) }), small));
    expect(isAppError(e, 'area_too_large')).toBe(true);
    expect((e as Error).message).toBe('Selected area is too large. Estimated cell count: 25, maximum allowed: 10.');
  });

  it('an area wholly outside the raster is rejected before any job', async () => {
    const e = await rejection(preflightExtraction(request({ selected_area: box(-100, 10, -99, 11) }), deps));
    expect(isAppError(e, 'area_outside_dataset')).toBe(true);
  });

  it('an empty time selection', async () => {
    const e = await rejection(run({ time_range: { gte: '0200', lte: '0300' } }));
    expect(isAppError(e, 'time_range_empty')).toBe(true);
  });

  it('a fired signal: aborted, or deadline_exceeded for a timeout', async () => {
    const c = new AbortController();
    c.abort();
    const e1 = await rejection(runExtraction(request(), deps, { signal: c.signal }));
    expect(isAppError(e1, 'aborted')).toBe(true);
    const e2 = await rejection(
      runExtraction(request({ max_processing_time: 0 }), deps, {
        signal: AbortSignal.abort(new DOMException('t', 'TimeoutError')),
      }),
    );
    expect(isAppError(e2, 'deadline_exceeded')).toBe(true);
    expect((e2 as Error).message).toBe('Processing exceeded 0 ms.');
  });

  it('a signal fired mid-extraction stops it between chunks (deadline reason kept)', async () => {
    const chunky = testDeps(GEOMETRY, FIXTURES, DATASETS, {}, { chunkBytes: 100 * 4 }); // 4 bands of 25 float32 cells
    const c = new AbortController();
    const seen: number[] = [];
    try {
      const e = await rejection(
        runExtraction(
          request({ dataset_id: 'test-monthly', time_range: null, selected_area: box(-123, 40, -118, 45) }),
          chunky,
          {
            signal: c.signal,
            onProgress: (done) => {
              seen.push(done);
              if (done >= 8) c.abort(new AppError('deadline_exceeded', 'Processing exceeded 5 ms.'));
            },
          },
        ),
      );
      expect(isAppError(e, 'deadline_exceeded')).toBe(true);
      expect((e as Error).message).toBe('Processing exceeded 5 ms.');
      expect(seen.at(-1)).toBeLessThan(60);
    } finally {
      await chunky.close();
    }
  });

  it('a missing file is extraction_failed naming the file', async () => {
    const e = await rejection(run({ variable_id: 'missing' }));
    // The footprint check opens the first COG before any job: that is where a missing file shows first.
    expect(isAppError(e, 'source_not_found') || isAppError(e, 'extraction_failed')).toBe(true);
    expect((e as Error).message).toMatch(/no_such_file\.tif/);
  });
});

describe('reduce tasks on a runner', () => {
  it('band-interleaved files are split into band ranges for a multi-thread runner (pixel-interleaved never); results are unchanged', async () => {
    // The upstream fixtures are pixel-interleaved; two GDAL fixtures of test/fixtures/cogs are band-interleaved.
    const COGS = fileURLToPath(new URL('../../test/fixtures/cogs', import.meta.url));
    const banded: TestDataset = {
      id: 'test-band',
      crs: 'EPSG:4326',
      transform: [0.25, 0, -113, 0, -0.2, 37.5],
      period: null,
      variables: {
        u16: bandsOf('uint16_deflate_band.tif', ['0001', '0002', '0003']),
        f32: bandsOf('float32_deflate_band.tif', ['0001', '0002', '0003']),
      },
    };
    const bandDeps = testDeps(GEOMETRY, COGS, [banded]);
    const cases: [typeof deps, string, string, Record<string, unknown>][] = [
      [deps, 'test-annual', 'ppt', box(-123, 40, -118, 45)],
      [deps, 'test-annual', 'ppt16', box(-123, 40, -118, 45)],
      [deps, 'test-monthly', 'ppt', box(-123, 40, -118, 45)],
      [bandDeps, 'test-band', 'u16', box(-112, 33, -106, 37)],
      [bandDeps, 'test-band', 'f32', box(-112, 33, -106, 37)],
    ];
    const interleaves = new Set<string>();
    for (const [deps, dataset_id, variable_id, area] of cases) {
      const tasks: ReduceTask[] = [];
      const local = localReduceRunner(deps.openCog);
      const spy: ReduceRunner = {
        parallelism: 3,
        reduce: (task, ctx) => {
          tasks.push(task);
          return local.reduce(task, ctx);
        },
      };
      let coverageCalls = 0;
      const spied = {
        ...deps,
        runner: spy,
        coverage: (input: CoverageInput) => {
          coverageCalls++;
          return Promise.resolve(computeCoverage(input.projected, input.window, input.transform, input.mode, GEOMETRY));
        },
      };
      const req = request({ dataset_id, variable_id, selected_area: area, time_range: null });
      const progress: number[] = [];
      const split = await runExtraction(req, spied, {
        signal: new AbortController().signal,
        onProgress: (done) => progress.push(done),
      });
      const plain = await runExtraction(req, deps, { signal: new AbortController().signal });
      expect(split.base_series).toEqual(plain.base_series);
      expect(split.result.n_cells).toBe(plain.result.n_cells);
      expect(coverageCalls).toBe(1);
      // Every band is reduced exactly once, in ranges of one file; progress ends at the timestep count.
      const url = tasks[0]?.url as string;
      const cog = await deps.openCog(url);
      interleaves.add(cog.metadata.interleave);
      const bands = tasks.flatMap((t) => t.bands).sort((a, b) => a - b);
      expect(bands).toEqual(Array.from({ length: cog.metadata.bands }, (_, i) => i + 1));
      if (cog.metadata.interleave === 'band') expect(tasks.length).toBe(cog.metadata.bands);
      else expect(tasks.length).toBe(1);
      expect(tasks.every((t) => t.weights.buffer instanceof SharedArrayBuffer)).toBe(true);
      expect(progress.at(-1)).toBe(plain.base_series.timesteps.length);
    }
    expect([...interleaves].sort()).toEqual(['band', 'pixel']);
    await bandDeps.close();
  });
});

describe('statistics cache (repeat extractions over the same area)', () => {
  it('a repeat reads only the bands it does not hold, with the same values; another area or file version reads again', async () => {
    const cache = createStatsCache(1 << 20);
    const reduced: number[][] = [];
    const local = localReduceRunner(deps.openCog);
    const spy: ReduceRunner = {
      parallelism: 1,
      reduce: (task, ctx) => {
        reduced.push(task.bands);
        return local.reduce(task, ctx);
      },
    };
    const cached = { ...deps, runner: spy, statsCache: cache };
    const area = box(-123, 40, -118, 45);
    const go = (over: Partial<ExtractRequest>) =>
      runExtraction(request({ selected_area: area, ...over }), cached, { signal: new AbortController().signal });
    const plain = await run({ selected_area: area });
    // 0002–0004 first: bands 2–4 read; then all five years: only bands 1 and 5 read, values as without a cache.
    await go({ time_range: { gte: '0002', lte: '0004' } });
    expect(reduced).toEqual([[2, 3, 4]]);
    const progress: number[] = [];
    const all = await runExtraction(request({ selected_area: area }), cached, {
      signal: new AbortController().signal,
      onProgress: (done) => progress.push(done),
    });
    expect(reduced).toEqual([
      [2, 3, 4],
      [1, 5],
    ]);
    expect(all.base_series).toEqual(plain.base_series);
    expect(progress.at(-1)).toBe(5);
    expect(cache.stats.hits).toBe(3);
    // Nothing left to read.
    await go({});
    expect(reduced).toHaveLength(2);
    // Another area: read again.
    await go({ selected_area: box(-122, 41, -119, 44) });
    expect(reduced).toHaveLength(3);
    // Another version of the file (rewritten in place): not served.
    const url = (await deps.openCog(new URL('annual_5x5x5_dataset_float32_variable.tif', `file://${FIXTURES}/`).href))
      .metadata.url;
    const stale = createStatsCache(1 << 20);
    const key = stale.areaKey({ col: 0, row: 0, width: 1, height: 1 }, new Float64Array(1), new Float64Array(0), false);
    stale.put(url, 'old-version', key, [1], [99], [99]);
    expect(stale.get(url, 'other-version', key)).toBeUndefined();
    expect(stale.get(url, 'old-version', key)?.bands.get(1)).toEqual([99, 99]);
  });
});

describe('shardPieces', () => {
  it('worked examples: 19 files on 2 threads run as 38 halves; few files fill 4 tasks per thread; 1 thread never splits', () => {
    expect(shardPieces(19, 2)).toBe(2); // 10 + 9 would leave one thread idle for 1/20 of the time
    expect(shardPieces(20, 2)).toBe(1);
    expect(shardPieces(3, 2)).toBe(3); // ≥ 8 tasks
    expect(shardPieces(19, 8)).toBe(2); // remote: ≥ 32 tasks
    expect(shardPieces(19, 1)).toBe(1);
  });
  it('property: enough tasks for 4 per thread, and a split only when it is needed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 2, max: 16 }), (files, threads) => {
        const pieces = shardPieces(files, threads);
        expect(files * pieces).toBeGreaterThanOrEqual(Math.min(files * 4, threads * 4));
        if (files >= threads * 4 && files % threads === 0) expect(pieces).toBe(1);
        expect(pieces).toBeLessThanOrEqual(Math.max(4, Math.ceil((threads * 4) / files)));
      }),
    );
  });
});

describe('taperTail', () => {
  const task = (file: number, from: number, n: number): { file: number; bands: number[]; targets: number[][] } => ({
    file,
    bands: Array.from({ length: n }, (_, i) => from + i),
    targets: Array.from({ length: n }, (_, i) => [file * 1000 + from + i]),
  });
  it('worked example: 38 tasks of 50 bands on 2 threads end in pieces of 25, 13, 6 and 6 bands, largest first', () => {
    const tasks = Array.from({ length: 38 }, (_, i) => task(Math.floor(i / 2), 1 + 50 * (i % 2), 50));
    const out = taperTail(tasks, 2, () => true);
    expect(out.slice(0, 36)).toEqual(tasks.slice(0, 36));
    expect(out.slice(36).map((t) => [t.file, t.bands[0], t.bands.length])).toEqual([
      [18, 1, 25],
      [18, 51, 25],
      [18, 26, 13],
      [18, 76, 13],
      [18, 39, 6],
      [18, 89, 6],
      [18, 45, 6],
      [18, 95, 6],
    ]);
    // One thread, or tasks that must not be split: unchanged.
    expect(taperTail(tasks, 1, () => true)).toEqual(tasks);
    expect(taperTail(tasks, 2, () => false)).toEqual(tasks);
  });
  it('property: every band of every task once, with its targets, in order within each task; pieces ≥ 4 bands', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 120 }), fc.boolean()), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        (specs, threads) => {
          const tasks = specs.map(([n, split], i) => ({ ...task(i, 1, n), split }));
          const out = taperTail(tasks, threads, (t) => t.split);
          for (const [i, t] of tasks.entries()) {
            const mine = out.filter((p) => p.file === i);
            expect(mine.flatMap((p) => p.bands)).toEqual(t.bands);
            expect(mine.flatMap((p) => p.targets)).toEqual(t.targets);
            if (!t.split) expect(mine).toEqual([t]);
            for (const p of mine) expect(p.bands.length).toBeGreaterThanOrEqual(Math.min(4, t.bands.length));
          }
          // Only the last round is cut: tasks before it are the same objects, in the same places.
          const cut = Math.max(0, tasks.length - threads);
          if (threads > 1) expect(out.slice(0, cut)).toEqual(tasks.slice(0, cut));
        },
      ),
    );
  });
});
