/**
 * The HTTP surface around the pipeline: metadata, validation shapes, ids, cancel, export, CORS, health, metrics,
 * OpenAPI. One real app (fs store, worker pool) for the file.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InlineJobQueue } from '../jobs/queue.inline.js';
import type { ExtractRequest } from '../timeseries/types.js';
import { appForFile, extractAndWait, waitForJob } from '../../test/support/http.js';
import { SKOPE_PRECIP, extractPayload } from '../../test/support/testdata.js';

const t = appForFile({
  ALLOWED_ORIGINS: 'https://skope.example,https://ui.example',
  // Small enough that a whole-world box on the 1° test grid is "too large".
  DEFAULT_MAX_CELLS: '1000',
});

const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });

describe('GET /metadata', () => {
  it('lists the registry in file order with raw fields, colormap and colormap_stops', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metadata' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>[]>();
    expect(body.map((d) => d['id'])).toEqual(['test-annual', 'test-monthly']);
    expect(body[0]).toMatchObject({
      title: 'Test annual dataset',
      ordering: 1,
      crs: 'EPSG:4326',
      transform: [1, 0, -123, 0, -1, 45],
      timespan: { resolution: 'year', period: { timeZero: 1, gte: '0001', lte: '0005', suffix: 'CE' } },
    });
    const annualVar = (body[0]?.['variables'] as Record<string, unknown>[])[0] ?? {};
    expect(annualVar).toMatchObject({
      id: 'ppt',
      name: 'Annual precipitation',
      units: 'mm',
      min: 0,
      max: 10,
      colormap: 'viridis',
    });
    const stops = annualVar['colormap_stops'] as string[];
    expect(stops).toHaveLength(256);
    expect(stops[0]).toBe('#440154');
    expect(stops[255]).toBe('#fde724'); // rio-tiler's table (matplotlib rounds to #fde725)
    const monthlyVar = (body[1]?.['variables'] as Record<string, unknown>[])[0] ?? {};
    expect(monthlyVar).toMatchObject({ colormap: 'skope-precip', colormap_stops: SKOPE_PRECIP });
  });
});

describe('request validation (FastAPI 422 shapes)', () => {
  it('missing field → detail array with loc, msg, type and code validation_error', async () => {
    const { zonal_statistic: _z, ...rest } = extractPayload();
    const res = await post('/timeseries/extract', rest);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: [{ loc: ['body', 'zonal_statistic'], msg: 'Field required', type: 'missing' }],
      code: 'validation_error',
    });
  });

  it('time_range is required but may be null', async () => {
    const { time_range: _t, ...rest } = extractPayload();
    const res = await post('/timeseries/extract', rest);
    expect(res.statusCode).toBe(422);
    expect(res.json<{ detail: { loc: unknown[] }[] }>().detail[0]?.loc).toEqual(['body', 'time_range']);
  });

  it.each([['invalid id'], ['../etc/passwd'], ['ds<script>'], ['var.name'], ['ünïcode']])(
    'rejects the id %j',
    async (id) => {
      const res = await post('/timeseries/extract', extractPayload({ dataset_id: id }));
      expect(res.statusCode).toBe(422);
      const item = res.json<{ detail: { loc: unknown[]; type: string }[] }>().detail[0];
      expect(item?.loc).toEqual(['body', 'dataset_id']);
      expect(item?.type).toBe('pattern');
    },
  );

  it('cross-field rules with upstream sentences', async () => {
    const cases: [Record<string, unknown>, unknown[], string][] = [
      [
        {
          requested_series_options: [
            { name: 'a', smoother: { type: 'NoSmoother' } },
            { name: 'a', smoother: { type: 'NoSmoother' } },
          ],
        },
        ['body', 'requested_series_options'],
        'Series option names must be unique.',
      ],
      [{ time_range: { gte: '0005', lte: '0001' } }, ['body', 'time_range'], 'Start date cannot be after end date.'],
      [
        {
          requested_series_options: [
            { name: 'c', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 4 } },
          ],
        },
        ['body', 'requested_series_options', 0, 'smoother'],
        'Window width must be odd for centered windows',
      ],
    ];
    for (const [override, loc, msg] of cases) {
      const res = await post('/timeseries/extract', extractPayload(override));
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({ detail: [{ loc, msg, type: 'value_error' }], code: 'validation_error' });
    }
  });

  it('limits: 0 or 11 series options, widths 0/201, max_processing_time above the setting, bad dates', async () => {
    const opts = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `s${i}`, smoother: { type: 'NoSmoother' } }));
    const bad: Record<string, unknown>[] = [
      { requested_series_options: [] },
      { requested_series_options: opts(11) },
      {
        requested_series_options: [
          { name: 't', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 201 } },
        ],
      },
      {
        requested_series_options: [
          { name: 't', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 0 } },
        ],
      },
      { max_processing_time: 20_001 },
      { max_processing_time: -1 },
      { time_range: { gte: 'not-a-date', lte: '0005' } },
      { zonal_statistic: 'max' },
      { transform: { type: 'ZScoreMovingInterval', width: 0 } },
      { selected_area: { type: 'LineString', coordinates: [] } },
    ];
    for (const override of bad) {
      const res = await post('/timeseries/extract', extractPayload(override));
      expect(res.statusCode, JSON.stringify(override)).toBe(422);
      expect(res.json<{ code: string }>().code).toBe('validation_error');
    }
    // Accepted as upstream: equal bounds, dates with days, trailing 200, centered 1.
    const ok = await post(
      '/timeseries/extract',
      extractPayload({
        time_range: { gte: '0002-01-01', lte: '0002-01-01' },
        requested_series_options: [
          { name: 'a', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 200 } },
          { name: 'b', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 1 } },
        ],
      }),
    );
    expect(ok.statusCode).toBe(202);
    const done = await waitForJob(t.app, ok.json<{ job_id: string }>().job_id);
    expect(done).toMatchObject({
      status: 'SUCCESS',
      result: { series: [{ timesteps: ['0002'] }, { timesteps: ['0002'] }] },
    });
  });

  it('a body that is not JSON → 422 json_invalid; geometry limits → 422 with the upstream sentence', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      headers: { 'content-type': 'application/json' },
      payload: '{"dataset_id":',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }],
      code: 'validation_error',
    });
    const ring = Array.from({ length: 10_001 }, (_, i) => [-122 + i * 1e-5, 43]);
    ring.push([-122, 44], [-122, 43]);
    const big = await post(
      '/timeseries/extract',
      extractPayload({ selected_area: { type: 'Polygon', coordinates: [ring] } }),
    );
    expect(big.statusCode).toBe(422);
    expect(big.json()).toMatchObject({ detail: 'Selected area has 10003 coordinates; maximum is 10000.' });
  });

  it('area too large → 422 with the estimate; fully outside the dataset → 422 before a job exists', async () => {
    const huge = {
      type: 'Polygon',
      coordinates: [
        [
          [-179, -80],
          [179, -80],
          [179, 80],
          [-179, 80],
          [-179, -80],
        ],
      ],
    };
    const res = await post('/timeseries/extract', extractPayload({ selected_area: huge }));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: 'Selected area is too large. Estimated cell count: 57280, maximum allowed: 1000.',
      code: 'area_too_large',
    });
    const away = { type: 'Point', coordinates: [10, 10] };
    const out = await post('/timeseries/extract', extractPayload({ selected_area: away }));
    expect(out.statusCode).toBe(422);
    expect(out.json<{ code: string }>().code).toBe('area_outside_dataset');
  });
});

describe('job ids, status and cancel', () => {
  it('non-UUID ids are 404 without touching the store', async () => {
    const get = t.deps.store.get.bind(t.deps.store);
    let calls = 0;
    t.deps.store.get = async (id) => (calls++, get(id));
    try {
      for (const id of ['abc', '..%2F..%2Fetc%2Fpasswd', '123e4567-e89b-12d3-a456-42661417400']) {
        for (const method of ['GET', 'DELETE'] as const) {
          const res = await t.app.inject({ method, url: `/timeseries/status/${id}` });
          expect(res.statusCode).toBe(404);
          expect(res.json()).toEqual({ detail: 'Job not found', code: 'job_not_found' });
        }
        expect((await t.app.inject({ method: 'GET', url: `/timeseries/export/${id}` })).statusCode).toBe(404);
      }
      expect(calls).toBe(0);
    } finally {
      t.deps.store.get = get;
    }
    expect((await t.app.inject({ method: 'GET', url: `/timeseries/status/${randomUUID()}` })).statusCode).toBe(404);
  });

  it('DELETE cancels a running job (FAILED "Cancelled.", work aborted); a second DELETE is a no-op', async () => {
    let aborted = false;
    const gated = new InlineJobQueue<ExtractRequest>({
      store: t.deps.store,
      capacity: 1,
      handler: (_req, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.onProgress(1, 10);
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(ctx.signal.reason as Error);
          });
        }),
    });
    const original = t.deps.queue;
    t.deps.queue = gated;
    try {
      const res = await post('/timeseries/extract', extractPayload());
      expect(res.statusCode).toBe(202);
      const { job_id } = res.json<{ job_id: string }>();
      const del = await t.app.inject({ method: 'DELETE', url: `/timeseries/status/${job_id}` });
      expect(del.statusCode).toBe(200);
      expect(del.json()).toMatchObject({ job_id, status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' });
      expect(aborted).toBe(true);
      const again = await t.app.inject({ method: 'DELETE', url: `/timeseries/status/${job_id}` });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ status: 'FAILED', error: 'Cancelled.' });
      expect(gated.active()).toBe(0);
    } finally {
      await gated.close();
      t.deps.queue = original;
    }
  });

  it('DELETE of a finished job answers 409 job_finished and leaves it unchanged', async () => {
    const { id } = await extractAndWait(t.app, extractPayload());
    const del = await t.app.inject({ method: 'DELETE', url: `/timeseries/status/${id}` });
    expect(del.statusCode).toBe(409);
    expect(del.json()).toEqual({ detail: 'Job already finished: SUCCESS.', code: 'job_finished' });
    expect((await waitForJob(t.app, id))['status']).toBe('SUCCESS');
  });
});

describe('GET /timeseries/export/{id}', () => {
  it('CSV: timestep,<series>… with Content-Disposition; JSON: the result', async () => {
    const { id } = await extractAndWait(
      t.app,
      extractPayload({
        requested_series_options: [
          { name: 'raw', smoother: { type: 'NoSmoother' } },
          { name: 'trailing 3', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 3 } },
        ],
      }),
    );
    const csv = await t.app.inject({ method: 'GET', url: `/timeseries/export/${id}?format=csv` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      `attachment; filename="skope-test-annual-ppt-${id.slice(0, 8)}.csv"`,
    );
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('timestep,raw,trailing 3');
    expect(lines).toHaveLength(6);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[0])).toEqual(['0001', '0002', '0003', '0004', '0005']);
    expect(rows.map((r) => Number(r[1]))).toEqual(rows.map((_, i) => expect.closeTo(111.1 + 100 * i, 4) as number));
    expect(Number(rows[1]?.[2])).toBeCloseTo(161.1, 4);
    const json = await t.app.inject({ method: 'GET', url: `/timeseries/export/${id}?format=json` });
    expect(json.headers['content-disposition']).toContain('.json"');
    expect(json.json<{ n_cells: number }>().n_cells).toBe(1);
    const bad = await t.app.inject({ method: 'GET', url: `/timeseries/export/${id}?format=xml` });
    expect(bad.statusCode).toBe(422);
  });
});

describe('CORS, health, metrics, OpenAPI', () => {
  it('answers preflights for allowed origins and exposes Retry-After', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/timeseries/extract',
      headers: {
        origin: 'https://ui.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://ui.example');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    const get = await t.app.inject({ method: 'GET', url: '/metadata', headers: { origin: 'https://skope.example' } });
    expect(get.headers['access-control-allow-origin']).toBe('https://skope.example');
    expect(String(get.headers['access-control-expose-headers'])).toContain('Retry-After');
    const other = await t.app.inject({ method: 'GET', url: '/metadata', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // Errors carry CORS headers too (the browser must be able to read a 404 body).
    const nf = await t.app.inject({ method: 'GET', url: '/nope', headers: { origin: 'https://ui.example' } });
    expect(nf.headers['access-control-allow-origin']).toBe('https://ui.example');
  });

  it('/healthz, /readyz', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { store: 'ok', storage: 'ok' } });
  });

  it('/metrics in Prometheus text format with request and job counts', async () => {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(res.body).toMatch(/^skope_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+$/m);
    expect(res.body).toMatch(
      /^skope_http_requests_total\{method="POST",route="\/timeseries\/extract",status="202"\} \d+$/m,
    );
    expect(res.body).toMatch(/^skope_jobs_total\{status="SUCCESS"\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^skope_jobs_running 0$/m);
    expect(res.body).toMatch(/^skope_jobs_capacity 1$/m);
    expect(res.body).toContain('skope_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}');
  });

  it('/openapi.json documents the routes with the validation schemas; /docs serves the UI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>
      >;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/metadata',
        '/timeseries/extract',
        '/timeseries/status/{job_id}',
        '/timeseries/analyze',
        '/timeseries',
        '/healthz',
      ]),
    );
    const schema = doc.paths['/timeseries/extract']?.['post']?.requestBody?.content['application/json']?.schema;
    expect(schema?.required).toEqual(expect.arrayContaining(['dataset_id', 'time_range', 'requested_series_options']));
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});
