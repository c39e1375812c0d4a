import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { analyzeBaseSeries, type AnalyzeParams } from './analyze.js';
import type { BaseSeries } from './types.js';

const meta = { dataset_id: 'test-ds', variable_id: 'ppt', area: 1000, n_cells: 5 };
const base: BaseSeries = {
  timesteps: Array.from({ length: 10 }, (_, i) => `01${String(i).padStart(2, '0')}`),
  mean: Array.from({ length: 10 }, (_, i) => i + 1),
  median: Array.from({ length: 10 }, (_, i) => i / 2),
};
const raw: AnalyzeParams = {
  zonal_statistic: 'mean',
  transform: { type: 'NoTransform' },
  requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
};
const annual: BaseSeries = {
  timesteps: ['0001', '0002', '0003', '0004', '0005'],
  mean: [111.1, 211.1, 311.1, 411.1, 511.1].map(Math.fround),
  median: [111.1, 211.1, 311.1, 411.1, 511.1].map(Math.fround),
};

function near(actual: (number | null)[], expected: (number | null)[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (e === null) expect(actual[i]).toBeNull();
    else expect(Math.abs((actual[i] as number) - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
  });
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('analyzeBaseSeries (upstream execute_analyze_request tests)', () => {
  it('mean with NoTransform echoes the base mean, metadata and timesteps', () => {
    const r = analyzeBaseSeries(base, raw, meta);
    expect(r.dataset_id).toBe('test-ds');
    expect(r.variable_id).toBe('ppt');
    expect(r.area).toBe(1000);
    expect(r.n_cells).toBe(5);
    expect(r.series[0]?.values).toEqual(base.mean);
    expect(r.series[0]?.timesteps).toEqual(base.timesteps);
    expect(r.series[0]?.time_range).toEqual({ gte: '0100', lte: '0109' });
    expect(r.transform).toEqual({ type: 'NoTransform' });
    expect(r.zonal_statistic).toBe('mean');
  });

  it('median picks the base median', () => {
    expect(analyzeBaseSeries(base, { ...raw, zonal_statistic: 'median' }, meta).series[0]?.values).toEqual(base.median);
  });

  it('range 0103–0106 gives 4 values, time_range = keys present', () => {
    const r = analyzeBaseSeries(base, { ...raw, time_range: { gte: '0103', lte: '0106' } }, meta);
    expect(r.series[0]?.values).toEqual([4, 5, 6, 7]);
    expect(r.series[0]?.time_range).toEqual({ gte: '0103', lte: '0106' });
  });

  it('range 0200–0300 is time_range_empty with the upstream sentence', () => {
    const err = caught(() => analyzeBaseSeries(base, { ...raw, time_range: { gte: '0200', lte: '0300' } }, meta));
    expect(isAppError(err, 'time_range_empty')).toBe(true);
    expect((err as Error).message).toBe(
      'Requested time_range [0200, 0300] has no overlap with the extraction range [0100, 0109].',
    );
  });

  it('fixed z-score + trailing w3 gives one series', () => {
    const r = analyzeBaseSeries(
      base,
      {
        ...raw,
        transform: { type: 'ZScoreFixedInterval' },
        requested_series_options: [
          { name: 's', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 3 } },
        ],
      },
      meta,
    );
    expect(r.series).toHaveLength(1);
    expect(r.summary_stats).toHaveLength(1);
  });

  it('moving z-score of width 11 on 10 values: all null, summary all null', () => {
    const r = analyzeBaseSeries(base, { ...raw, transform: { type: 'ZScoreMovingInterval', width: 11 } }, meta);
    expect(r.series[0]?.values).toEqual(Array(10).fill(null));
    expect(r.summary_stats[0]).toEqual({ name: 'raw', mean: null, median: null, stdev: null });
  });
});

describe('analyze on the annual single cell (upstream derived values)', () => {
  it('range 0002–0004: [211.1, 311.1, 411.1], mean 311.1, median 311.1, stdev 100', () => {
    const r = analyzeBaseSeries(annual, { ...raw, time_range: { gte: '0002', lte: '0004' } }, meta);
    near(r.series[0]!.values, [211.1, 311.1, 411.1]);
    const s = r.summary_stats[0]!;
    near([s.mean, s.median, s.stdev], [311.1, 311.1, 100]);
    expect(r.series[0]?.time_range).toEqual({ gte: '0002', lte: '0004' });
  });

  it('time_range is normalised to the stored precision (0002-01-01 selects 0002, where upstream selected nothing)', () => {
    const r = analyzeBaseSeries(annual, { ...raw, time_range: { gte: '0002-01-01', lte: '0004-01-01' } }, meta);
    expect(r.series[0]?.timesteps).toEqual(['0002', '0003', '0004']);
  });

  it('a sub-year bound on yearly keys is timestep_malformed', () => {
    const err = caught(() =>
      analyzeBaseSeries(annual, { ...raw, time_range: { gte: '0002-08-12', lte: '0004' } }, meta),
    );
    expect(isAppError(err, 'timestep_malformed')).toBe(true);
  });

  it('ZScoreFixedInterval: ±1.41421356, ±0.70710678, ≈0', () => {
    const r = analyzeBaseSeries(annual, { ...raw, transform: { type: 'ZScoreFixedInterval' } }, meta);
    near(r.series[0]!.values, [-1.41421358, -0.70710676, 1.08e-8, 0.70710678, 1.41421355]);
  });

  it('moving z-score w2: [null, null, 3, 3, 3]; smoothers trailing and centered w3', () => {
    near(
      analyzeBaseSeries(annual, { ...raw, transform: { type: 'ZScoreMovingInterval', width: 2 } }, meta).series[0]!
        .values,
      [null, null, 3, 3, 3],
    );
    const r = analyzeBaseSeries(
      annual,
      {
        ...raw,
        requested_series_options: [
          { name: 't', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 3 } },
          { name: 'c', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 3 } },
        ],
      },
      meta,
    );
    near(r.series[0]!.values, [111.1, 161.1, 211.1, 311.1, 411.1]);
    near(r.series[1]!.values, [161.1, 211.1, 311.1, 411.1, 461.1]);
    expect(r.summary_stats.map((s) => s.name)).toEqual(['t', 'c']);
  });

  it('all-null base: values and summary null, never NaN', () => {
    const empty: BaseSeries = { timesteps: ['0001', '0002'], mean: [null, null], median: [null, null] };
    const r = analyzeBaseSeries(empty, { ...raw, transform: { type: 'ZScoreFixedInterval' } }, meta);
    expect(r.series[0]?.values).toEqual([null, null]);
    expect(r.summary_stats[0]).toEqual({ name: 'raw', mean: null, median: null, stdev: null });
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });
});

describe('v2 options (original entry, smoothing before the slice)', () => {
  it('originalEntry adds "Original" over untransformed values of the range, only with a transform', () => {
    const params: AnalyzeParams = {
      ...raw,
      transform: { type: 'ZScoreFixedInterval' },
      time_range: { gte: '0102', lte: '0104' },
    };
    const r = analyzeBaseSeries(base, params, meta, { originalEntry: true });
    expect(r.summary_stats.map((s) => s.name)).toEqual(['Original', 'raw']);
    expect(r.summary_stats[0]).toEqual({ name: 'Original', mean: 4, median: 4, stdev: 1 });
    expect(analyzeBaseSeries(base, raw, meta, { originalEntry: true }).summary_stats.map((s) => s.name)).toEqual([
      'raw',
    ]);
  });

  it('smoothBeforeSlice uses neighbours outside the range at the edges', () => {
    const params: AnalyzeParams = {
      ...raw,
      time_range: { gte: '0102', lte: '0104' },
      requested_series_options: [
        { name: 'c', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 3 } },
      ],
    };
    expect(analyzeBaseSeries(base, params, meta).series[0]?.values).toEqual([3.5, 4, 4.5]);
    expect(analyzeBaseSeries(base, params, meta, { smoothBeforeSlice: true }).series[0]?.values).toEqual([3, 4, 5]);
  });
});
