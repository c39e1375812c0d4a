import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../errors.js';
import { STATUS_BY_CODE, installErrorHandlers, invalid, statusOf } from './errors.js';

async function appThrowing(err: unknown, config?: Record<string, unknown>) {
  const logged: unknown[] = [];
  const app = Fastify({
    logger: { level: 'error', stream: { write: (line: string) => logged.push(JSON.parse(line)) } },
  });
  installErrorHandlers(app);
  app.get('/boom', { config: config ?? {} }, async () => {
    throw err;
  });
  await app.ready();
  return { app, logged };
}

describe('HTTP error rendering', () => {
  it('maps every domain code to a status (the one table)', () => {
    const codes = Object.keys(STATUS_BY_CODE) as ErrorCode[];
    expect(codes.length).toBeGreaterThan(30);
    expect(statusOf('dataset_not_found')).toBe(404);
    expect(statusOf('job_not_complete')).toBe(409);
    expect(statusOf('at_capacity')).toBe(503);
    expect(statusOf('deadline_exceeded')).toBe(504);
    expect(statusOf('no_such_code')).toBe(500);
  });

  it('unknown errors → 500 with a fixed sentence and the request id, logged with the stack, never leaked', async () => {
    const { app, logged } = await appThrowing(new TypeError('secret path /etc/x is undefined'));
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    const id = res.json<{ request_id: string }>().request_id;
    expect(res.json()).toEqual({
      detail: `An internal error occurred. Request id: ${id}.`,
      code: 'internal_error',
      request_id: id,
    });
    expect(res.body).not.toContain('secret');
    // The log line with the full error carries the same id.
    const line = logged.find((l) => JSON.stringify(l).includes('secret path')) as { reqId: string };
    expect(line.reqId).toBe(id);
    expect(JSON.stringify(logged)).toContain('secret path /etc/x is undefined');
    expect(JSON.stringify(logged)).toContain('TypeError');
    await app.close();
  });

  it('infrastructure errors: 500/502 name only the request id; a missing file names dataset, variable, timestep', async () => {
    const path = '/srv/skope/storage/a/b.tif';
    for (const [code, status] of [
      ['raster_invalid', 500],
      ['extraction_failed', 500],
      ['source_read_error', 502],
    ] as const) {
      const { app, logged } = await appThrowing(new AppError(code, `Cannot read ${path} from s3://bucket/key`));
      const res = await app.inject({ method: 'GET', url: '/boom' });
      expect(res.statusCode).toBe(status);
      const id = res.json<{ request_id: string }>().request_id;
      expect(res.json()).toEqual({ detail: `An internal error occurred. Request id: ${id}.`, code, request_id: id });
      expect(JSON.stringify(logged)).toContain(path);
      await app.close();
    }
    const app = Fastify({ logger: false });
    installErrorHandlers(app);
    app.get('/tiles/:dataset_id/:variable_id/:timestep', async () => {
      throw new AppError('source_not_found', `File not found: ${path}.`);
    });
    const res = await app.inject({ method: 'GET', url: '/tiles/ds/ppt/0003' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      detail: "The data of dataset 'ds', variable 'ppt', timestep '0003' is not available.",
      code: 'source_not_found',
    });
    await app.close();
  });

  it('domain errors keep their sentence and code; at_capacity adds Retry-After', async () => {
    const { app } = await appThrowing(
      new AppError('at_capacity', 'The extraction service is at capacity. Retry later.'),
    );
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ detail: 'The extraction service is at capacity. Retry later.', code: 'at_capacity' });
    await app.close();
  });

  it('array-form routes wrap every error as a detail list', async () => {
    const { app } = await appThrowing(new AppError('dataset_not_found', "Dataset 'x' not found."), {
      errorShape: 'array',
    });
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      detail: [{ loc: [], msg: "Dataset 'x' not found.", type: 'dataset_not_found' }],
      code: 'dataset_not_found',
    });
    const v = await appThrowing(invalid(['body', 'x'], 'Bad x.'), { errorShape: 'array' });
    expect((await v.app.inject({ method: 'GET', url: '/boom' })).json()).toEqual({
      detail: [{ loc: ['body', 'x'], msg: 'Bad x.', type: 'value_error' }],
      code: 'validation_error',
    });
    await app.close();
    await v.app.close();
  });
});
