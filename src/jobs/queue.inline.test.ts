import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import type { JobRecord } from './job.js';
import { MemoryJobStore } from './job.store.memory.js';
import type { JobContext, JobHandler } from './queue.js';
import { InlineJobQueue } from './queue.inline.js';

/** Polls the store until the record is terminal. */
async function settled(store: MemoryJobStore, id: string): Promise<JobRecord> {
  for (let i = 0; i < 400; i++) {
    const rec = await store.get(id);
    if (rec && (rec.status === 'SUCCESS' || rec.status === 'FAILED')) return rec;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`job ${id} did not settle`);
}

/** A handler that counts to `n` one step per tick and stops on abort (like a reader that honours its signal). */
const counter: JobHandler<{ n: number; stepMs?: number }> = async ({ n, stepMs = 1 }, ctx: JobContext) => {
  for (let i = 1; i <= n; i++) {
    await new Promise((r) => setTimeout(r, stepMs));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.onProgress(i, n);
  }
  return { result: { sum: (n * (n + 1)) / 2 }, private: { secret: n } };
};

describe('InlineJobQueue', () => {
  it('runs PENDING → PROCESSING → SUCCESS with result, private data and final progress', async () => {
    const store = new MemoryJobStore();
    const seen: string[] = [];
    const q = new InlineJobQueue({ store, handler: counter, capacity: 1, onTransition: (s) => seen.push(s) });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 10_000 }, { n: 10 });
    expect(q.active()).toBe(1);
    const rec = await settled(store, id);
    expect(rec).toMatchObject({
      status: 'SUCCESS',
      result: { sum: 55 },
      private: { secret: 10 },
      progress: { done: 10, total: 10 },
    });
    expect(seen).toEqual(['PENDING', 'PROCESSING', 'SUCCESS']);
    await q.close();
    expect(q.active()).toBe(0);
  });

  it('refuses a job at capacity with at_capacity and frees the slot afterwards', async () => {
    const store = new MemoryJobStore();
    const q = new InlineJobQueue({ store, handler: counter, capacity: 1 });
    const a = randomUUID();
    await q.enqueue({ id: a, deadlineMs: 10_000 }, { n: 5 });
    await expect(q.enqueue({ id: randomUUID(), deadlineMs: 10_000 }, { n: 1 })).rejects.toMatchObject({
      code: 'at_capacity',
      message: 'The extraction service is at capacity. Retry later.',
    });
    await settled(store, a);
    await new Promise((r) => setTimeout(r, 5));
    expect(q.active()).toBe(0);
    await q.enqueue({ id: randomUUID(), deadlineMs: 10_000 }, { n: 1 });
    await q.close();
  });

  it('the slot is free once SUCCESS is visible: the next job is admitted at once', async () => {
    const store = new MemoryJobStore();
    const q = new InlineJobQueue({ store, handler: counter, capacity: 1 });
    for (let i = 0; i < 20; i++) {
      const id = randomUUID();
      await q.enqueue({ id, deadlineMs: 10_000 }, { n: 1, stepMs: 0 });
      expect((await settled(store, id)).status).toBe('SUCCESS');
    }
    await q.close();
  });

  it('deadline 0 fails at once with "Processing exceeded 0 ms." and the handler never runs', async () => {
    const store = new MemoryJobStore();
    let calls = 0;
    const q = new InlineJobQueue<null>({ store, capacity: 1, handler: async () => (calls++, { result: 1 }) });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 0 }, null);
    const rec = await settled(store, id);
    expect(rec).toMatchObject({ status: 'FAILED', error: 'Processing exceeded 0 ms.', code: 'deadline_exceeded' });
    expect(calls).toBe(0);
    await q.close();
  });

  it('a deadline aborts the running work through its signal', async () => {
    const store = new MemoryJobStore();
    let stoppedAt = -1;
    const q = new InlineJobQueue<null>({
      store,
      capacity: 1,
      handler: async (_in, ctx) => {
        for (let i = 0; ; i++) {
          await new Promise((r) => setTimeout(r, 2));
          if (ctx.signal.aborted) {
            stoppedAt = i;
            throw ctx.signal.reason;
          }
        }
      },
    });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 30 }, null);
    expect(await settled(store, id)).toMatchObject({ status: 'FAILED', error: 'Processing exceeded 30 ms.' });
    await q.close();
    expect(stoppedAt).toBeGreaterThan(0);
    expect(q.active()).toBe(0);
  });

  it('cancel records FAILED "Cancelled." and nothing overwrites it; a second cancel is false', async () => {
    const store = new MemoryJobStore();
    const q = new InlineJobQueue({ store, handler: counter, capacity: 2 });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 10_000 }, { n: 1000, stepMs: 2 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await q.cancel(id)).toBe(true);
    expect(await store.get(id)).toMatchObject({ status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' });
    expect(await q.cancel(id)).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    expect((await store.get(id))?.status).toBe('FAILED');
    expect(q.active()).toBe(0);
    await q.close();
  });

  it('maps failures: domain sentence kept, infrastructure errors generic', async () => {
    const store = new MemoryJobStore();
    const errors: unknown[] = [
      new AppError('time_range_empty', 'No data available within the specific requested time slice.'),
      new AppError('source_unavailable', 'GET s3://secret/bucket failed'),
      new TypeError('undefined is not a function'),
    ];
    const q = new InlineJobQueue<number>({ store, capacity: 3, handler: async (i) => Promise.reject(errors[i]) });
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) await q.enqueue({ id, deadlineMs: 1000 }, i);
    const recs = await Promise.all(ids.map((id) => settled(store, id)));
    expect(recs.map((r) => [r.error, r.code])).toEqual([
      ['No data available within the specific requested time slice.', 'time_range_empty'],
      ['An internal processing error occurred.', 'source_unavailable'],
      ['An internal processing error occurred.', 'internal_error'],
    ]);
    await q.close();
  });

  it('throttles progress writes', async () => {
    const store = new MemoryJobStore();
    let puts = 0;
    const put = store.put.bind(store);
    store.put = async (r) => (puts++, put(r));
    const q = new InlineJobQueue<null>({
      store,
      capacity: 1,
      progressIntervalMs: 1000,
      handler: async (_i, ctx) => {
        for (let i = 1; i <= 500; i++) ctx.onProgress(i, 500);
        await new Promise((r) => setTimeout(r, 20));
        return { result: null };
      },
    });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 5000 }, null);
    await settled(store, id);
    // PROCESSING, at most one progress write, SUCCESS.
    expect(puts).toBeLessThanOrEqual(3);
    await q.close();
  });

  it('close() fails running jobs with the shutdown sentence', async () => {
    const store = new MemoryJobStore();
    const q = new InlineJobQueue({ store, handler: counter, capacity: 1 });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 10_000 }, { n: 1000, stepMs: 2 });
    await q.close();
    expect(await store.get(id)).toMatchObject({
      status: 'FAILED',
      error: 'The server shut down before this job finished. Please resubmit.',
    });
    await expect(q.enqueue({ id: randomUUID(), deadlineMs: 1 }, { n: 1 })).rejects.toMatchObject({
      code: 'at_capacity',
    });
  });

  it("rewrites a running job's record every heartbeat while it makes no progress, without counting a transition", async () => {
    const store = new MemoryJobStore();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new InlineJobQueue<null>({
      store,
      capacity: 1,
      heartbeatMs: 30,
      onTransition: (st) => seen.push(st),
      handler: async () => {
        await gate;
        return { result: 1 };
      },
    });
    const id = randomUUID();
    await q.enqueue({ id, deadlineMs: 10_000 }, null);
    const updates = new Set<string>();
    for (let i = 0; i < 40 && updates.size < 3; i++) {
      const rec = await store.get(id);
      if (rec?.status === 'PROCESSING') updates.add(rec.updated);
      await new Promise((r) => setTimeout(r, 15));
    }
    // At least two heartbeats after the first PROCESSING write.
    expect(updates.size).toBeGreaterThanOrEqual(3);
    release();
    expect(await settled(store, id)).toMatchObject({ status: 'SUCCESS', result: 1 });
    expect(seen).toEqual(['PENDING', 'PROCESSING', 'SUCCESS']);
    await q.close();
  });
});
