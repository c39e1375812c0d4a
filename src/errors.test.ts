import { describe, expect, it } from 'vitest';
import { AppError, isAppError, raceAbort } from './errors.js';

describe('raceAbort', () => {
  it('passes the work through when no signal is given or it never fires', async () => {
    await expect(raceAbort(Promise.resolve(7), undefined)).resolves.toBe(7);
    await expect(raceAbort(Promise.resolve(8), new AbortController().signal)).resolves.toBe(8);
    await expect(raceAbort(Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow('boom');
  });

  it('rejects with AppError aborted as soon as the signal fires, before the work settles', async () => {
    const ac = new AbortController();
    let settle!: (v: number) => void;
    const work = new Promise<number>((r) => (settle = r));
    const raced = raceAbort(work, ac.signal);
    ac.abort();
    const err: unknown = await raced.catch((e: unknown) => e);
    expect(isAppError(err, 'aborted')).toBe(true);
    settle(1); // settling later changes nothing
    await expect(raced).rejects.toBeInstanceOf(AppError);
  });

  it('keeps an AppError reason, and rejects at once for an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new AppError('deadline_exceeded', 'Too slow.'));
    const err: unknown = await raceAbort(Promise.reject(new Error('late')), ac.signal).catch((e: unknown) => e);
    expect(isAppError(err, 'deadline_exceeded')).toBe(true);
  });
});
