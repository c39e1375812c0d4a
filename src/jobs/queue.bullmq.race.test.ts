/**
 * BullMQ races on the real Redis: cancels at random (seeded) moments while two workers run the jobs, and atomic
 * admission — 50 concurrent submissions through two API-side queues with capacity 5 never put more than 5 jobs in
 * the queue (waiting + running).
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { REDIS_URL, redisUp, requireTool } from '../../test/support/env.js';
import { rng, steppingHandler, waitFor, type StepInput, type StepLog } from '../../test/support/job.race.js';
import { RedisJobStore } from './job.store.redis.js';
import { BullMqJobQueue, startBullWorker, type BullWorker } from './queue.bullmq.js';

let ok = false;
const run = `race${randomUUID().slice(0, 8)}`;
const storePrefix = `skope-bull-race:${run}:`;
const stores: RedisJobStore[] = [];
const newStore = (): RedisJobStore => {
  const s = new RedisJobStore({ url: REDIS_URL, prefix: storePrefix });
  stores.push(s);
  return s;
};
beforeAll(async () => {
  ok = requireTool('redis', await redisUp());
});
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe('BullMQ races (real Redis)', () => {
  it('50 cancels at random moments while two workers run the jobs: FAILED "Cancelled." for good and the work stopped, or finished first', async (ctx) => {
    if (!ok) return ctx.skip();
    const prefix = `${run}c`;
    const api = newStore();
    const queue = new BullMqJobQueue<StepInput>({ url: REDIS_URL, prefix, store: api, capacity: 100 });
    const logs = new Map<string, StepLog>();
    const workers: BullWorker[] = [];
    for (let w = 0; w < 2; w++)
      workers.push(
        await startBullWorker({
          url: REDIS_URL,
          prefix,
          store: newStore(),
          handler: steppingHandler(logs),
          concurrency: 5,
          cancelCheckMs: 50,
          heartbeatMs: 40,
        }),
      );
    const rand = rng(7_2026);
    let aborted = 0;
    let neverStarted = 0;
    let cancelledAfterWork = 0;
    let finished = 0;
    try {
      const one = async (delay: number): Promise<void> => {
        const id = randomUUID();
        await queue.enqueue({ id, deadlineMs: 60_000 }, { key: id, steps: 30, stepMs: 5 });
        await new Promise((r) => setTimeout(r, delay));
        const cancelled = await queue.cancel(id);
        const rec = cancelled
          ? await api.get(id)
          : await waitFor(
              () => api.get(id),
              (r) => r?.status === 'SUCCESS',
              10_000,
            );
        if (!cancelled) {
          expect(rec).toMatchObject({ status: 'SUCCESS', result: { sum: 465 } });
          finished++;
          return;
        }
        expect(rec).toMatchObject({ status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' });
        // The work stopped: it never started, or it settled (aborted, or done with its result refused).
        await new Promise((r) => setTimeout(r, 300));
        const log = logs.get(id);
        if (log === undefined) neverStarted++;
        else {
          await waitFor(
            () => log.settled,
            (s) => s,
            5_000,
          );
          if (log.aborted) {
            expect(log.steps).toBeLessThan(30);
            aborted++;
          } else cancelledAfterWork++;
        }
      };
      for (let b = 0; b < 5; b++) await Promise.all(Array.from({ length: 10 }, () => one(Math.floor(rand() * 250))));
      await new Promise((r) => setTimeout(r, 300));
      // Forever: nothing rewrote a cancelled record meanwhile (checked again after every write could have come).
      const unfinished = await api.listUnfinished();
      expect(unfinished).toEqual([]);
      // The seeded delays include short ones: some cancels certainly land mid-work (how many finish first depends on the
      // machine's speed, so it is printed, not asserted).
      expect(aborted).toBeGreaterThan(5);
      expect(aborted + neverStarted + cancelledAfterWork + finished).toBe(50);
      console.log(
        `cancel race (BullMQ, 2 workers): 50 jobs → ${aborted} cancelled mid-work, ${neverStarted} cancelled before a worker ` +
          `started them, ${cancelledAfterWork} cancelled between the work's end and its SUCCESS write, ${finished} finished first; ` +
          `0 cancels undone`,
      );
    } finally {
      for (const w of workers) await w.close();
      await queue.close();
    }
  });

  it('admission is atomic: 50 concurrent submissions on two API servers, capacity 5 → never more than 5 waiting + running', async (ctx) => {
    if (!ok) return ctx.skip();
    const prefix = `${run}a`;
    const servers = [0, 1].map(
      () => new BullMqJobQueue<StepInput>({ url: REDIS_URL, prefix, store: newStore(), capacity: 5 }),
    );
    // Jobs run until the round's gate opens: nothing finishes during a burst, so exactly the capacity is admitted
    // (2 running on the worker + 3 waiting), however slow the machine.
    let open!: () => void;
    let gate = new Promise<void>((r) => (open = r));
    const done = new Set<string>();
    const worker = await startBullWorker<StepInput>({
      url: REDIS_URL,
      prefix,
      store: newStore(),
      concurrency: 2,
      handler: async ({ key }) => {
        await gate;
        done.add(key);
        return { result: key };
      },
    });
    const probe = new Queue('extract', { connection: { url: REDIS_URL }, prefix });
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const c = await probe.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        maxDepth = Math.max(
          maxDepth,
          Object.values(c).reduce((a, b) => a + b, 0),
        );
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const accepted: number[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const id = randomUUID();
            try {
              await servers[i % 2]?.enqueue({ id, deadlineMs: 60_000 }, { key: id, steps: 1, stepMs: 1 });
              return id;
            } catch (err) {
              if (isAppError(err, 'at_capacity')) return null;
              throw err;
            }
          }),
        );
        const ids = results.filter((r) => r !== null) as string[];
        accepted.push(ids.length);
        expect(ids.length).toBe(5);
        open();
        for (const id of ids)
          await waitFor(
            () => done.has(id),
            (s) => s,
            15_000,
          );
        gate = new Promise<void>((r) => (open = r));
        await waitFor(
          () => probe.getJobCounts('waiting', 'active'),
          (c) => c['waiting'] === 0 && c['active'] === 0,
        );
      }
      sampling = false;
      await sampler;
      expect(maxDepth).toBeLessThanOrEqual(5);
      console.log(
        `admission (BullMQ, two API servers, capacity 5): 3 rounds of 50 concurrent submissions → accepted ${accepted.join(', ')}; ` +
          `largest queue depth sampled (waiting + running): ${maxDepth}`,
      );
    } finally {
      sampling = false;
      await sampler;
      await worker.close();
      for (const s of servers) await s.close();
      await probe.close();
    }
  });
});
