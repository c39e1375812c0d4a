/**
 * Hostile requests against a running server (`skope serve` in a child process, real HTTP on loopback), generated
 * with fast-check (the repository's fixed seed): every route and method of the app — `/metadata`, tiles, TileJSON,
 * `/point`, `/timeseries/extract|status|analyze|export`, the v2 `POST /timeseries`, `/healthz`, `/readyz`, `/metrics`,
 * `/docs`, `/openapi.json`, unknown routes and methods — with wrong types, missing and extra fields, huge and deeply
 * nested JSON, extreme and non-finite numbers, invalid and enormous geometries, bad ids, timesteps, tile coordinates,
 * query strings and headers, and malformed HTTP on a raw socket.
 *
 * Every case is built to be invalid (each breaker alone makes it so), except those marked `mayPass` (headers or query
 * junk on a valid request, HEAD and OPTIONS, the docs): those may also answer 2xx/3xx. Every answer must be below
 * 500, and every 4xx a JSON body with a string `code` and a non-empty `detail`; no answer may name the server's data
 * directory. Afterwards the server still answers `/healthz`, a tile and an extraction.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataForFile } from '../../test/support/http.js';
import { keepAliveAgent, send, sendRaw, type HttpCase, type RawResponse } from '../../test/support/http.raw.js';
import { startServerProcess, type ServerProcess } from '../../test/support/server.process.js';
import { SINGLE_CELL_POLYGON, extractPayload } from '../../test/support/testdata.js';

/** A generated request: `raw` bytes go on a socket as they are; `mayPass` cases may succeed. */
interface Case extends HttpCase {
  label: string;
  raw?: string;
  /** Sent on a raw socket with a Content-Length (the server may answer before reading it all, and close). */
  viaRaw?: boolean;
  mayPass?: boolean;
}

const files = dataForFile();
let server: ServerProcess;
const agent = keepAliveAgent(4);
/** A finished extraction (SUCCESS) for the analyze/export/status cases. */
let doneId = '';

beforeAll(async () => {
  server = await startServerProcess({ ...files.data.env, WORKER_POOL_SIZE: '1', MAX_CONCURRENT_JOBS: '2' });
  const res = await post('/timeseries/extract', extractPayload());
  expect(res.status, res.body).toBe(202);
  doneId = (JSON.parse(res.body) as { job_id: string }).job_id;
  for (let i = 0; i < 300; i++) {
    const st = JSON.parse((await send(server.url, { method: 'GET', path: `/timeseries/status/${doneId}` })).body) as {
      status: string;
    };
    if (st.status === 'SUCCESS') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('setup extraction did not finish');
});

afterAll(async () => {
  agent.destroy();
  await server?.stop();
});

function post(path: string, body: unknown): Promise<RawResponse> {
  return send(server.url, {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

const ring = (pts: number[][]): number[][] => [...pts, pts[0]!];
const nestedArray = (depth: number): string => '['.repeat(depth) + '0' + ']'.repeat(depth);
const nestedObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const enc = encodeURIComponent;

/** Values of every JSON type but the one a field wants, and JSON numbers JavaScript cannot hold. */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom(1e308, -1e308, 5e-324, -0, 2 ** 63),
);
/** Raw JSON number texts spliced into bodies: overflow to ±Infinity, underflow, huge exponents, many digits. */
const extremeNumberText = fc.constantFrom(
  '1e400',
  '-1e400',
  '1e-400',
  '123456789012345678901234567890',
  '0.' + '0'.repeat(400) + '1',
  '9'.repeat(500),
  '-0',
  '1E+308',
);

/** Hostile but well-formed geometries, each invalid or refused (bad shape, too big, too complex, outside). */
const badGeometry: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({ type: 'Polygon', coordinates: [] }),
  fc.constant({ type: 'Polygon', coordinates: [[]] }),
  fc.constant({ type: 'Polygon', coordinates: [[[0, 0]]] }),
  fc.constant({ type: 'Polygon' }),
  fc.constant({ type: 'Polygon', coordinates: 'x' }),
  fc.constant({ type: 'Point', coordinates: [] }),
  fc.constant({ type: 'Point', coordinates: [1e308, 1e308] }),
  fc.constant({ type: 'Point', coordinates: [-122, 43, 1, 2, 3] }),
  fc.constant({ type: 'Point', coordinates: [null, 43] }),
  fc.constant({ type: 'Feature', geometry: { type: 'Feature', geometry: null } }),
  fc.constant({ type: 'FeatureCollection', features: 'all' }),
  fc.constant({ type: 'FeatureCollection', features: [null, 1, 'x'] }),
  fc.constant({ type: 'GeometryCollection', geometries: [SINGLE_CELL_POLYGON] }),
  fc.constant({ type: 'MultiPolygon', coordinates: [SINGLE_CELL_POLYGON.coordinates] }),
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
  // Far outside the 5×5 grid, and a polygon around the whole world.
  fc.constant({
    type: 'Polygon',
    coordinates: [
      ring([
        [10, 10],
        [11, 10],
        [11, 11],
        [10, 11],
      ]),
    ],
  }),
  fc.constant({ type: 'Point', coordinates: [170, -80] }),
  // Points at opposite corners of the world: one cell each, never a window — outside this grid.
  fc.constant({
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: null, geometry: { type: 'Point', coordinates: [-179.9, -89.9] } },
      { type: 'Feature', properties: null, geometry: { type: 'Point', coordinates: [179.9, 89.9] } },
    ],
  }),
  // Too many shapes, too many coordinates.
  fc.constant({
    type: 'FeatureCollection',
    features: Array.from({ length: 120 }, () => ({ type: 'Feature', properties: null, geometry: SINGLE_CELL_POLYGON })),
  }),
  fc.integer({ min: 10_001, max: 12_000 }).map((n) => ({
    type: 'Polygon',
    coordinates: [ring(Array.from({ length: n }, (_, i) => [-121 + Math.cos(i) * 0.5, 43 + Math.sin(i) * 0.5]))],
  })),
  // A self-intersecting star of 801 vertices.
  fc.constant({
    type: 'Polygon',
    coordinates: [
      ring(
        Array.from({ length: 801 }, (_, i) => {
          const a = (i * 2 * Math.PI * 400) / 801;
          return [-120.5 + 2 * Math.cos(a), 42.5 + 2 * Math.sin(a)];
        }),
      ),
    ],
  }),
  fc.tuple(wrongValue, wrongValue).map(([a, b]) => ({ type: 'Point', coordinates: [a, b] })),
  wrongValue,
);

// ---------------------------------------------------------------------------------------------------------------
// Bodies of the JSON routes: a valid body with one to three breakers, plus junk fields
// ---------------------------------------------------------------------------------------------------------------

type Body = Record<string, unknown>;
type Breaker = (b: Body) => void;

type JsonRoute = 'extract' | 'v2' | 'analyze';

function bodyBreakers(
  route: JsonRoute,
  required: readonly string[],
  idFields: readonly string[],
): fc.Arbitrary<Breaker> {
  const transforms = [
    { type: 'ZScoreMovingInterval', width: 0 },
    { type: 'ZScoreMovingInterval', width: 2.5 },
    { type: 'ZScoreFixedInterval', time_range: { gte: '0004', lte: '0002' } },
    { type: 'Nope' },
    {},
    // A reference range outside the series is found when the series is analysed: an extraction job accepts it
    // and ends FAILED `time_range_empty` (as upstream); the synchronous routes answer 422.
    ...(route === 'extract' ? [] : [{ type: 'ZScoreFixedInterval', time_range: { gte: '9000', lte: '9001' } }]),
  ];
  return fc.oneof(
    fc.constantFrom(...required).map(
      (k): Breaker =>
        (b) =>
          void delete b[k],
    ),
    fc.tuple(fc.constantFrom(...required), wrongValue).map(
      ([k, v]): Breaker =>
        (b) =>
          void (b[k] = v),
    ),
    fc
      .tuple(fc.constantFrom(...idFields), fc.constantFrom('nope', '../etc/passwd', '', 'x'.repeat(300), 'a b', 'é'))
      .map(
        ([k, v]): Breaker =>
          (b) =>
            void (b[k] = v),
      ),
    ...(route === 'analyze'
      ? []
      : [
          badGeometry.map(
            (g): Breaker =>
              (b) =>
                void (b['selected_area'] = g),
          ),
        ]),
    fc
      .constantFrom(
        { gte: '0005', lte: '0001' },
        { gte: 'abcd', lte: '0005' },
        { gte: '0001-13-45', lte: '0002' },
        { gte: 1, lte: 2 },
        { gte: '9999', lte: '9999' },
        { gte: '0001', lte: 5 },
        'all',
      )
      .map(
        (tr): Breaker =>
          (b) =>
            void (b['time_range'] = tr),
      ),
    fc
      .constantFrom(
        [],
        Array.from({ length: 200 }, (_, i) => ({ name: `s${i}`, smoother: { type: 'NoSmoother' } })),
        [{ name: 'a', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 2 } }],
        [{ name: 'a', smoother: { type: 'MovingAverageSmoother', method: 'sideways', width: 3 } }],
        [{ name: 'a', smoother: { type: 'MovingAverageSmoother', method: 'trailing', width: 1e9 } }],
        [
          { name: 'a', smoother: { type: 'NoSmoother' } },
          { name: 'a', smoother: { type: 'NoSmoother' } },
        ],
        [{ name: '<script>', smoother: { type: 'NoSmoother' } }],
        [{ name: 'x', smoother: null }],
      )
      .map(
        (o): Breaker =>
          (b) =>
            void (b['requested_series_options'] = o),
      ),
    fc.constantFrom(...transforms).map(
      (t): Breaker =>
        (b) =>
          void (b['transform'] = t),
    ),
    fc.constantFrom('max', 'MEAN', 7).map(
      (z): Breaker =>
        (b) =>
          void (b['zonal_statistic'] = z),
    ),
  );
}

/** JSON text of a body built by `base`, broken by 1–3 breakers, with unknown extra fields. */
function brokenJson(
  route: JsonRoute,
  base: () => Body,
  required: readonly string[],
  idFields: readonly string[],
): fc.Arbitrary<{ json: string; label: string }> {
  return fc
    .tuple(
      fc.array(bodyBreakers(route, required, idFields), { minLength: 1, maxLength: 3 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
    )
    .map(([breakers, extra]) => {
      const b: Body = { ...extra, ...base() };
      for (const brk of breakers) brk(b);
      return { json: JSON.stringify(b), label: 'broken body' };
    });
}

/** Whole bodies that are not objects, not JSON, huge or deeply nested; and numbers JavaScript cannot hold. */
function badJsonText(valid: () => Body, geometry: boolean): fc.Arbitrary<{ json: string; label: string }> {
  const common = [
    fc
      .constantFrom('', 'null', '[]', '"x"', '42', 'true', '{', '{"a":}', '{"a":1,}', "{'a':1}", 'NaN', '\u0000')
      .map((json) => ({ json, label: `not an object: ${json.slice(0, 10)}` })),
    fc.integer({ min: 1_000, max: 200_000 }).map((d) => ({ json: nestedArray(d), label: `array nested ${d}` })),
    fc.integer({ min: 1_000, max: 100_000 }).map((d) => ({ json: nestedObject(d), label: `object nested ${d}` })),
  ];
  const geometric = [
    fc.integer({ min: 1_000, max: 100_000 }).map((d) => ({
      json: JSON.stringify({ ...valid(), selected_area: { type: 'Polygon', coordinates: 'X' } }).replace(
        '"X"',
        nestedArray(d),
      ),
      label: `coordinates nested ${d}`,
    })),
    fc.integer({ min: 1_000, max: 100_000 }).map((d) => ({
      json: JSON.stringify({ ...valid(), selected_area: 'X' }).replace(
        '"X"',
        '{"type":"Feature","geometry":'.repeat(d) + 'null' + '}'.repeat(d),
      ),
      label: `features nested ${d}`,
    })),
    fc.tuple(extremeNumberText, fc.constantFrom('coordinates', 'width')).map(([n, where]) => {
      const text = JSON.stringify(
        where === 'coordinates'
          ? { ...valid(), selected_area: { type: 'Point', coordinates: ['N', 'N'] } }
          : { ...valid(), transform: { type: 'ZScoreMovingInterval', width: 'N' }, zonal_statistic: 'max' },
      );
      return { json: text.replaceAll('"N"', n), label: `number ${n.slice(0, 12)} in ${where}` };
    }),
  ];
  return fc.oneof(
    ...common,
    ...(geometry ? geometric : []),
    // Over the 8 MiB body limit, and just under it (a long unknown string field).
    fc.constantFrom(9, 7).map((mib) => ({
      json: JSON.stringify({ ...valid(), pad: 'x'.repeat(mib * 1024 * 1024), requested_series_options: 'x' }),
      label: `${mib} MiB body`,
    })),
    extremeNumberText.map((n) => ({
      json: JSON.stringify({ ...valid(), transform: { type: 'ZScoreMovingInterval', width: 'N' } }).replace('"N"', n),
      label: `number ${n.slice(0, 12)} as a width`,
    })),
    // Prototype pollution attempts.
    fc.constantFrom('__proto__', 'constructor').map((k) => ({
      json: JSON.stringify(valid()).replace('{', `{"${k}":{"polluted":true,"prototype":{"x":1}},`),
      label: `${k} key`,
    })),
  );
}

/** A POST of a JSON-ish body, sometimes with a wrong or missing content type. */
function jsonPost(path: string, body: fc.Arbitrary<{ json: string; label: string }>): fc.Arbitrary<Case> {
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/jsonx',
      '',
      ';;;',
      'application/json; ' + 'a=b;'.repeat(500),
    ),
  );
  return fc.tuple(body, contentType).map(([b, ct]): Case => ({
    method: 'POST',
    path,
    headers: ct === '' ? {} : { 'content-type': ct },
    body: b.json,
    label: `POST ${path} ${b.label} (${ct.slice(0, 30)})`,
    viaRaw: b.json.length > 8 * 1024 * 1024,
  }));
}

const EXTRACT_REQUIRED = [
  'dataset_id',
  'variable_id',
  'selected_area',
  'zonal_statistic',
  'transform',
  'requested_series_options',
  'time_range',
] as const;

const extractCases = fc.oneof(
  {
    weight: 3,
    arbitrary: jsonPost(
      '/timeseries/extract',
      brokenJson('extract', extractPayload, EXTRACT_REQUIRED, ['dataset_id', 'variable_id']),
    ),
  },
  jsonPost('/timeseries/extract', badJsonText(extractPayload, true)),
);

const v2Valid = (): Body => ({ ...extractPayload(), time_range: { gte: '0001-01-01', lte: '0005-12-31' } });
const v2Cases = fc.oneof(
  // The same route under its /v2 prefix.
  jsonPost(
    '/v2/timeseries',
    brokenJson(
      'v2',
      v2Valid,
      ['dataset_id', 'variable_id', 'selected_area', 'requested_series_options'],
      ['dataset_id', 'variable_id'],
    ),
  ),
  {
    weight: 3,
    arbitrary: jsonPost(
      '/timeseries',
      brokenJson(
        'v2',
        v2Valid,
        ['dataset_id', 'variable_id', 'selected_area', 'requested_series_options'],
        ['dataset_id', 'variable_id'],
      ),
    ),
  },
  jsonPost('/timeseries', badJsonText(v2Valid, true)),
);

const analyzeValid = (): Body => ({
  extraction_id: doneId,
  transform: { type: 'NoTransform' },
  requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
  time_range: { gte: '0001', lte: '0005' },
});
const analyzeCases = fc.oneof(
  {
    weight: 3,
    arbitrary: jsonPost(
      '/timeseries/analyze',
      fc.oneof(
        brokenJson(
          'analyze',
          analyzeValid,
          ['extraction_id', 'transform', 'requested_series_options'],
          ['extraction_id'],
        ),
        // A well-formed id that is no extraction (or not an id at all).
        fc.constantFrom('00000000-0000-0000-0000-000000000000', 'x', '../../etc', 'f'.repeat(10_000)).map((id) => ({
          json: JSON.stringify({ ...analyzeValid(), extraction_id: id }),
          label: `extraction_id ${id.slice(0, 12)}`,
        })),
      ),
    ),
  },
  jsonPost('/timeseries/analyze', badJsonText(analyzeValid, false)),
);

// ---------------------------------------------------------------------------------------------------------------
// Path routes: tiles, TileJSON, point, status, export
// ---------------------------------------------------------------------------------------------------------------

const badSegment = fc.oneof(
  fc.constantFrom(
    'nope',
    '..',
    '%2e%2e',
    '..%2f..%2fetc%2fpasswd',
    '%00',
    '%ff',
    '%',
    'a%2Fb',
    '%E2%82%AC',
    '🦖',
    'x'.repeat(2_000),
    ' ',
    '-1',
    '0x10',
    'NaN',
    'Infinity',
    '1e400',
    'null',
    'undefined',
  ),
  fc.string({ minLength: 1, maxLength: 30 }).map(enc),
);

const TILE = { ds: 'test-annual', v: 'ppt', t: '0003', z: '6', x: '10', y: '23' };

/** Tile breakers: each makes a tile request invalid on its own. */
const tileBreaker: fc.Arbitrary<(p: typeof TILE, q: URLSearchParams) => string> = fc.oneof(
  fc.tuple(fc.constantFrom('ds', 'v', 't'), badSegment).map(
    ([k, v]) =>
      (p: typeof TILE) => ((p[k] = v), `${k}=${v}`),
  ),
  fc
    .constantFrom('0000', '0006', '9999', '0003-13', '03', '0003.5', '99999999999', '-0003')
    .map((t) => (p: typeof TILE) => ((p.t = t), `t=${t}`)),
  fc
    .tuple(
      fc.constantFrom('z', 'x', 'y'),
      fc.constantFrom('-1', '1.5', '1e3', '999999999', '9999999999', '65', '4294967296', 'a', '', '00000000001', '%20'),
    )
    .map(
      ([k, v]) =>
        (p: typeof TILE) => ((p[k] = v), `${k}=${v}`),
    ),
  // In the tile matrix but far from the data, or outside the matrix of its zoom.
  fc.constantFrom(['0', '1', '0'], ['1', '2', '0'], ['3', '8', '8'], ['24', '16777216', '0'], ['2', '0', '4']).map(
    ([z, x, y]) =>
      (p: typeof TILE) => ((p.z = z!), (p.x = x!), (p.y = y!), `zxy=${z}/${x}/${y}`),
  ),
  fc
    .constantFrom('.jpg', '.png.png', '@3x', '@2x.gif', '.PNG', '.json')
    .map((s) => (p: typeof TILE) => ((p.y = `${p.y}${s}`), `suffix ${s}`)),
  fc
    .tuple(
      fc.constantFrom('colormap', 'rescale', 'format', 'tilesize', 'resampling'),
      fc.constantFrom(
        'nope',
        '',
        '1,2,3',
        'NaN,1',
        'Infinity,-Infinity',
        '1e400,1',
        '5,5',
        '10,0',
        ',',
        'x'.repeat(100),
        '1024',
        '64',
        'jpeg',
        'cubic',
        '🦖',
      ),
    )
    .filter(([k, v]) => !(k === 'colormap' && v === '') && !(k === 'rescale' && v === '10,0'))
    .map(
      ([k, v]) =>
        (_p: typeof TILE, q: URLSearchParams) => (q.append(k, v), `${k}=${v.slice(0, 12)}`),
    ),
  fc
    .constantFrom('colormap', 'rescale', 'format', 'tilesize')
    .map((k) => (_p: typeof TILE, q: URLSearchParams) => (q.append(k, 'a'), q.append(k, 'b'), `${k} twice`)),
  fc.constant((p: typeof TILE, q: URLSearchParams) => ((p.y = `${p.y}@2x`), q.append('tilesize', '512'), '@2x of 512')),
);

const tileCases: fc.Arbitrary<Case> = fc
  .tuple(
    fc.array(tileBreaker, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('tiles', 'tilejson'),
    fc.dictionary(fc.constantFrom('foo', 'a[b]', '__proto__', 'x'), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
  )
  .map(([breakers, kind, extra]) => {
    const p = { ...TILE };
    const q = new URLSearchParams(extra);
    const labels = breakers.map((b) => b(p, q));
    const qs = q.toString();
    const path =
      kind === 'tiles' ? `/tiles/${p.ds}/${p.v}/${p.t}/${p.z}/${p.x}/${p.y}` : `/tilejson/${p.ds}/${p.v}/${p.t}.json`;
    // TileJSON has no tile coordinates: only the dataset/variable/timestep and style breakers make it invalid.
    const invalidForTilejson = labels.some((l) => /^(ds|v|t)=|colormap|rescale|format|tilesize|resampling/.test(l));
    return {
      method: 'GET',
      path: `${path}${qs ? `?${qs}` : ''}`,
      label: `${kind} ${labels.join(', ')}`,
      mayPass: kind === 'tilejson' && !invalidForTilejson,
    };
  });

const pointCases: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        'NaN,1',
        'Infinity,0',
        '1e400,0',
        '181,0',
        '0,-91',
        '1,2,3',
        '',
        ',',
        '0x10,5',
        '١,٢',
        '-121.5,43.5,',
        ' , ',
        '-121.5;43.5',
        '170,-80',
        '-121.5%2C43.5%00',
        '9'.repeat(400) + ',1',
      ),
      fc.tuple(fc.double(), fc.double()).map(([a, b]) => `${a},${b}`),
    ),
    fc.constantFrom(['test-annual', 'ppt'], ['nope', 'ppt'], ['test-annual', 'nope'], ['%00', '..']),
  )
  .map(([coords, [ds, v]]) => {
    const [lon, lat] = coords.split(',').map(Number);
    // Finite in-range numbers inside the 5×5 grid are a valid point (the fixture spans lon −123…−118, lat 40…45).
    const valid =
      ds === 'test-annual' &&
      v === 'ppt' &&
      coords.split(',').length === 2 &&
      /^-?\d/.test(coords) &&
      lon! >= -123 &&
      lon! <= -118 &&
      lat! >= 40 &&
      lat! <= 45;
    return {
      method: 'GET',
      path: `/point/${ds}/${v}/${coords}`,
      label: `point ${coords.slice(0, 20)}`,
      mayPass: valid,
    };
  });

const badId = fc.oneof(
  badSegment,
  fc.uuid().map((u) => u),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ZZZZZZZZ-0000-0000-0000-000000000000'),
);
const jobCases: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(badId, fc.constantFrom('GET', 'DELETE')).map(([id, method]) => ({
    method,
    path: `/timeseries/status/${id}`,
    label: `${method} status ${id.slice(0, 12)}`,
  })),
  fc
    .tuple(badId, fc.constantFrom('', '?format=xml', '?format=csv', '?format=', '?format=json&format=csv'))
    .map(([id, q]) => ({
      method: 'GET',
      path: `/timeseries/export/${id}${q}`,
      label: `export ${id.slice(0, 12)}${q}`,
    })),
  fc.constantFrom('?format=xml', '?format=', '?format=json&format=csv', '?format=CSV').map((q) => ({
    method: 'GET',
    path: `/timeseries/export/${doneId}${q}`,
    label: `export of a finished job ${q}`,
  })),
);

// ---------------------------------------------------------------------------------------------------------------
// Health, docs, unknown routes and methods, headers
// ---------------------------------------------------------------------------------------------------------------

const VALID_GETS = [
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/metadata',
  '/v2/metadata',
  '/openapi.json',
  '/docs',
  '/docs/json',
  '/tiles/test-annual/ppt/0003/6/10/23.png',
  '/tilejson/test-annual/ppt/0003.json',
  '/point/test-annual/ppt/-121.5,43.5',
];

/** Junk headers (node:http lets these through); the server may answer a valid request normally. */
const junkHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({ accept: 'image/png' }),
  fc.constant({ accept: '*/*;q=abc, text/html;q=2, ' + 'x/y,'.repeat(500) }),
  fc.constant({ 'accept-encoding': 'gzip;q=NaN, br, zstd, ' + 'x,'.repeat(300) }),
  fc.constant({ 'accept-language': 'x'.repeat(8_000) }),
  fc.constant({ 'if-none-match': '"' + 'a'.repeat(8_000) + '"' }),
  fc.constant({ 'if-none-match': '*' }),
  fc.constant({ range: 'bytes=999999999-' }),
  fc.constant({ origin: 'null', 'access-control-request-method': 'DELETE' }),
  fc.constant({ host: '' }),
  fc.constant({ host: 'evil.example:99999' }),
  fc.constant({ 'x-forwarded-host': '"><script>', 'x-forwarded-proto': 'javascript' }),
  fc.constant({ 'content-type': 'application/json' }),
  fc.constant({ 'content-length': '0', 'content-type': 'text/plain' }),
  fc.constant({ cookie: 'a='.repeat(2_000) }),
  fc.constant({ 'x-request-id': '../../etc/passwd' }),
  fc.constant({ 'transfer-encoding': 'gzip' }),
  fc.constant({ 'content-encoding': 'gzip' }),
);

const headerCases: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom(...VALID_GETS), junkHeaders, fc.constantFrom('GET', 'HEAD'))
  .map(([path, headers, method]) => ({
    method,
    path,
    headers,
    label: `${method} ${path} headers ${Object.keys(headers).join(',')}`,
    mayPass: true,
    // A request transfer-coding other than chunked is malformed: node:http would not read the answer.
    viaRaw: headers['transfer-encoding'] !== undefined,
  }));

/** Headers past the server's limit (16 KiB in total): 431, with a JSON body. */
const hugeHeaderCases: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom(...VALID_GETS, '/timeseries/extract'), fc.integer({ min: 17, max: 64 }), fc.boolean())
  .map(([path, kib, many]) => ({
    method: 'GET',
    path,
    headers: many
      ? Object.fromEntries(Array.from({ length: kib * 8 }, (_, i) => [`x-h${i}`, 'v'.repeat(120)]))
      : { 'x-big': 'v'.repeat(kib * 1024) },
    label: `${kib} KiB of headers (${many ? 'many' : 'one'})`,
    viaRaw: true,
  }));

const unknownCases: fc.Arbitrary<Case> = fc.oneof(
  // The map viewer's files (served from memory when it is built): never anything else.
  badSegment.map((seg) => ({ method: 'GET', path: `/viewer/${seg}`, label: `GET /viewer/${seg.slice(0, 30)}` })),
  fc.constantFrom('/viewer/..%2f..%2fpackage.json', '/viewer/index.html.gz', '/viewer/').map((path) => ({
    method: 'GET',
    path,
    label: `GET ${path}`,
  })),
  fc
    .tuple(
      fc.constantFrom('PUT', 'PATCH', 'DELETE', 'POST', 'PROPFIND', 'SEARCH', 'TRACE', 'LOCK', 'MKCOL'),
      fc.constantFrom(
        '/metadata',
        '/healthz',
        '/readyz',
        '/tiles/test-annual/ppt/0003/6/10/23.png',
        '/timeseries/extract',
        '/timeseries',
        '/point/test-annual/ppt/-121.5,43.5',
        '/openapi.json',
        `/timeseries/export/00000000-0000-0000-0000-000000000000`,
      ),
    )
    .map(([method, path]) => ({
      method,
      path,
      headers: { 'content-type': 'application/json' },
      body: method === 'TRACE' ? undefined : '{}',
      label: `${method} ${path}`,
      mayPass: method === 'DELETE' && path.startsWith('/timeseries/status'),
    })),
  fc
    .tuple(fc.array(badSegment, { minLength: 1, maxLength: 4 }), fc.constantFrom('GET', 'POST', 'HEAD'))
    .map(([parts, method]) => ({
      method,
      path: `/${parts.join('/')}`,
      label: `${method} unknown /${parts.join('/').slice(0, 30)}`,
    })),
  fc
    .constantFrom(
      '/docs/static/../../package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/docs/static/..%2f..%2fpackage.json',
      '/docs/static/nope.js',
      '/docs/%00',
      '//metadata',
      '/metadata/',
      '/metadata?x=' + 'y'.repeat(10_000),
      '/metadata?' + 'a=1&'.repeat(2_000),
      '/metadata#x',
      '/METADATA',
      '/metadata%00',
      '/tiles/test-annual/ppt/0003/6/10/23.png/extra',
      '/timeseries/status/',
      '/timeseries/status',
      '/timeseries/export',
      '/point/test-annual/ppt',
    )
    .map((path) => ({
      method: 'GET',
      path,
      label: `GET ${path.slice(0, 40)}`,
      mayPass: /docs|\/metadata(\?|\/?$|#)/.test(path) && !/static/.test(path),
    })),
  fc.constantFrom(...VALID_GETS).map((path) => ({
    method: 'OPTIONS',
    path,
    headers: { origin: 'https://x.example', 'access-control-request-method': 'GET' },
    label: `OPTIONS ${path}`,
    mayPass: true,
  })),
);

/** Malformed HTTP on a raw socket. */
const rawCases: fc.Arbitrary<Case> = fc
  .constantFrom(
    'GET / HTTP/1.1\r\n\r\n',
    'GET /metadata HTTP/9.9\r\nHost: x\r\n\r\n',
    'GARBAGE\r\n\r\n',
    'GET\r\n\r\n',
    'G\u0000T /metadata HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /meta data HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\nX: a\u0001b\r\n\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    'POST /timeseries/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
    'POST /timeseries/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    'POST /timeseries/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{"',
    'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    'FOO /metadata HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET http://evil.example/metadata HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\n' + 'X-A: b\r\n'.repeat(3_000) + '\r\n',
    'GET /metadata HTTP/1.1\r\nHost: x\r\nX: ' + 'a'.repeat(20_000) + '\r\n\r\n',
    'GET /' + 'a'.repeat(20_000) + ' HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /metadata HTTP/1.1\nHost: x\n\n',
  )
  .map((raw) => ({
    method: 'RAW',
    path: raw.split('\r\n')[0]!.slice(0, 40),
    raw,
    label: `raw ${JSON.stringify(raw.slice(0, 40))}`,
    // Absolute-form and `*` targets, and LF-only line ends, are legal HTTP: the server may answer them normally.
    mayPass: /^GET (http:|\*)|\nHost: x\n\n$|Upgrade: websocket|X-A: b/.test(raw),
  }));

// ---------------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------------

const FAMILIES: [string, fc.Arbitrary<Case>, number][] = [
  ['extract', extractCases, 400],
  ['v2', v2Cases, 300],
  ['analyze', analyzeCases, 200],
  ['tiles', tileCases, 400],
  ['point', pointCases, 150],
  ['jobs', jobCases, 150],
  ['headers', headerCases, 200],
  ['huge headers', hugeHeaderCases, 60],
  ['unknown', unknownCases, 200],
  ['raw', rawCases, 60],
];

/** The raw bytes of `c` with a Content-Length. */
function rawRequest(c: Case): string {
  const body = c.body === undefined ? '' : String(c.body);
  const headers = Object.entries({ host: '127.0.0.1', ...c.headers, 'content-length': String(Buffer.byteLength(body)) })
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((one) => `${k}: ${one}`) : [`${k}: ${v}`]))
    .join('\r\n');
  return `${c.method} ${c.path} HTTP/1.1\r\n${headers}\r\nconnection: close\r\n\r\n${body}`;
}

/** Sends `c`; a keep-alive connection the server closed under the request is retried once on a new one. */
async function answer(c: Case): Promise<RawResponse> {
  if (c.raw !== undefined) return sendRaw(server.url, c.raw);
  if (c.viaRaw === true) return sendRaw(server.url, rawRequest(c), 10_000, { headFirst: true });
  if (c.headers?.['host'] !== undefined) return send(server.url, c);
  const res = await send(server.url, c, agent);
  return res.status === 0 && /ECONNRESET|socket hang up/.test(res.error ?? '') ? send(server.url, c) : res;
}

/** What is wrong with an answer, or null. */
function problem(c: Case, res: RawResponse, dataDir: string): string | null {
  if (res.status === 0) return `no answer (${res.error ?? 'closed'})`;
  if (res.status >= 500) return `answered ${res.status}`;
  if (res.body.includes(dataDir)) return 'the body names the data directory';
  if (res.status < 400) return c.mayPass === true ? null : `answered ${res.status} to an invalid request`;
  const ct = String(res.headers['content-type'] ?? '');
  if (!ct.startsWith('application/json')) return `4xx with content-type '${ct}'`;
  if (c.method === 'HEAD') return null;
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return '4xx body is not JSON';
  }
  const { code, detail } = (json ?? {}) as { code?: unknown; detail?: unknown };
  if (typeof code !== 'string' || code === '') return '4xx body without a code';
  if (!(typeof detail === 'string' ? detail !== '' : Array.isArray(detail) && detail.length > 0))
    return '4xx body without a detail';
  return null;
}

describe('hostile requests against a running server', () => {
  it('≥ 2000 generated bad requests on every route and method: none ≥ 500, every 4xx a JSON body with code and detail; healthy after', async () => {
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let count = 0;
    const started = Date.now();
    for (const [family, arb, runs] of FAMILIES) {
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          const res = await answer(c);
          count++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const p = problem(c, res, files.data.dir);
          if (p !== null && failures.length < 200)
            failures.push(
              `[${family}] ${c.label.slice(0, 100)}: ${p} — ${res.body.slice(0, 200)}` +
                (c.body !== undefined ? ` — sent ${String(c.body).slice(0, res.status < 400 ? 3000 : 300)}` : ''),
            );
          return true;
        }),
        { numRuns: runs },
      );
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `hostile fuzz: ${count} requests in ${seconds} s; statuses ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}; ${failures.length} problems`,
    );
    expect(failures, failures.join('\n')).toEqual([]);
    expect(count).toBeGreaterThanOrEqual(2000);

    // Still serving, normally.
    expect(server.child.exitCode).toBeNull();
    const health = await send(server.url, { method: 'GET', path: '/healthz' });
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const tile = await send(server.url, { method: 'GET', path: '/tiles/test-annual/ppt/0003/6/10/23.png' });
    expect(tile.status).toBe(200);
    const job = await post('/timeseries/extract', extractPayload());
    expect(job.status, job.body).toBe(202);
  });
});

describe('requests that never reach a route', () => {
  it.each([
    ['GET /metadata HTTP/1.1\r\nHost: x\r\nX: ' + 'a'.repeat(20_000) + '\r\n\r\n', 431, 'headers_too_large'],
    ['GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['GET /metadata HTTP/1.1\r\n\r\n', 400, 'bad_request'],
    ['CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 405, 'method_not_allowed'],
    ['GET /tiles/%ff/ppt/0003/6/10/23 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    [`GET /tiles/${'a'.repeat(101)}/ppt/0003/6/10/23 HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'uri_too_long'],
  ])('%# → %i %s, a JSON body', async (raw, status, code) => {
    const res = await sendRaw(server.url, raw);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const body = JSON.parse(res.body) as { code: string; detail: string };
    expect(body.code).toBe(code);
    expect(body.detail).toMatch(/^[A-Z].+\.$/);
  });
});
