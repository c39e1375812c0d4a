/**
 * Bad bodies for `POST /timeseries/extract`, generated (fast-check, the repository's fixed seed): a valid body with
 * one to three breakers, each enough to make it invalid on its own — a required field missing or of the wrong type,
 * a hostile geometry (non-finite-ish, deeply nested, unclosed, self-intersecting, too many coordinates, wrong type),
 * a bad time range or series options — plus unknown fields. Every answer must be a 4xx JSON body with a `code`
 * and a `detail`; none may be ≥ 500, and the server answers normally afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appForFile } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';

const t = appForFile();

type Body = Record<string, unknown>;
type Breaker = (b: Body) => void;

const REQUIRED = [
  'dataset_id',
  'variable_id',
  'selected_area',
  'zonal_statistic',
  'transform',
  'requested_series_options',
  'time_range',
];
const notString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const extremes = fc.constantFrom(1e308, -1e308, 5e-324, 1e20, -1e20, 181, -91, 2 ** 53);
const ring = (pts: number[][]): number[][] => [...pts, pts[0]!];
const nested = (depth: number): unknown => (depth === 0 ? [0, 0] : [nested(depth - 1)]);

const geometry: fc.Arbitrary<unknown> = fc.oneof(
  // Extreme coordinates in a closed ring.
  fc.tuple(extremes, extremes, fc.double({ min: -120, max: -119 })).map(([a, b, c]) => ({
    type: 'Polygon',
    coordinates: [
      ring([
        [a, 42],
        [c, b],
        [c, 42],
      ]),
    ],
  })),
  // Deeply nested coordinate arrays.
  fc.integer({ min: 3, max: 200 }).map((d) => ({ type: 'Polygon', coordinates: nested(d) })),
  // Unclosed or too short rings.
  fc.constant({
    type: 'Polygon',
    coordinates: [
      [
        [-122, 43],
        [-121, 43],
        [-121, 44],
      ],
    ],
  }),
  fc.constant({ type: 'Polygon', coordinates: [] }),
  // Self-intersecting.
  fc.constant({
    type: 'Polygon',
    coordinates: [
      ring([
        [-122, 42],
        [-120, 44],
        [-120, 42],
        [-122, 44],
      ]),
    ],
  }),
  // Too many coordinates.
  fc.constant({
    type: 'Polygon',
    coordinates: [ring(Array.from({ length: 10_050 }, (_, i) => [-122 + Math.cos(i) * 0.5, 43 + Math.sin(i) * 0.5]))],
  }),
  // Wrong or unsupported types, wrong shapes.
  fc.constantFrom('LineString', 'MultiPoint', 'GeometryCollection', 'Circle', '', 'polygon').map((type) => ({
    type,
    coordinates: [
      [-122, 43],
      [-121, 44],
    ],
  })),
  fc.constant({ type: 'Point', coordinates: [-122] }),
  fc.constant({ type: 'Point', coordinates: ['-122', '43'] }),
  fc.constant({ type: 'FeatureCollection', features: [] }),
  fc.constant({ type: 'Feature', geometry: null, properties: null }),
  fc.integer({ min: 2, max: 50 }).map((d) => {
    let g: unknown = { type: 'Point', coordinates: [-122, 43] };
    for (let i = 0; i < d; i++) g = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: g }] };
    return g;
  }),
  // Points far outside the grid, and a point collection over the shape limit.
  fc.constant({ type: 'Point', coordinates: [10, -10] }),
  fc.constant({
    type: 'FeatureCollection',
    features: Array.from({ length: 101 }, (_, i) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [-122.5 + (i % 5) * 0.01, 44.5] },
      properties: null,
    })),
  }),
);

const breaker: fc.Arbitrary<Breaker> = fc.oneof(
  fc.constantFrom(...REQUIRED).map(
    (k): Breaker =>
      (b) =>
        delete b[k],
  ),
  fc
    .tuple(fc.constantFrom('dataset_id', 'variable_id', 'zonal_statistic', 'selected_area', 'transform'), notString)
    .map(
      ([k, v]): Breaker =>
        (b) =>
          (b[k] = v),
    ),
  fc.constantFrom('nope', 'a/b', '../etc', 'x'.repeat(300)).map(
    (v): Breaker =>
      (b) =>
        (b['dataset_id'] = v),
  ),
  geometry.map(
    (g): Breaker =>
      (b) =>
        (b['selected_area'] = g),
  ),
  fc
    .constantFrom(
      { gte: '0005', lte: '0001' },
      { gte: 'abcd', lte: '0005' },
      { gte: 1, lte: 2 },
      { gte: '9999', lte: '9999' },
      [],
    )
    .map(
      (tr): Breaker =>
        (b) =>
          (b['time_range'] = tr),
    ),
  fc
    .constantFrom(
      [],
      [{ name: 'a', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 2 } }],
      [
        { name: 'a', smoother: { type: 'NoSmoother' } },
        { name: 'a', smoother: { type: 'NoSmoother' } },
      ],
      [{ name: '', smoother: null }],
      'raw',
    )
    .map(
      (o): Breaker =>
        (b) =>
          (b['requested_series_options'] = o),
    ),
  fc
    .constantFrom(
      { type: 'ZScoreMovingInterval', width: 0 },
      { type: 'Nope' },
      { type: 'ZScoreMovingInterval', width: 1e9 },
    )
    .map(
      (tr): Breaker =>
        (b) =>
          (b['transform'] = tr),
    ),
  fc.constantFrom(-1, 1e12, 'soon').map(
    (v): Breaker =>
      (b) =>
        (b['max_processing_time'] = v),
  ),
  fc.constantFrom('everything', 1, null).map(
    (v): Breaker =>
      (b) =>
        (b['coverage'] = v),
  ),
);

const body = fc
  .tuple(
    fc.array(breaker, { minLength: 1, maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
  )
  .map(([breakers, extra]) => {
    const b: Body = { ...extra, ...extractPayload() };
    for (const brk of breakers) brk(b);
    return b;
  });

describe('POST /timeseries/extract with generated bad bodies', () => {
  it('300 bodies: every answer a 4xx JSON body with code and detail, none ≥ 500; healthy after', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await t.app.inject({ method: 'POST', url: '/timeseries/extract', payload });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${res.statusCode} ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const json = res.json<{ code?: unknown; detail?: unknown }>();
        expect(typeof json.code).toBe('string');
        expect(json.detail).toBeDefined();
      }),
      { numRuns: 300 },
    );
    console.log(`extract fuzz: ${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')}`);
    expect([...statuses.values()].reduce((a, n) => a + n, 0)).toBeGreaterThanOrEqual(300);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });
});
