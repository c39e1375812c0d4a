/**
 * Test support for the HTTP tests: a real storage tree (the upstream 5×5 fixture COGs, lookup.json files and a
 * registry written here, as the upstream pipeline tests' conftest), a real app (createDeps → buildServer, worker pool and all)
 * and polling helpers.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../../src/http/app.deps.js';
import { tilesRoutes, type TilesDeps } from '../../src/http/routes/tiles.js';
import { buildServer, createBareServer } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createDeps, type CreateDepsOptions } from '../../src/deps.js';

export const FIXTURES = new URL('../fixtures/upstream-5x5/', import.meta.url).pathname;
export const ANNUAL_FILE = 'annual_5x5x5_dataset_float32_variable.tif';
export const MONTHLY_FILE = 'monthly_5x5x60_dataset_float32_variable.tif';

/** The upstream pipeline tests' registry (`TEST_REGISTRY`), plus display fields passed through to /metadata. */
export const REGISTRY_YAML = `# upstream pipeline test registry
- id: test-annual
  title: Test annual dataset
  ordering: 1
  crs: EPSG:4326
  transform: [1, 0, -123, 0, -1, 45]
  timespan:
    resolution: year
    period: { timeZero: 1, gte: '0001', lte: '0005', suffix: CE }
  variables:
    - id: ppt
      name: Annual precipitation
      units: mm
      min: 0
      max: 10
- id: test-monthly
  title: Test monthly dataset
  crs: EPSG:4326
  transform: [1, 0, -123, 0, -1, 45]
  timespan:
    resolution: month
    period: { gte: '0001-01', lte: '0005-12' }
  variables:
    - id: ppt
      colormap: skope-precip
`;

export const SKOPE_PRECIP = ['#B5834A', '#CDAA78', '#DEC499', '#EFE0CA', '#D8EEEA', '#9ECEC6', '#5CAFA8', '#358C87'];

/** Upstream's `SINGLE_CELL_POLYGON`: pixel column 1, row 1. */
export const SINGLE_CELL_POLYGON = {
  type: 'Polygon',
  coordinates: [
    [
      [-122, 43],
      [-121, 43],
      [-121, 44],
      [-122, 44],
      [-122, 43],
    ],
  ],
};

/** The upstream pipeline tests' extract payload template. */
export function extractPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset_id: 'test-annual',
    variable_id: 'ppt',
    selected_area: SINGLE_CELL_POLYGON,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: { gte: '0001', lte: '0005' },
    ...overrides,
  };
}

/** POST /timeseries/analyze of a finished extraction: the raw series over `[gte, lte]`, no transform. */
export function analyzeRaw(
  app: FastifyInstance,
  extractionId: string,
  gte: string,
  lte: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/timeseries/analyze',
    payload: {
      extraction_id: extractionId,
      transform: { type: 'NoTransform' },
      requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
      time_range: { gte, lte },
    },
  });
}

/** A temporary data tree: storage (COGs + lookups), registry, colormaps, job directory. */
export interface TestData {
  dir: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** Writes the storage tree and returns the env that points the service at it. */
export async function makeTestData(): Promise<TestData> {
  const dir = await mkdtemp(join(tmpdir(), 'skope-http-'));
  const storage = join(dir, 'data');
  await mkdir(join(storage, 'test-annual'), { recursive: true });
  await mkdir(join(storage, 'test-monthly'), { recursive: true });
  await copyFile(join(FIXTURES, ANNUAL_FILE), join(storage, ANNUAL_FILE));
  await copyFile(join(FIXTURES, MONTHLY_FILE), join(storage, MONTHLY_FILE));
  const annual: Record<string, { file: string; bidx: number }> = {};
  for (let b = 1; b <= 5; b++) annual[String(b).padStart(4, '0')] = { file: ANNUAL_FILE, bidx: b };
  const monthly: Record<string, { file: string; bidx: number }> = {};
  for (let b = 1; b <= 60; b++) {
    const key = `${String(Math.ceil(b / 12)).padStart(4, '0')}-${String(((b - 1) % 12) + 1).padStart(2, '0')}`;
    monthly[key] = { file: MONTHLY_FILE, bidx: b };
  }
  await writeFile(join(storage, 'test-annual', 'lookup.json'), JSON.stringify({ ppt: annual }));
  await writeFile(join(storage, 'test-monthly', 'lookup.json'), JSON.stringify({ ppt: monthly }));
  await writeFile(join(dir, 'metadata.yml'), REGISTRY_YAML);
  await writeFile(join(dir, 'colormaps.json'), JSON.stringify({ 'skope-precip': SKOPE_PRECIP }));
  return {
    dir,
    env: {
      REGISTRY_PATH: join(dir, 'metadata.yml'),
      STORAGE_BASE_URL: storage,
      COLORMAPS_PATH: join(dir, 'colormaps.json'),
      JOB_STORE: 'fs',
      JOB_DIR: join(dir, 'jobs'),
      DEFAULT_MAX_CELLS: '500000',
      LOG_LEVEL: 'silent',
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A real app over `env` (worker pool included unless `options.inline`). */
export async function startApp(
  env: Record<string, string>,
  options: CreateDepsOptions = {},
): Promise<{ app: FastifyInstance; deps: AppDeps }> {
  const deps = await createDeps(loadConfig(env), options);
  const app = await buildServer(deps, { logger: false });
  await app.ready();
  return { app, deps };
}

/** The tile routes alone (the app's error rendering and schema options), ready for `inject`. */
export async function startTilesApp(deps: TilesDeps): Promise<FastifyInstance> {
  const app = createBareServer(false);
  await app.register(tilesRoutes(deps));
  await app.ready();
  return app;
}

/** The app of a test file, with its data: set before the file's first test runs. */
export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  data: TestData;
}

/**
 * One real app for the tests of a file: before them, writes the test data ({@link dataForFile}) and starts the app
 * over it (`env` on top of the data's); after them, closes the app (and so its dependencies), then removes the data.
 */
export function appForFile(env: Record<string, string> = {}, options: CreateDepsOptions = {}): TestApp {
  const t = dataForFile() as TestApp;
  beforeAll(async () => {
    Object.assign(t, await startApp({ ...t.data.env, ...env }, options));
  });
  afterAll(async () => {
    await t.app?.close();
  });
  return t;
}

/** Test data for the tests of a file: written before them, removed after them (hooks run in reverse). */
export function dataForFile(): { data: TestData } {
  const t = {} as { data: TestData };
  beforeAll(async () => {
    t.data = await makeTestData();
  });
  afterAll(async () => {
    await t.data?.remove();
  });
  return t;
}

/** Polls the status route until the job is SUCCESS or FAILED; returns the status body. */
export async function waitForJob(
  app: FastifyInstance,
  id: string,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/timeseries/status/${id}` });
    const body = res.json<Record<string, unknown>>();
    if (body['status'] === 'SUCCESS' || body['status'] === 'FAILED') return body;
    if (Date.now() > until) throw new Error(`job ${id} still ${String(body['status'])}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** POST /timeseries/extract, asserts 202, waits for the job; returns its id and final status body. */
export async function extractAndWait(
  app: FastifyInstance,
  payload: Record<string, unknown>,
): Promise<{ id: string; status: Record<string, unknown> }> {
  const res = await app.inject({ method: 'POST', url: '/timeseries/extract', payload });
  if (res.statusCode !== 202) throw new Error(`extract answered ${res.statusCode}: ${res.body}`);
  const { job_id } = res.json<{ job_id: string }>();
  return { id: job_id, status: await waitForJob(app, job_id) };
}

/** Asserts `actual` equals `expected` element-wise within a relative tolerance (nulls must match). */
export function closeTo(actual: unknown, expected: (number | null)[], rel = 1e-6): boolean {
  if (!Array.isArray(actual) || actual.length !== expected.length) return false;
  return expected.every((e, i) => {
    const a: unknown = actual[i];
    if (e === null) return a === null;
    return typeof a === 'number' && Math.abs(a - e) <= rel * Math.max(1, Math.abs(e));
  });
}
