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

  it('unknown errors → 500 with a fixed sentence, logged with the stack, never leaked', async () => {
    const { app, logged } = await appThrowing(new TypeError('secret path /etc/x is undefined'));
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: 'An internal error occurred.', code: 'internal_error' });
    expect(res.body).not.toContain('secret');
    expect(JSON.stringify(logged)).toContain('secret path /etc/x is undefined');
    expect(JSON.stringify(logged)).toContain('TypeError');
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
