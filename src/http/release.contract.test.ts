/**
 * The newest SKOPE front end against a release-serving server (a pinned tiny release: dataset `ds`, variable `v`,
 * years 0100–0104 in chunks of 2, every cell of band b of a chunk's COG = b × 10), playing its sequence: a CORS-preflighted
 * `/metadata` (major version 1, valid against the 1.0.0 schema), tiles of a zero-padded year with no query string
 * (MapLibre shows them at 128 px), an extract with `max_processing_time: 20000` → 202, status polled every second to
 * SUCCESS with `timesteps`, analyze with an explicit `time_range`, analyze of a running job → 409, 503 with
 * `Retry-After` readable through CORS. Also the time protocol, and the v2 contract under `/v2` on the same registry.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InlineJobQueue } from '../jobs/queue.inline.js';
import { createColormapSet } from '../registry/colormaps.js';
import type { ExtractRequest } from '../timeseries/types.js';
import { startApp } from '../../test/support/http.js';
import { writePinnedTiny } from '../../test/support/release.pinned.js';
import type { AppDeps } from './app.deps.js';

const SCHEMA = JSON.parse(
  await readFile(new URL('../../test/fixtures/release/metadata-1.0.0.schema.json', import.meta.url), 'utf8'),
) as object;
const ORIGIN = 'https://skope.example.org';

let base = '';
let app: FastifyInstance;
let deps: AppDeps;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'skope-contract-'));
  const t = await writePinnedTiny(base);
  ({ app, deps } = await startApp(t.env));
});
afterAll(async () => {
  await app?.close();
  await rm(base, { recursive: true, force: true });
});

/** The whole tiny raster (lon −110…−109.6, lat 36…36.3). */
const AREA = {
  type: 'Polygon',
  coordinates: [
    [
      [-110, 36],
      [-109.6, 36],
      [-109.6, 36.3],
      [-110, 36.3],
      [-110, 36],
    ],
  ],
};

/** The body the newest client sends (the v2 body with `YYYY-01-01` dates and max_processing_time 20000). */
const extractBody = (o: Record<string, unknown> = {}) => ({
  dataset_id: 'ds',
  variable_id: 'v',
  selected_area: AREA,
  time_range: { gte: '0101-01-01', lte: '0103-01-01' },
  zonal_statistic: 'mean',
  transform: { type: 'NoTransform' },
  requested_series_options: [{ name: 'Original', smoother: { type: 'NoSmoother' } }],
  max_processing_time: 20000,
  ...o,
});

const headers = { origin: ORIGIN, 'content-type': 'application/json' };

/** viridis entry i as [r, g, b]. */
function viridis(i: number): number[] {
  const lut = createColormapSet().get('viridis')?.lut as Uint8Array;
  return [lut[i * 4] as number, lut[i * 4 + 1] as number, lut[i * 4 + 2] as number];
}

describe('the newest client against pinned releases', () => {
  it('GET /metadata after a CORS preflight: an object of major version 1, valid against the 1.0.0 schema', async () => {
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/metadata',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    const res = await app.inject({ method: 'GET', url: '/metadata', headers });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ schema_version: string; datasets: Record<string, unknown>[] }>();
    expect(Number(doc.schema_version.split('.')[0])).toBe(1);
    const validate = new Ajv2020({ strict: false }).compile(SCHEMA);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.datasets[0]).toMatchObject({
      id: 'ds',
      bbox: [-110, 36, -109.6, 36.3],
      time: { kind: 'regular', precision: 'year', count: 5, origin: '0100', end: '0104', step: 'P1Y', values: null },
      map_view: { center: { lon: -109.8, lat: 36.15 }, zoom: 8 },
      default_variable: 'v',
      release_id: 'ds-r-2026.10.07',
      resolution_label: '360 arc-second (~10 km)',
    });
  });

  it('tiles of a zero-padded year, no query string: the display palette over the display range; queries ignored', async () => {
    // z 6, x 12, y 25 holds the whole raster. Year 0103 = band 2 of ds--0102--0103: every cell 20.
    const url = '/tiles/ds/v/0103/6/12/25';
    const res = await app.inject({ method: 'GET', url, headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = PNG.sync.read(res.rawPayload);
    const colours = new Set<string>();
    let opaque = 0;
    for (let k = 0; k < png.width * png.height; k++) {
      if (png.data[k * 4 + 3] === 0) continue;
      opaque++;
      colours.add([png.data[k * 4], png.data[k * 4 + 1], png.data[k * 4 + 2]].join(','));
    }
    // viridis over [0, 50]: trunc(20 / 50 × 255) = 102; outside the raster transparent. The raster is 0.4° × 0.3° of
    // a 5.625° tile: about 18 × 14 of 256 × 256 pixels.
    expect([...colours]).toEqual([viridis(102).join(',')]);
    expect(opaque).toBeGreaterThan(150);
    expect(opaque).toBeLessThan(400);
    const other = await app.inject({ method: 'GET', url: '/tiles/ds/v/0102/6/12/25', headers });
    const first = PNG.sync.read(other.rawPayload);
    const k = first.data.findIndex((_, i) => i % 4 === 3 && first.data[i] === 255) - 3;
    // 0102 = band 1: trunc(10 / 50 × 255) = 51.
    expect([first.data[k], first.data[k + 1], first.data[k + 2]]).toEqual(viridis(51));
    const styled = await app.inject({ method: 'GET', url: `${url}?colormap=reds&rescale=0,1`, headers });
    expect(styled.rawPayload.equals(res.rawPayload)).toBe(true);
    // TileJSON: the tile URLs leave out what has no effect (one cached URL per tile), and keep what has.
    const tj = await app.inject({
      method: 'GET',
      url: '/tilejson/ds/v/0103.json?colormap=reds&rescale=0,1&tilesize=512&resampling=bilinear',
      headers,
    });
    expect(tj.statusCode).toBe(200);
    const template = tj.json<{ tiles: string[] }>().tiles[0] ?? '';
    expect(new URL(template.replace('{z}/{x}/{y}', '0/0/0')).search).toBe('?tilesize=512&resampling=bilinear');
    expect(template).toMatch(/\/tiles\/ds\/v\/0103\/\{z\}\/\{x\}\/\{y\}\.png\?/);
  });

  it('the time protocol: malformed 422, unknown 404 (tiles); a range that selects nothing 422 with the sentence', async () => {
    for (const key of ['103', '0103-01', 'abcd', '0000']) {
      const r = await app.inject({ method: 'GET', url: `/tiles/ds/v/${key}/6/12/25` });
      expect([key, r.statusCode, r.json<{ code: string }>().code]).toEqual([key, 422, 'timestep_malformed']);
    }
    for (const key of ['0099', '0105', '9999']) {
      const r = await app.inject({ method: 'GET', url: `/tiles/ds/v/${key}/6/12/25` });
      expect([key, r.statusCode, r.json<{ code: string }>().code]).toEqual([key, 404, 'timestep_not_found']);
    }
    const empty = await app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      payload: extractBody({ time_range: { gte: '0200-01-01', lte: '0300-01-01' } }),
    });
    expect(empty.statusCode).toBe(422);
    expect(empty.json()).toEqual({
      detail: 'The time range [0200, 0300] selects no timesteps.',
      code: 'time_range_empty',
    });
    const bad = await app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      payload: extractBody({ time_range: { gte: '0101-06-01', lte: '0103-01-01' } }),
    });
    expect(bad.statusCode).toBe(422);
  });

  it('extract 202 → status every second → SUCCESS with timesteps → analyze with an explicit time_range', async () => {
    const res = await app.inject({ method: 'POST', url: '/timeseries/extract', headers, payload: extractBody() });
    expect(res.statusCode, res.body).toBe(202);
    const { job_id, status } = res.json<{ job_id: string; status: string }>();
    expect(status).toBe('accepted');
    let body: Record<string, unknown> = {};
    for (let polls = 0; polls < 60; polls++) {
      body = (await app.inject({ method: 'GET', url: `/timeseries/status/${job_id}`, headers })).json();
      if (body['status'] === 'SUCCESS' || body['status'] === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(body['status']).toBe('SUCCESS');
    const result = body['result'] as { series: { timesteps: string[]; values: number[] }[]; n_cells: number };
    // Means over the 12 cells: 0101 = band 2 of ds--0100--0101 → 20; 0102 = band 1 of ds--0102--0103 → 10; 0103 → 20.
    expect(result.n_cells).toBe(12);
    expect(result.series[0]?.timesteps).toEqual(['0101', '0102', '0103']);
    expect(result.series[0]?.values).toEqual([20, 10, 20]);

    const analyzed = await app.inject({
      method: 'POST',
      url: '/timeseries/analyze',
      headers,
      payload: {
        extraction_id: job_id,
        zonal_statistic: 'mean',
        transform: { type: 'ZScoreFixedInterval', time_range: { gte: '0102-01-01', lte: '0103-01-01' } },
        requested_series_options: [{ name: 'Original', smoother: { type: 'NoSmoother' } }],
        time_range: { gte: '0102-01-01', lte: '0103-01-01' },
      },
    });
    expect(analyzed.statusCode, analyzed.body).toBe(200);
    const a = analyzed.json<{ series: { timesteps: string[]; values: number[] }[] }>();
    expect(a.series[0]?.timesteps).toEqual(['0102', '0103']);
    // z-scores over the reference 0102–0103 (10, 20: mean 15, population std 5).
    expect(a.series[0]?.values).toEqual([-1, 1]);
  });

  it('analyze of a running job → 409; extract at capacity → 503 with Retry-After exposed through CORS', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const held = new InlineJobQueue<ExtractRequest>({
      store: deps.store,
      capacity: 1,
      handler: async () => {
        await gate;
        return { result: null };
      },
    });
    const original = deps.queue;
    deps.queue = held;
    try {
      const id = randomUUID();
      await held.enqueue({ id, deadlineMs: 60_000 }, extractBody() as unknown as ExtractRequest);
      const running = await app.inject({
        method: 'POST',
        url: '/timeseries/analyze',
        headers,
        payload: {
          extraction_id: id,
          zonal_statistic: 'mean',
          transform: { type: 'NoTransform' },
          requested_series_options: [{ name: 'Original', smoother: { type: 'NoSmoother' } }],
          time_range: { gte: '0101-01-01', lte: '0103-01-01' },
        },
      });
      expect(running.statusCode).toBe(409);
      expect(running.json<{ code: string }>().code).toBe('job_not_complete');
      const full = await app.inject({ method: 'POST', url: '/timeseries/extract', headers, payload: extractBody() });
      expect(full.statusCode).toBe(503);
      expect(full.headers['retry-after']).toBe('5');
      expect(String(full.headers['access-control-expose-headers'])).toMatch(/(^|,\s*)Retry-After(,|$)/);
    } finally {
      open();
      await held.close();
      deps.queue = original;
    }
  });
});

describe('the v2 contract under /v2, on the release registry', () => {
  it('/v2/metadata is the legacy array; the v2 legend (min … max × 0.5) equals the display range', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/metadata' });
    const [d] = res.json<Record<string, unknown>[]>();
    expect(d).toMatchObject({
      id: 'ds',
      ordering: 1,
      crs: 'EPSG:4326',
      transform: [0.1, 0, -110, 0, -0.1, 36.3],
      timespan: {
        resolution: 'year',
        resolutionLabel: 'yearly',
        period: { timeZero: 1, gte: '0100', lte: '0104', suffix: 'CE' },
      },
      region: {
        zoom: 8,
        center: [36.15, -109.8],
        extents: [
          [36.3, -110],
          [36, -109.6],
        ],
      },
    });
    const [v] = d?.['variables'] as Record<string, unknown>[];
    expect(v).toMatchObject({ id: 'v', units: 'mm', colormap: 'viridis', min: 0, max: 100 });
    expect(v?.['colormap_stops']).toHaveLength(256);
  });

  it('/v2/timeseries answers synchronously with the same values; the root POST /timeseries too', async () => {
    for (const url of ['/v2/timeseries', '/timeseries']) {
      const res = await app.inject({ method: 'POST', url, payload: extractBody({ max_processing_time: 10_000 }) });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ series: { timesteps: string[]; values: number[] }[] }>();
      expect(body.series[0]?.timesteps).toEqual(['0101', '0102', '0103']);
      expect(body.series[0]?.values).toEqual([20, 10, 20]);
    }
  });
});
