/**
 * The JobStore conformance suite: memory, filesystem and Redis stores all run these tests. Import it from a test
 * file and call {@link describeJobStoreConformance} once per implementation.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import type { JobRecord, JobStore } from '../../src/jobs/job.js';
import { failOrphans } from '../../src/jobs/orphans.js';

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

/** What a fixture may be asked for. */
export interface JobStoreFixtureOptions {
  /** Retention of the store (ms). */
  retentionMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers the shared JobStore tests for one implementation. */
export function describeJobStoreConformance(
  name: string,
  make: (options?: JobStoreFixtureOptions) => Promise<JobStoreFixture>,
): void {
  describe(`JobStore conformance: ${name}`, () => {
    const withStore = (fn: (f: JobStoreFixture) => Promise<void>, options?: JobStoreFixtureOptions) => async () => {
      const f = await make(options);
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
        expect(await store.put(done)).toBe(true);
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

    it(
      'terminal records are final: put over SUCCESS or FAILED is refused and changes nothing',
      withStore(async ({ store }) => {
        for (const status of ['SUCCESS', 'FAILED'] as const) {
          const rec = testRecord({ status: 'PROCESSING' });
          await store.create(rec);
          const final: JobRecord = { ...rec, status, updated: '2026-11-27T12:00:09.000Z' };
          if (status === 'FAILED') Object.assign(final, { error: 'Cancelled.', code: 'job_cancelled' });
          else final.result = { n: 1 };
          expect(await store.put(final)).toBe(true);
          for (const later of ['PROCESSING', 'SUCCESS', 'FAILED', 'PENDING'] as const) {
            expect(await store.put({ ...rec, status: later, updated: '2026-11-27T12:00:10.000Z' })).toBe(false);
          }
          expect(await store.get(rec.id)).toEqual(final);
          expect(await store.listUnfinished()).not.toContain(rec.id);
        }
        // A record created finished is final too.
        const created = testRecord({ status: 'SUCCESS', result: 2 });
        await store.create(created);
        expect(await store.put({ ...created, status: 'PROCESSING' })).toBe(false);
        expect(await store.get(created.id)).toEqual(created);
      }),
    );

    it(
      'put of an absent id writes nothing and says so',
      withStore(async ({ store }) => {
        const rec = testRecord({ status: 'PROCESSING' });
        expect(await store.put(rec)).toBe(false);
        expect(await store.get(rec.id)).toBeNull();
        expect(await store.listUnfinished()).not.toContain(rec.id);
      }),
    );

    it(
      'racing writers (two instances over the same data where there can be): exactly one terminal write wins, heartbeats never undo it',
      withStore(async ({ store, reopen }) => {
        const other = reopen ? await reopen() : store;
        try {
          for (let round = 0; round < 25; round++) {
            const rec = testRecord({ status: 'PROCESSING' });
            await store.create(rec);
            const cancel: JobRecord = { ...rec, status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' };
            const success: JobRecord = { ...rec, status: 'SUCCESS', result: { round } };
            const beat = (i: number): JobRecord => ({ ...rec, progress: { done: i, total: 9 } });
            // Alternate which instance and which order, so neither side always goes first.
            const [a, b] = round % 2 === 0 ? [store, other] : [other, store];
            const writes = [
              a.put(beat(1)),
              b.put(cancel),
              a.put(beat(2)),
              a.put(success),
              b.put(beat(3)),
              a.put(beat(4)),
            ];
            const ok = await Promise.all(writes);
            const terminalWins = [ok[1], ok[3]].filter(Boolean).length;
            expect(terminalWins).toBe(1);
            const stored = await store.get(rec.id);
            expect(stored).toEqual(ok[1] ? cancel : success);
            expect(await other.get(rec.id)).toEqual(stored);
            expect(await store.put(beat(5))).toBe(false);
            expect(await store.get(rec.id)).toEqual(stored);
          }
        } finally {
          if (other !== store) await other.close();
        }
      }),
    );

    it(
      'lists unfinished ids by the age of their `updated` time',
      withStore(async ({ store }) => {
        const old = testRecord({ status: 'PROCESSING', updated: '2026-11-27T12:00:00.000Z' });
        const fresh = testRecord({ status: 'PENDING', updated: '2026-11-27T12:01:00.000Z' });
        const done = testRecord({ status: 'FAILED', updated: '2026-11-27T11:00:00.000Z' });
        for (const r of [old, fresh, done]) await store.create(r);
        const cut = Date.parse('2026-11-27T12:00:30.000Z');
        expect(await store.listUnfinished(cut)).toEqual([old.id]);
        expect((await store.listUnfinished()).sort()).toEqual([old.id, fresh.id].sort());
        expect(await store.put({ ...fresh, updated: '2026-11-27T11:59:00.000Z' })).toBe(true);
        expect((await store.listUnfinished(cut)).sort()).toEqual([old.id, fresh.id].sort());
      }),
    );

    it(
      'expires records after the retention (finished and abandoned ones) and keeps those written since',
      withStore(
        async ({ store }) => {
          const done = testRecord({ status: 'SUCCESS', result: 1 });
          const finishedLater = testRecord({ status: 'PROCESSING' });
          await store.create(done);
          await store.create(finishedLater);
          await sleep(250);
          expect(await store.put({ ...finishedLater, status: 'FAILED', error: 'x' })).toBe(true);
          await sleep(300);
          await store.expire();
          // done: 550 ms after it finished (retention 400 ms + at most one expiry bucket); finishedLater: 300 ms.
          expect(await store.get(done.id)).toBeNull();
          expect(await store.get(finishedLater.id)).toMatchObject({ status: 'FAILED' });
          await sleep(450);
          await store.expire();
          expect(await store.get(finishedLater.id)).toBeNull();
          expect(await store.listUnfinished()).toEqual([]);
        },
        { retentionMs: 400 },
      ),
    );

    it(
      'an orphan sweep and an expiry read only the unfinished records, however many finished ones are kept',
      withStore(async ({ store }) => {
        const FINISHED = 400;
        const t = Date.parse('2026-11-27T12:00:00.000Z');
        const stale = [testRecord({ status: 'PROCESSING' }), testRecord({ status: 'PENDING' })];
        const fresh = testRecord({ status: 'PROCESSING', updated: new Date(t + 60_000).toISOString() });
        for (const r of [...stale, fresh]) await store.create(r);
        const timing = async (): Promise<{ reads: number; ms: number }> => {
          const get = store.get.bind(store);
          let reads = 0;
          store.get = (id) => (reads++, get(id));
          const t0 = performance.now();
          try {
            await store.expire();
            await store.listUnfinished(t + 30_000);
          } finally {
            store.get = get;
          }
          return { reads, ms: performance.now() - t0 };
        };
        const before = await timing();
        await Promise.all(
          Array.from({ length: FINISHED }, () => store.create(testRecord({ status: 'SUCCESS', result: { x: 1 } }))),
        );
        const after = await timing();
        // At most one read per unfinished record, with or without the finished ones.
        expect(before.reads).toBeLessThanOrEqual(3);
        expect(after.reads).toBe(before.reads);
        const failed = await failOrphans(store, () => new Date(t + 90_000), 60_000);
        expect(failed).toBe(2);
        expect(await store.listUnfinished()).toEqual([fresh.id]);
        console.log(
          `${name}: expire + orphan listing with 3 unfinished records: ${before.reads} record reads, ` +
            `${before.ms.toFixed(1)} ms; with ${FINISHED} finished records kept too: ${after.reads} reads, ${after.ms.toFixed(1)} ms`,
        );
      }),
    );
  });
}
