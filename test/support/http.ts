/**
 * Test support for the HTTP tests: a real app (createDeps → buildServer, worker pool and all) over the test data of
 * `testdata.ts`, set up once per test file, the tile routes alone, and polling helpers.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../../src/http/app.deps.js';
import { tilesRoutes, type TilesDeps } from '../../src/http/routes/tiles.js';
import { buildServer, createBareServer } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createDeps, type CreateDepsOptions } from '../../src/deps.js';
import { makeTestData, type TestData } from './testdata.js';

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
