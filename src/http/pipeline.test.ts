/**
 * Every row of the upstream API's pipeline test table over HTTP, with its derived numbers as assertions, on
 * the 5×5 fixtures, through the real app (worker pool, fs job store, file sources, COG reader).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { InlineJobQueue } from '../jobs/queue.inline.js';
import type { ExtractRequest } from '../timeseries/types.js';
import { appForFile, closeTo, extractAndWait } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';

const t = appForFile();

const ANNUAL = [111.0999984741211, 211.1000061035156, 311.1000061035156, 411.1000061035156, 511.1000061035156];

interface Result {
  dataset_id: string;
  variable_id: string;
  area: number;
  n_cells: number;
  summary_stats: { name: string; mean: number | null; median: number | null; stdev: number | null }[];
  series: { time_range: { gte: string; lte: string }; timesteps: string[]; values: (number | null)[] }[];
}

const resultOf = (status: Record<string, unknown>): Result => status['result'] as Result;

async function analyze(payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/timeseries/analyze', payload });
}

describe('upstream pipeline tests over HTTP', () => {
  it('settings_endpoint_is_not_exposed: GET /settings → 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/settings' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: 'Not Found: GET /settings', code: 'not_found' });
  });

  it('tile_uses_registry_colormap_when_override_is_absent_or_invalid (×2)', async () => {
    const viridis = await t.app.inject({ method: 'GET', url: '/tiles/test-annual/ppt/0001/0/0/0?colormap=viridis' });
    expect(viridis.statusCode).toBe(200);
    expect(viridis.headers['content-type']).toBe('image/png');
    for (const query of ['', '?colormap=undefined']) {
      const res = await t.app.inject({ method: 'GET', url: `/tiles/test-annual/ppt/0001/0/0/0${query}` });
      expect(res.statusCode).toBe(200);
      // The registry's colormap (viridis by default) was used: the same image as asking for viridis.
      expect(res.rawPayload.equals(viridis.rawPayload)).toBe(true);
    }
    const magma = await t.app.inject({ method: 'GET', url: '/tiles/test-annual/ppt/0001/0/0/0?colormap=magma' });
    expect(magma.rawPayload.equals(viridis.rawPayload)).toBe(false);
  });

  it('tile_rejects_invalid_style_parameters (×4)', async () => {
    for (const query of ['colormap=../viridis', 'rescale=0', 'rescale=nan,100', 'rescale=100,0']) {
      const res = await t.app.inject({ method: 'GET', url: `/tiles/test-annual/ppt/0001/0/0/0?${query}` });
      expect(res.statusCode, query).toBe(422);
      expect(typeof res.json<{ detail: unknown }>().detail).toBe('string');
    }
  });

  it('extract_annual_full_range_succeeds (single cell: values, n_cells, area, summary)', async () => {
    const { status } = await extractAndWait(t.app, extractPayload());
    expect(status['status']).toBe('SUCCESS');
    expect(status).not.toHaveProperty('base_series');
    expect(JSON.stringify(status)).not.toContain('base_series');
    const r = resultOf(status);
    expect(r.dataset_id).toBe('test-annual');
    expect(r.variable_id).toBe('ppt');
    expect(r.series[0]?.values).toHaveLength(5);
    expect(closeTo(r.series[0]?.values, ANNUAL)).toBe(true);
    expect(r.series[0]?.timesteps).toEqual(['0001', '0002', '0003', '0004', '0005']);
    expect(r.n_cells).toBe(1);
    expect(r.area).toBeCloseTo(8_985_387_394.84, 1);
    const s = r.summary_stats[0];
    expect(s?.name).toBe('raw');
    expect(
      closeTo([s?.mean ?? null, s?.median ?? null, s?.stdev ?? null], [311.1000046, 311.1000061, 158.1138854], 1e-7),
    ).toBe(true);
    expect(status['progress']).toEqual({ done: 5, total: 5 });
    expect(typeof status['created']).toBe('string');
    expect(typeof status['updated']).toBe('string');
  });

  it('extract_monthly_full_range_succeeds (60 values = 100·b + 11.1; summary)', async () => {
    const { status } = await extractAndWait(
      t.app,
      extractPayload({ dataset_id: 'test-monthly', time_range: { gte: '0001-01', lte: '0005-12' } }),
    );
    expect(status['status']).toBe('SUCCESS');
    expect(status).not.toHaveProperty('base_series');
    const r = resultOf(status);
    const expected = Array.from({ length: 60 }, (_, i) => Math.fround(100 * (i + 1) + 11.1));
    expect(closeTo(r.series[0]?.values, expected)).toBe(true);
    expect(r.series[0]?.timesteps[12]).toBe('0002-01');
    const s = r.summary_stats[0];
    expect(closeTo([s?.mean ?? null, s?.median ?? null, s?.stdev ?? null], [3061.10006, 3061.1001, 1746.42496])).toBe(
      true,
    );
  });

  it('extract_partial_range_returns_correct_slice (0002–0004)', async () => {
    const { status } = await extractAndWait(t.app, extractPayload({ time_range: { gte: '0002', lte: '0004' } }));
    const r = resultOf(status);
    expect(status['status']).toBe('SUCCESS');
    expect(r.series[0]?.time_range).toEqual({ gte: '0002', lte: '0004' });
    expect(closeTo(r.series[0]?.values, ANNUAL.slice(1, 4))).toBe(true);
  });

  it('extract_null_range_uses_dataset_period', async () => {
    const { status } = await extractAndWait(t.app, extractPayload({ time_range: null }));
    expect(status['status']).toBe('SUCCESS');
    expect(resultOf(status).series[0]?.time_range).toEqual({ gte: '0001', lte: '0005' });
    expect(closeTo(resultOf(status).series[0]?.values, ANNUAL)).toBe(true);
  });

  it('extract_rejected_when_worker_is_at_capacity: 503 + Retry-After: 5', async () => {
    // As upstream: the (limit 1) controller is already held, here by a job whose handler waits for a gate.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const held = new InlineJobQueue<ExtractRequest>({
      store: t.deps.store,
      capacity: 1,
      handler: async () => {
        await gate;
        return { result: null };
      },
    });
    const original = t.deps.queue;
    t.deps.queue = held;
    try {
      await held.enqueue({ id: randomUUID(), deadlineMs: 60_000 }, extractPayload() as unknown as ExtractRequest);
      const res = await t.app.inject({ method: 'POST', url: '/timeseries/extract', payload: extractPayload() });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toEqual({
        detail: 'The extraction service is at capacity. Retry later.',
        code: 'at_capacity',
      });
    } finally {
      open();
      await held.close();
      t.deps.queue = original;
    }
  });

  it('extract_processing_deadline_is_enforced: max_processing_time 0 → FAILED "Processing exceeded 0 ms."', async () => {
    const { status } = await extractAndWait(t.app, extractPayload({ max_processing_time: 0 }));
    expect(status['status']).toBe('FAILED');
    expect(status['error']).toBe('Processing exceeded 0 ms.');
    expect(status['code']).toBe('deadline_exceeded');
  });

  it('extract_unknown_dataset_returns_404 / extract_unknown_variable_returns_404', async () => {
    const ds = await t.app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      payload: extractPayload({ dataset_id: 'nonexistent-ds' }),
    });
    expect(ds.statusCode).toBe(404);
    expect(ds.json()).toEqual({ detail: "Dataset 'nonexistent-ds' not found.", code: 'dataset_not_found' });
    const v = await t.app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      payload: extractPayload({ variable_id: 'no-such-var' }),
    });
    expect(v.statusCode).toBe(404);
    expect(v.json()).toEqual({
      detail: "Variable 'no-such-var' not found in dataset 'test-annual'.",
      code: 'variable_not_found',
    });
  });

  describe('analyze on an extract result', () => {
    let id: string;
    beforeAll(async () => {
      ({ id } = await extractAndWait(t.app, extractPayload()));
    });
    const body = (o: Record<string, unknown> = {}) => ({
      extraction_id: id,
      transform: { type: 'NoTransform' },
      requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
      ...o,
    });

    it('analyze_on_extract_result_returns_correct_response', async () => {
      const res = await analyze(body());
      expect(res.statusCode).toBe(200);
      const r = res.json<Result>();
      expect(r.dataset_id).toBe('test-annual');
      expect(r.variable_id).toBe('ppt');
      expect(r.n_cells).toBe(1);
      expect(closeTo(r.series[0]?.values, ANNUAL)).toBe(true);
    });

    it('analyze_with_time_range_slices_series (0002–0004: values and summary)', async () => {
      const res = await analyze(body({ time_range: { gte: '0002', lte: '0004' } }));
      expect(res.statusCode).toBe(200);
      const r = res.json<Result>();
      expect(closeTo(r.series[0]?.values, [211.1, 311.1, 411.1])).toBe(true);
      expect(r.series[0]?.time_range).toEqual({ gte: '0002', lte: '0004' });
      const s = r.summary_stats[0];
      expect(closeTo([s?.mean ?? null, s?.median ?? null, s?.stdev ?? null], [311.1, 311.1, 100])).toBe(true);
    });

    it('analyze_with_zscore_transform_returns_valid_response (population std)', async () => {
      const res = await analyze(body({ transform: { type: 'ZScoreFixedInterval' }, zonal_statistic: 'mean' }));
      expect(res.statusCode).toBe(200);
      const values = res.json<Result>().series[0]?.values ?? [];
      expect(values.every((v) => v !== null)).toBe(true);
      const expected = [-1.41421358, -0.70710676, 0, 0.70710678, 1.41421355];
      values.forEach((v, i) => expect(v as number).toBeCloseTo(expected[i] as number, 6));
    });

    it('smoothers and the moving z-score on the annual single cell', async () => {
      const res = await analyze(
        body({
          requested_series_options: [
            { name: 'trailing', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 3 } },
            { name: 'centered', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 3 } },
          ],
        }),
      );
      const r = res.json<Result>();
      expect(closeTo(r.series[0]?.values, [111.1, 161.1, 211.1, 311.1, 411.1])).toBe(true);
      expect(closeTo(r.series[1]?.values, [161.1, 211.1, 311.1, 411.1, 461.1])).toBe(true);
      const z = await analyze(body({ transform: { type: 'ZScoreMovingInterval', width: 2 } }));
      expect(closeTo(z.json<Result>().series[0]?.values, [null, null, 3, 3, 3])).toBe(true);
    });

    it('analyze with a time range outside the extraction → 422 with the upstream sentence', async () => {
      const res = await analyze(body({ time_range: { gte: '0007', lte: '0009' } }));
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({
        detail: 'Requested time_range [0007, 0009] has no overlap with the extraction range [0001, 0005].',
        code: 'time_range_empty',
      });
    });
  });

  it('analyze_nonexistent_job_returns_404 (non-UUID and unknown UUID)', async () => {
    const payload = {
      transform: { type: 'NoTransform' },
      requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    };
    for (const extraction_id of ['does-not-exist', randomUUID(), '../x']) {
      const res = await analyze({ extraction_id, ...payload });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ detail: 'Extraction not found. It may have expired.', code: 'job_not_found' });
    }
  });

  it('analyze_pending_job_returns_409 / analyze_failed_job_returns_409 / no base series → 422', async () => {
    const now = new Date().toISOString();
    const pending = randomUUID();
    const failed = randomUUID();
    const bare = randomUUID();
    await t.deps.store.create({ v: 1, id: pending, status: 'PENDING', created: now, updated: now });
    await t.deps.store.create({
      v: 1,
      id: failed,
      status: 'FAILED',
      created: now,
      updated: now,
      error: 'upstream error',
    });
    await t.deps.store.create({
      v: 1,
      id: bare,
      status: 'SUCCESS',
      created: now,
      updated: now,
      result: { dataset_id: 'x' },
    });
    const payload = {
      transform: { type: 'NoTransform' },
      requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    };
    const p = await analyze({ extraction_id: pending, ...payload });
    expect(p.statusCode).toBe(409);
    expect(p.json()).toEqual({ detail: 'Extraction not complete: PENDING', code: 'job_not_complete' });
    const f = await analyze({ extraction_id: failed, ...payload });
    expect(f.statusCode).toBe(409);
    expect(f.json()).toEqual({ detail: 'Extraction not complete: FAILED', code: 'job_not_complete' });
    const b = await analyze({ extraction_id: bare, ...payload });
    expect(b.statusCode).toBe(422);
    expect(b.json()).toEqual({ detail: 'No base series found. Re-submit /extract.', code: 'job_no_base_series' });
  });

  describe('derived reference values of the upstream pipeline tests', () => {
    it('full-grid polygon: n_cells 25, nanmean and nanmedian per band', async () => {
      const grid = {
        type: 'Polygon',
        coordinates: [
          [
            [-123, 40],
            [-118, 40],
            [-118, 45],
            [-123, 45],
            [-123, 40],
          ],
        ],
      };
      const mean = resultOf((await extractAndWait(t.app, extractPayload({ selected_area: grid }))).status);
      expect(mean.n_cells).toBe(25);
      expect(mean.area).toBeCloseTo(228_145_753_854.25, 0);
      expect(closeTo(mean.series[0]?.values, [121.691658, 221.691666, 321.573914, 421.691681, 521.691711])).toBe(true);
      const med = resultOf(
        (await extractAndWait(t.app, extractPayload({ selected_area: grid, zonal_statistic: 'median' }))).status,
      );
      expect(closeTo(med.series[0]?.values, [121.65, 221.65, 321.1, 421.65, 521.65])).toBe(true);
    });

    it('point (−123, 45) → pixel (0,0) = [100, 200, 300, 400, 500], area 0', async () => {
      const r = resultOf(
        (await extractAndWait(t.app, extractPayload({ selected_area: { type: 'Point', coordinates: [-123, 45] } })))
          .status,
      );
      expect(closeTo(r.series[0]?.values, [100, 200, 300, 400, 500])).toBe(true);
      expect(r.n_cells).toBe(1);
      expect(r.area).toBe(0);
    });

    it('the nodata pixel (column 4, row 3) → all values and summaries null', async () => {
      const box = {
        type: 'Polygon',
        coordinates: [
          [
            [-119, 41],
            [-118, 41],
            [-118, 42],
            [-119, 42],
            [-119, 41],
          ],
        ],
      };
      const r = resultOf((await extractAndWait(t.app, extractPayload({ selected_area: box }))).status);
      expect(r.series[0]?.values).toEqual([null, null, null, null, null]);
      expect(r.summary_stats[0]).toEqual({ name: 'raw', mean: null, median: null, stdev: null });
    });
  });
});
