/**
 * The legacy v2 `POST /timeseries` (the route the SKOPE UI calls): synchronous, tolerant body, "Original" summary entry,
 * edges computed from data outside the range, array-form errors.
 */
import { describe, expect, it } from 'vitest';
import { appForFile, closeTo } from '../../test/support/http.js';
import { SINGLE_CELL_POLYGON } from '../../test/support/testdata.js';

const t = appForFile({ MAX_SYNC_EXTRACTIONS: '2' });

/** The body the SKOPE UI sends: a Feature point, dates with days, extra fields. */
function uiBody(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    datasetId: 'annual_5x5x5_dataset',
    dataset_id: 'test-annual',
    variable_id: 'ppt',
    selected_area: { type: 'Feature', geometry: { type: 'Point', coordinates: [-123, 45] }, properties: {} },
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'original', smoother: { type: 'NoSmoother' } }],
    time_range: { gte: '0002-01-01', lte: '0004-01-01' },
    max_processing_time: 10_000,
    ...o,
  };
}

interface Response {
  summary_stats: { name: string; mean: number | null; median: number | null; stdev: number | null }[];
  series: { time_range: { gte: string; lte: string }; timesteps: string[]; values: (number | null)[] }[];
  transform: unknown;
  n_cells: number;
}

/** The v2 contract is served at the root and, whatever the registry, under the base path `/v2`. */
describe.each(['', '/v2'])('v2 contract at base %j', (base) => {
  const post = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `${base}/timeseries`, payload });

  it('GET <base>/metadata is the legacy array (the same at the root while no release is pinned)', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${base}/metadata` });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ id: string; variables: { id: string; colormap: string }[] }[]>();
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((d) => d.id)).toContain('test-annual');
    expect(body.find((d) => d.id === 'test-annual')?.variables.map((v) => v.id)).toContain('ppt');
    expect(res.body).toBe((await t.app.inject({ method: 'GET', url: '/metadata' })).body);
  });

  describe('POST /timeseries (v2)', () => {
    it('round trip with the UI body: the upstream point values for every legacy range', async () => {
      const ranges: [string, string, number[]][] = [
        ['0001-01-01', '0003-01-01', [100, 200, 300]],
        ['0001-01-01', '0005-01-01', [100, 200, 300, 400, 500]],
        ['0002-01-01', '0004-01-01', [200, 300, 400]],
        ['0003-01-01', '0004-01-01', [300, 400]],
        ['0003-01-01', '0005-01-01', [300, 400, 500]],
        ['0003-01-01', '0003-01-01', [300]],
      ];
      for (const [gte, lte, values] of ranges) {
        const res = await post(uiBody({ time_range: { gte, lte } }));
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json<Response>();
        expect(closeTo(body.series[0]?.values, values)).toBe(true);
        expect(body.series[0]?.time_range).toEqual({ gte: gte.slice(0, 4), lte: lte.slice(0, 4) });
        expect(body.summary_stats.map((s) => s.name)).toEqual(['original']);
        expect(body.n_cells).toBe(1);
      }
    });

    it('time_range and its keys are optional (the dataset period fills them); dates ending 12-31 are accepted', async () => {
      const none = await post(uiBody({ time_range: undefined }));
      expect(none.json<Response>().series[0]?.timesteps).toEqual(['0001', '0002', '0003', '0004', '0005']);
      const onlyGte = await post(uiBody({ time_range: { gte: '0004-01-01' } }));
      expect(onlyGte.json<Response>().series[0]?.timesteps).toEqual(['0004', '0005']);
      const endOfYear = await post(uiBody({ time_range: { gte: '0001-01-01', lte: '0002-12-31' } }));
      expect(closeTo(endOfYear.json<Response>().series[0]?.values, [100, 200])).toBe(true);
    });

    it('a transform adds an "Original" summary first; z-score and smoother edges use data outside the range', async () => {
      const res = await post(
        uiBody({
          selected_area: SINGLE_CELL_POLYGON,
          transform: { type: 'ZScoreFixedInterval' },
          requested_series_options: [
            { name: 'smooth', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 3 } },
          ],
          time_range: { gte: '0003-01-01', lte: '0005-01-01' },
        }),
      );
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<Response>();
      expect(body.transform).toEqual({ type: 'ZScoreFixedInterval' });
      expect(body.summary_stats[0]?.name).toBe('Original');
      const o = body.summary_stats[0];
      expect(closeTo([o?.mean ?? null, o?.median ?? null, o?.stdev ?? null], [411.1, 411.1, 100])).toBe(true);
      // Reference = the requested range 0003–0005 (mean 411.1, population std 81.6497); z over 0001–0005 is
      // [−3.6742, −2.4495, −1.2247, 0, 1.2247]; trailing 3 over the full series, cut to 0003–0005:
      expect(body.series[0]?.timesteps).toEqual(['0003', '0004', '0005']);
      expect(closeTo(body.series[0]?.values, [-2.449489743, -1.224744871, 0], 1e-6)).toBe(true);
      expect(body.summary_stats[1]?.name).toBe('smooth');
    });

    it('every error is in the array form', async () => {
      const missing = await post(uiBody({ dataset_id: 'nonexistent-ds' }));
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({
        detail: [{ loc: [], msg: "Dataset 'nonexistent-ds' not found.", type: 'dataset_not_found' }],
        code: 'dataset_not_found',
      });
      const invalid = await post(uiBody({ requested_series_options: [] }));
      expect(invalid.statusCode).toBe(422);
      const detail = invalid.json<{ detail: { msg: string }[] }>().detail;
      expect(Array.isArray(detail)).toBe(true);
      expect(typeof detail[0]?.msg).toBe('string');
      const late = await post(uiBody({ max_processing_time: 0 }));
      expect(late.statusCode).toBe(504);
      expect(late.json()).toEqual({
        detail: [{ loc: [], msg: 'Processing exceeded 0 ms.', type: 'deadline_exceeded' }],
        code: 'deadline_exceeded',
      });
      const reversed = await post(uiBody({ time_range: { gte: '0004', lte: '0002' } }));
      expect(reversed.statusCode).toBe(422);
      expect(reversed.json<{ detail: { msg: string }[] }>().detail[0]?.msg).toBe(
        'Start date cannot be after end date.',
      );
    });
  });

  describe('synchronous extractions are admitted (MAX_SYNC_EXTRACTIONS)', () => {
    it('with every slot taken, /point and v2 answer 503 at_capacity with Retry-After; a freed slot admits again', async () => {
      expect(t.deps.syncAdmission.capacity).toBe(2);
      const held = [t.deps.syncAdmission.enter(), t.deps.syncAdmission.enter()];
      try {
        const point = await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/-121.5,43.5' });
        expect(point.statusCode, point.body).toBe(503);
        expect(point.headers['retry-after']).toBe('5');
        expect(point.body).toMatch(/synchronous extractions/);
        const v2 = await post(uiBody());
        expect(v2.statusCode, v2.body).toBe(503);
        expect(v2.headers['retry-after']).toBe('5');
        // Bad input is still told apart first (422), not refused for capacity.
        expect((await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/200,1' })).statusCode).toBe(422);
      } finally {
        held.forEach((release) => release());
      }
      expect((await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/-121.5,43.5' })).statusCode).toBe(200);
      expect((await post(uiBody())).statusCode).toBe(200);
      // Every request gave its slot back.
      expect(t.deps.syncAdmission.inUse).toBe(0);
    });
  });
});

describe('GET /point/{dataset}/{variable}/{lon},{lat}', () => {
  it("returns one cell's full series", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/-121.5,43.5' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ timesteps: string[]; values: number[]; lon: number; lat: number }>();
    expect(body.timesteps).toEqual(['0001', '0002', '0003', '0004', '0005']);
    expect(closeTo(body.values, [111.1, 211.1, 311.1, 411.1, 511.1])).toBe(true);
    expect([body.lon, body.lat]).toEqual([-121.5, 43.5]);
    const nodata = await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/-118.5,41.5' });
    expect(nodata.json<{ values: unknown[] }>().values).toEqual([null, null, null, null, null]);
  });

  it('bad coordinates → 422; unknown dataset → 404; outside → 422', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/abc,1' })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/200,1' })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: '/point/nope/ppt/-121.5,43.5' })).statusCode).toBe(404);
    const out = await t.app.inject({ method: 'GET', url: '/point/test-annual/ppt/10,10' });
    expect(out.statusCode).toBe(422);
    expect(out.json<{ code: string }>().code).toBe('area_outside_dataset');
  });
});
