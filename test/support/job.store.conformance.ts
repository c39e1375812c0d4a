/**
 * The JobStore conformance suite: memory, filesystem and Redis stores all run these tests. Import it from a test
 * file and call {@link describeJobStoreConformance} once per implementation.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import type { JobRecord, JobStore } from '../../src/jobs/job.js';

/** What a test needs from one implementation. */
export interface JobStoreFixture {
  store: JobStore;
  /** A new store instance over the same backing data (a server restart); absent for memory. */
  reopen?(): Promise<JobStore>;
  /** Removes what the fixture made (temp dirs, Redis keys). */
  cleanup?(): Promise<void>;
}

/** A record with fixed times, for tests. */
export function testRecord(over: Partial<JobRecord> = {}): JobRecord {
  return {
    v: 1,
    id: randomUUID(),
    status: 'PENDING',
    created: '2026-11-27T12:00:00.000Z',
    updated: '2026-11-27T12:00:00.000Z',
    ...over,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isAppError(err) ? err.code : 'not an AppError';
  }
}

/** Registers the shared JobStore tests for one implementation. */
export function describeJobStoreConformance(name: string, make: () => Promise<JobStoreFixture>): void {
  describe(`JobStore conformance: ${name}`, () => {
    const withStore = (fn: (f: JobStoreFixture) => Promise<void>) => async () => {
      const f = await make();
      try {
        await fn(f);
      } finally {
        await f.store.close();
        await f.cleanup?.();
      }
    };

    it(
      'creates a record and reads it back unchanged',
      withStore(async ({ store }) => {
        const rec = testRecord({ progress: { done: 0, total: 12 }, owner: 'host-1' });
        await store.create(rec);
        expect(await store.get(rec.id)).toEqual(rec);
      }),
    );

    it(
      'returns null for a missing id',
      withStore(async ({ store }) => {
        expect(await store.get(randomUUID())).toBeNull();
      }),
    );

    it(
      'refuses to create an id that exists, keeping the first record',
      withStore(async ({ store }) => {
        const rec = testRecord();
        await store.create(rec);
        expect(await codeOf(store.create({ ...rec, status: 'FAILED', error: 'x' }))).toBe('internal_error');
        expect(await store.get(rec.id)).toEqual(rec);
      }),
    );

    it(
      'put replaces the whole record (fields left out are gone)',
      withStore(async ({ store }) => {
        const rec = testRecord({ status: 'PROCESSING', progress: { done: 3, total: 10 } });
        await store.create(rec);
        const done: JobRecord = {
          v: 1,
          id: rec.id,
          status: 'SUCCESS',
          created: rec.created,
          updated: '2026-11-27T12:00:05.000Z',
          result: { series: [{ name: 'Original', values: [1.5, null, 2.25] }] },
          private: { base_series: { timesteps: ['0001'], mean: [1.5], median: [1.5] } },
        };
        await store.put(done);
        const back = await store.get(rec.id);
        expect(back).toEqual(done);
        expect(back).not.toHaveProperty('progress');
      }),
    );

    it(
      'hands out copies: mutating a record read back does not change the store',
      withStore(async ({ store }) => {
        const rec = testRecord({ progress: { done: 1, total: 2 } });
        await store.create(rec);
        const back = await store.get(rec.id);
        if (back?.progress) back.progress.done = 99;
        rec.status = 'FAILED';
        expect((await store.get(rec.id))?.progress).toEqual({ done: 1, total: 2 });
        expect((await store.get(rec.id))?.status).toBe('PENDING');
      }),
    );

    it(
      'lists exactly the PENDING and PROCESSING ids',
      withStore(async ({ store }) => {
        const recs = (['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED', 'PROCESSING'] as const).map((status) =>
          testRecord({ status }),
        );
        for (const r of recs) await store.create(r);
        const expected = [recs[0], recs[1], recs[4]].map((r) => r?.id).sort();
        expect((await store.listUnfinished()).sort()).toEqual(expected);
        await store.put({ ...(recs[0] as JobRecord), status: 'SUCCESS' });
        expect((await store.listUnfinished()).sort()).toEqual([recs[1], recs[4]].map((r) => r?.id).sort());
      }),
    );

    it(
      'refuses ids that are not UUIDs with invalid_request',
      withStore(async ({ store }) => {
        for (const bad of ['../../etc/passwd', 'job', '', `${randomUUID()}/x`]) {
          expect(await codeOf(store.get(bad))).toBe('invalid_request');
          expect(await codeOf(store.create(testRecord({ id: bad })))).toBe('invalid_request');
          expect(await codeOf(store.put(testRecord({ id: bad })))).toBe('invalid_request');
        }
      }),
    );

    it(
      'keeps the last of many concurrent writes whole',
      withStore(async ({ store }) => {
        const rec = testRecord();
        await store.create(rec);
        const writes = Array.from({ length: 20 }, (_, i) => ({
          ...rec,
          status: 'PROCESSING' as const,
          progress: { done: i, total: 20 },
        }));
        await Promise.all(writes.map((w) => store.put(w)));
        const back = await store.get(rec.id);
        expect(back?.status).toBe('PROCESSING');
        expect(back?.progress?.total).toBe(20);
      }),
    );

    it(
      'passes its healthcheck',
      withStore(async ({ store }) => {
        await expect(store.healthcheck()).resolves.toBeUndefined();
      }),
    );

    it(
      'still has finished and unfinished jobs after a restart (new instance, same backing store)',
      withStore(async ({ store, reopen }) => {
        if (reopen === undefined) return; // memory: nothing survives, by design
        const done = testRecord({ status: 'SUCCESS', result: { ok: true } });
        const running = testRecord({ status: 'PROCESSING' });
        await store.create(done);
        await store.create(running);
        const again = await reopen();
        try {
          expect(await again.get(done.id)).toEqual(done);
          expect(await again.listUnfinished()).toContain(running.id);
        } finally {
          await again.close();
        }
      }),
    );
  });
}
