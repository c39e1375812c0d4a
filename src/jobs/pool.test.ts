import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createWorkerPool } from './pool.js';

type Task = { n: number; stepMs: number; spin?: boolean; fail?: string; crash?: string };
const pool = createWorkerPool<Task, { counted: number }>({
  filename: new URL('../../test/support/count.worker.ts', import.meta.url),
  size: 1,
  abortGraceMs: 300,
});
afterAll(() => pool.close());

describe('worker pool', () => {
  it('runs a task on a worker thread and streams progress back', async () => {
    const progress: number[] = [];
    const out = await pool.run({ n: 5, stepMs: 1 }, { onProgress: (done) => progress.push(done) });
    expect(out).toEqual({ counted: 5 });
    expect(progress.at(-1)).toBe(5);
  });

  it('re-throws AppErrors from the worker with their code', async () => {
    await expect(pool.run({ n: 1, stepMs: 1, fail: 'No data available.' })).rejects.toMatchObject({
      code: 'time_range_empty',
      message: 'No data available.',
    });
  });

  it('an unexpected error crosses as internal_error with a fixed message; its text only in details (for the log)', async () => {
    const err = await pool.run({ n: 1, stepMs: 1, crash: 'cannot read /srv/data/secret.tif' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'internal_error', message: 'An internal error occurred in a worker thread.' });
    expect(String((err as AppError).details?.['workerError'])).toContain('TypeError: cannot read /srv/data/secret.tif');
  });

  it('an abort reaches the worker cooperatively and rejects with the signal reason', async () => {
    const controller = new AbortController();
    let last = 0;
    const run = pool.run({ n: 100_000, stepMs: 2 }, { signal: controller.signal, onProgress: (d) => (last = d) });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort(new AppError('deadline_exceeded', 'Processing exceeded 300 ms.'));
    await expect(run).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(100_000);
    // The same worker is still usable.
    expect(await pool.run({ n: 2, stepMs: 1 })).toEqual({ counted: 2 });
  });

  it('a worker that ignores the abort is terminated after the grace period and replaced', async () => {
    const controller = new AbortController();
    const run = pool.run({ n: 0, stepMs: 0, spin: true }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
    expect(await pool.run({ n: 3, stepMs: 1 })).toEqual({ counted: 3 });
  });
});
