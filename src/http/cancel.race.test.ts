/**
 * Cancel races across two inline servers sharing one job store (filesystem, and the real Redis): 50 jobs, each
 * submitted to one server and cancelled through the other after a random (seeded) delay. Every cancel either wins —
 * 200, the record FAILED `Cancelled.` for good, the work stopped — or comes after the job finished — 409
 * `job_finished`, the record SUCCESS for good. Never a cancelled record that turns PROCESSING or SUCCESS again.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../jobs/job.js';
import { InlineJobQueue } from '../jobs/queue.inline.js';
import type { JobQueue } from '../jobs/queue.js';
import type { ExtractRequest } from '../timeseries/types.js';
import { REDIS_URL, redisUp, requireTool } from '../../test/support/env.js';
import { dataForFile, startApp } from '../../test/support/http.js';
import { rng, steppingHandler, waitFor, type StepInput, type StepLog } from '../../test/support/job.race.js';
import { extractPayload } from '../../test/support/testdata.js';

const files = dataForFile();
let hasRedis = false;
beforeAll(async () => {
  hasRedis = requireTool('redis', await redisUp(REDIS_URL));
});

const JOBS = 50;
const AT_ONCE = 10;
const STEPS = 30;
const STEP_MS = 5;
const CANCEL_CHECK_MS = 50;

/** The server's queue, running the stepping handler instead of extractions (the job id keys its log). */
function steppingQueue(inner: InlineJobQueue<StepInput>): JobQueue<ExtractRequest> {
  return {
    capacity: inner.capacity,
    enqueue: (job) => inner.enqueue(job, { key: job.id, steps: STEPS, stepMs: STEP_MS }),
    cancel: (id) => inner.cancel(id),
    close: () => inner.close(),
    active: () => inner.active(),
  };
}

describe.each(['fs', 'redis'] as const)('cancel across two inline servers sharing the %s store', (kind) => {
  it(`${JOBS} cancels at random moments: FAILED "Cancelled." for good and the work stopped, or 409 after SUCCESS`, async (ctx) => {
    if (kind === 'redis' && !hasRedis) return ctx.skip();
    const dir = await mkdtemp(join(tmpdir(), 'skope-cancel-race-'));
    const env = {
      ...files.data.env,
      JOB_STORE: kind,
      JOB_DIR: dir,
      REDIS_URL,
      REDIS_PREFIX: `skope-cancel-race:${randomUUID()}:`,
      QUEUE: 'inline',
    };
    const servers = [await startApp(env, { inline: true }), await startApp(env, { inline: true })];
    const logs = new Map<string, StepLog>();
    const queues = servers.map((s) => {
      const q = new InlineJobQueue<StepInput>({
        store: s.deps.store, // each server its own store instance over the same data
        capacity: AT_ONCE,
        handler: steppingHandler(logs),
        cancelCheckMs: CANCEL_CHECK_MS,
        heartbeatMs: 40,
        progressIntervalMs: 20,
      });
      s.deps.queue = steppingQueue(q);
      return q;
    });
    const rand = rng(20261206);
    const outcomes: { id: string; status: number; body: Record<string, unknown>; stopMs: number }[] = [];
    try {
      const one = async (i: number, delay: number, runsOn: number): Promise<void> => {
        const runner = servers[runsOn];
        const other = servers[1 - runsOn];
        if (!runner || !other) throw new Error('no server');
        const res = await runner.app.inject({ method: 'POST', url: '/timeseries/extract', payload: extractPayload() });
        expect(res.statusCode, `job ${i}`).toBe(202);
        const id = res.json<{ job_id: string }>().job_id;
        await new Promise((r) => setTimeout(r, delay));
        const del = await other.app.inject({ method: 'DELETE', url: `/timeseries/status/${id}` });
        const at = Date.now();
        const log = await waitFor(
          () => logs.get(id),
          (l) => l?.settled === true,
          5_000,
        );
        outcomes.push({
          id,
          status: del.statusCode,
          body: del.json(),
          stopMs: Math.max(0, (log?.settledAt ?? at) - at),
        });
      };
      for (let b = 0; b < JOBS / AT_ONCE; b++) {
        await Promise.all(
          Array.from({ length: AT_ONCE }, (_, k) =>
            one(b * AT_ONCE + k, Math.floor(rand() * 220), rand() < 0.5 ? 0 : 1),
          ),
        );
      }
      // Let every heartbeat, progress write and cancel check that could still come, come.
      await new Promise((r) => setTimeout(r, 400));
      const store = servers[0]?.deps.store;
      let aborted = 0;
      let completedThenCancelled = 0;
      let finished = 0;
      for (const o of outcomes) {
        const rec = (await store?.get(o.id)) as JobRecord;
        const log = logs.get(o.id) as StepLog;
        if (o.status === 200) {
          expect(o.body).toMatchObject({ status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' });
          expect(rec).toMatchObject({ status: 'FAILED', error: 'Cancelled.', code: 'job_cancelled' });
          if (log.aborted) {
            aborted++;
            expect(log.steps).toBeLessThan(STEPS);
          } else completedThenCancelled++;
        } else {
          expect(o.status).toBe(409);
          expect(o.body).toEqual({ detail: 'Job already finished: SUCCESS.', code: 'job_finished' });
          expect(rec).toMatchObject({ status: 'SUCCESS', result: { sum: (STEPS * (STEPS + 1)) / 2 } });
          expect(log.completed).toBe(true);
          finished++;
        }
      }
      // The seeded delays include short ones: some cancels certainly land mid-work (how many finish first depends on the
      // machine's speed, so it is printed, not asserted).
      expect(aborted).toBeGreaterThan(5);
      expect(aborted + completedThenCancelled + finished).toBe(JOBS);
      const stops = outcomes
        .filter((o) => o.status === 200)
        .map((o) => o.stopMs)
        .sort((x, y) => x - y);
      const p = (q: number): number => stops[Math.min(stops.length - 1, Math.floor(q * stops.length))] ?? 0;
      console.log(
        `cancel race (${kind}, two inline servers): ${JOBS} jobs → ${aborted} cancelled mid-work, ` +
          `${completedThenCancelled} cancelled between the work's end and its SUCCESS write, ${finished} finished first (409); ` +
          `work stopped after the DELETE answered: median ${p(0.5)} ms, max ${p(1)} ms; 0 cancels undone`,
      );
    } finally {
      for (const q of queues) await q.close();
      for (const s of servers) await s.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
