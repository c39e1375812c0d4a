/**
 * The BullMQ queue and worker on the real Redis (127.0.0.1:6379): global capacity, records written by the worker,
 * cancel of waiting and running jobs. (Workers killed mid-job: `src/http/worker.kill.test.ts`.)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, redisUp, requireTool } from '../../test/support/env.js';
import type { JobRecord } from './job.js';
import { RedisJobStore } from './job.store.redis.js';
import { ORPHAN_MESSAGE, type JobHandler } from './queue.js';
import { BullMqJobQueue, closeStep, startBullWorker, type BullWorker } from './queue.bullmq.js';
import { MemoryJobStore } from './job.store.memory.js';
import { HAS_REDIS_SERVER, ownRedis } from '../../test/support/redis.server.js';

let ok = false;
const run = `t${randomUUID().slice(0, 8)}`;
let store: RedisJobStore;
beforeAll(async () => {
  ok = requireTool('redis', await redisUp());
  if (ok) store = new RedisJobStore({ url: REDIS_URL, prefix: `skope-bull-test:${run}:` });
});
afterAll(async () => {
  await store?.close();
});

async function until(id: string, pred: (r: JobRecord | null) => boolean, ms = 20_000): Promise<JobRecord | null> {
  const end = Date.now() + ms;
  for (;;) {
    const rec = await store.get(id);
    if (pred(rec)) return rec;
    if (Date.now() > end) throw new Error(`timeout waiting for ${id}: ${JSON.stringify(rec)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const done = (r: JobRecord | null): boolean => r?.status === 'SUCCESS' || r?.status === 'FAILED';

const adder: JobHandler<{ n: number; stepMs?: number }> = async ({ n, stepMs = 1 }, ctx) => {
  for (let i = 1; i <= n; i++) {
    await new Promise((r) => setTimeout(r, stepMs));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.onProgress(i, n);
  }
  return { result: { sum: (n * (n + 1)) / 2 }, private: { n } };
};

describe('BullMQ queue + worker (real Redis)', () => {
  it('a worker runs enqueued jobs and writes the same records as the inline queue', async (ctx) => {
    if (!ok) return ctx.skip();
    const prefix = `${run}a`;
    const queue = new BullMqJobQueue<{ n: number }>({ url: REDIS_URL, prefix, store, capacity: 5 });
    const worker = await startBullWorker({ url: REDIS_URL, prefix, store, handler: adder, concurrency: 2 });
    try {
      const ids = [randomUUID(), randomUUID()];
      await queue.enqueue({ id: ids[0] as string, deadlineMs: 10_000 }, { n: 10 });
      await queue.enqueue({ id: ids[1] as string, deadlineMs: 0 }, { n: 10 });
      expect(await until(ids[0] as string, done)).toMatchObject({
        status: 'SUCCESS',
        result: { sum: 55 },
        private: { n: 10 },
        progress: { done: 10, total: 10 },
      });
      expect(await until(ids[1] as string, done)).toMatchObject({
        status: 'FAILED',
        error: 'Processing exceeded 0 ms.',
      });
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('capacity is the global queue depth; a waiting job cancelled never runs', async (ctx) => {
    if (!ok) return ctx.skip();
    const prefix = `${run}b`;
    const queue = new BullMqJobQueue<{ n: number }>({ url: REDIS_URL, prefix, store, capacity: 1 });
    let worker: BullWorker | null = null;
    try {
      const a = randomUUID();
      await queue.enqueue({ id: a, deadlineMs: 10_000 }, { n: 1 });
      await expect(queue.enqueue({ id: randomUUID(), deadlineMs: 10_000 }, { n: 1 })).rejects.toMatchObject({
        code: 'at_capacity',
      });
      expect(queue.active()).toBe(1);
      expect(await queue.cancel(a)).toBe(true);
      expect(await store.get(a)).toMatchObject({ status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' });
      let calls = 0;
      worker = await startBullWorker<{ n: number }>({
        url: REDIS_URL,
        prefix,
        store,
        concurrency: 1,
        handler: async () => (calls++, { result: 1 }),
      });
      const b = randomUUID();
      await queue.enqueue({ id: b, deadlineMs: 10_000 }, { n: 1 });
      await until(b, done);
      expect(calls).toBe(1);
      expect((await store.get(a))?.status).toBe('FAILED');
      expect(await queue.cancel(a)).toBe(false);
    } finally {
      await worker?.close();
      await queue.close();
    }
  });

  it('cancel reaches a running job on its worker', async (ctx) => {
    if (!ok) return ctx.skip();
    const prefix = `${run}c`;
    const queue = new BullMqJobQueue<{ n: number; stepMs: number }>({ url: REDIS_URL, prefix, store, capacity: 2 });
    let stoppedAt = 0;
    const worker = await startBullWorker<{ n: number; stepMs: number }>({
      url: REDIS_URL,
      prefix,
      store,
      concurrency: 1,
      handler: async (input, c) => {
        for (let i = 1; i <= input.n; i++) {
          await new Promise((r) => setTimeout(r, input.stepMs));
          if (c.signal.aborted) {
            stoppedAt = i;
            throw c.signal.reason;
          }
          c.onProgress(i, input.n);
        }
        return { result: 'finished' };
      },
    });
    try {
      const id = randomUUID();
      await queue.enqueue({ id, deadlineMs: 60_000 }, { n: 100_000, stepMs: 2 });
      await until(id, (r) => r?.status === 'PROCESSING');
      expect(await queue.cancel(id)).toBe(true);
      await until(id, () => stoppedAt > 0, 10_000);
      expect(await store.get(id)).toMatchObject({ status: 'FAILED', error: 'Cancelled.' });
      expect(stoppedAt).toBeLessThan(100_000);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('the orphan sweep fails stale unfinished records whose job is in no live queue state, and only those', async (ctx) => {
    if (!ok) return ctx.skip();
    const prefix = `${run}o`;
    const queue = new BullMqJobQueue<{ n: number }>({ url: REDIS_URL, prefix, store, capacity: 5 });
    try {
      const minuteAgo = new Date(Date.now() - 60_000).toISOString();
      const lost = randomUUID(); // stale, no job in the queue (its worker's job was removed)
      await store.create({ v: 1, id: lost, status: 'PROCESSING', created: minuteAgo, updated: minuteAgo });
      const fresh = randomUUID(); // no job yet, but just written (an API server between create and add)
      const now = new Date().toISOString();
      await store.create({ v: 1, id: fresh, status: 'PENDING', created: now, updated: now });
      const waiting = randomUUID(); // stale record, but its job waits in the queue (no worker)
      await queue.enqueue({ id: waiting, deadlineMs: 10_000 }, { n: 1 });
      const rec = (await store.get(waiting)) as JobRecord;
      expect(await store.put({ ...rec, updated: minuteAgo })).toBe(true);
      expect(await queue.failOrphans(30_000)).toBe(1);
      expect(await store.get(lost)).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
      expect(await store.get(fresh)).toMatchObject({ status: 'PENDING' });
      expect(await store.get(waiting)).toMatchObject({ status: 'PENDING' });
      expect(await queue.cancel(waiting)).toBe(true);
      expect(await queue.cancel(fresh)).toBe(true);
    } finally {
      await queue.close();
    }
  });
});

describe('BullMQ shutdown while its Redis hangs (a Redis of the test’s own, SIGSTOPped)', () => {
  it('the queue and the worker close within their bounded steps, each hang reported: the process can exit', async (ctx) => {
    if (!requireTool('redis', HAS_REDIS_SERVER())) return ctx.skip();
    const r = await ownRedis();
    const logged: string[] = [];
    const log = { error: (_obj: unknown, msg?: string) => void logged.push(msg ?? '') };
    const prefix = `${run}h`;
    const mem = new MemoryJobStore();
    try {
      const queue = new BullMqJobQueue<{ n: number }>({
        url: r.url,
        prefix,
        store: mem,
        capacity: 5,
        log,
        closeStepMs: 300,
      });
      await queue.connected(5_000);
      const worker = await startBullWorker({
        url: r.url,
        prefix,
        store: mem,
        handler: adder,
        concurrency: 1,
        log,
        closeStepMs: 300,
      });
      r.freeze(true);
      // QUIT to a server that answers nothing never returns: without the bounds these would wait for ever.
      await worker.close();
      await queue.close();
      expect(logged.some((m) => /did not finish within 300 ms/.test(m))).toBe(true);
    } finally {
      r.freeze(false);
      await r.remove();
    }
  }, 30_000);
});

describe('closeStep', () => {
  it('in time: true; late: false after the bound, reported; a rejection: reported, not thrown', async () => {
    const logged: string[] = [];
    const log = { error: (_obj: unknown, msg?: string) => void logged.push(msg ?? '') };
    expect(await closeStep('quick', Promise.resolve(), log, 50)).toBe(true);
    expect(await closeStep('never', new Promise(() => undefined), log, 50)).toBe(false);
    // A step that rejects after its bound has passed must not surface as an unhandled rejection.
    let fail!: (e: Error) => void;
    const late = new Promise((_, reject) => (fail = reject));
    expect(await closeStep('late', late, log, 20)).toBe(false);
    fail(new Error('connection is closed'));
    expect(await closeStep('rejects', Promise.reject(new Error('boom')), log, 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(logged).toEqual([
      'never did not finish within 50 ms; shutting down without it',
      'late did not finish within 20 ms; shutting down without it',
      'late failed during shutdown',
      'rejects failed during shutdown',
    ]);
  });
});
