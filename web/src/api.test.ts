import { describe, expect, it } from 'vitest';
import { ApiError, callApi, errorMessage, retryAfterSeconds } from './api.js';

/** The error a call that must fail throws. */
async function failure(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof ApiError)) throw new Error('expected an ApiError');
  return e;
}

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

describe('callApi', () => {
  it('waits Retry-After seconds on 503 and retries', async () => {
    const answers = [
      answer(503, { detail: 'busy', code: 'at_capacity' }, { 'retry-after': '5' }),
      answer(202, { job_id: 'j' }),
    ];
    const waits: number[] = [];
    const told: number[] = [];
    const r = await callApi<{ job_id: string }>(
      '/timeseries/extract',
      { method: 'POST' },
      {
        fetch: async () => answers.shift()!,
        sleep: async (ms) => void waits.push(ms),
        onWait: (s) => void told.push(s),
      },
    );
    expect(r.job_id).toBe('j');
    expect(waits).toEqual([5000]);
    expect(told).toEqual([5]);
  });

  it('gives up after maxRetries and shows the API message', async () => {
    const busy = (): Response =>
      answer(503, { detail: 'Too many jobs are running. Retry later.', code: 'at_capacity' }, { 'retry-after': '1' });
    const err = await callApi('/x', {}, { fetch: async () => busy(), sleep: async () => {}, maxRetries: 2 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('Too many jobs are running. Retry later.');
    expect((err as ApiError).status).toBe(503);
  });

  it('4xx: the API detail and code; no answer: a sentence, not an exception text', async () => {
    const e422 = await failure(
      callApi(
        '/x',
        {},
        {
          fetch: async () =>
            answer(422, {
              detail: 'Selected area is not a valid polygon: self-intersection[-109.5 37.5]',
              code: 'invalid_geometry',
            }),
          sleep: async () => {},
        },
      ),
    );
    expect([e422.status, e422.code, e422.message]).toEqual([
      422,
      'invalid_geometry',
      'Selected area is not a valid polygon: self-intersection[-109.5 37.5]',
    ]);
    const gone = await failure(
      callApi('/x', {}, { fetch: () => Promise.reject(new TypeError('Failed to fetch')), sleep: async () => {} }),
    );
    expect([gone.status, gone.message]).toEqual([0, 'The server did not answer. Is it running?']);
  });

  it('error bodies: string detail, v2 array detail, none', () => {
    expect(errorMessage({ detail: [{ msg: 'a' }, { msg: 'b' }], code: 'c' }, 422)).toEqual({
      message: 'a; b',
      code: 'c',
    });
    expect(errorMessage(null, 500).message).toBe('The server answered 500.');
  });

  it('Retry-After: seconds or an HTTP date, clamped, 5 when unreadable', () => {
    expect(retryAfterSeconds('5', 0)).toBe(5);
    expect(retryAfterSeconds('0', 0)).toBe(1);
    expect(retryAfterSeconds('900', 0)).toBe(60);
    expect(retryAfterSeconds('Thu, 01 Jan 1970 00:00:10 GMT', 0)).toBe(10);
    expect(retryAfterSeconds('soon', 0)).toBe(5);
    expect(retryAfterSeconds(null, 0)).toBe(5);
  });
});
