/**
 * Workers killed mid-job (BullMQ mode, real Redis, real child processes): three `skope worker` processes
 * (`test/support/bull.child.ts`), 20 extraction jobs, two workers SIGKILLed at random (seeded) moments. BullMQ's
 * stalled-job check hands their jobs to the surviving worker: all 20 records end SUCCESS with the same numbers as an
 * undisturbed run, none lost. With no retries allowed (`WORKER_MAX_STALLS=0`), a killed worker's job ends FAILED with
 * a clear sentence instead — never a record left unfinished. A worker stopped with SIGTERM hands its running jobs
 * back to the queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QueueEvents } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import { boxPolygon } from '../geo/box.js';
import { LOST_MESSAGE } from '../jobs/queue.js';
import { REDIS_URL, redisUp, requireTool } from '../../test/support/env.js';
import { dataForFile, extractAndWait, startApp, waitForJob } from '../../test/support/http.js';
import { rng } from '../../test/support/job.race.js';
import { extractPayload } from '../../test/support/testdata.js';

const files = dataForFile();
let ok = false;
beforeAll(async () => {
  ok = requireTool('redis', await redisUp(REDIS_URL));
});

/** 20 different extractions of the 5×5 test grid (one or two cells, mean or median, two transforms). */
function payloads(): Record<string, unknown>[] {
  return Array.from({ length: 20 }, (_, i) => {
    const c = i % 5;
    const r = Math.floor(i / 5);
    const w = i % 2 === 0 ? 1 : 2;
    const [x0, y1] = [-123 + c, 45 - r];
    const [x1, y0] = [Math.min(-118, x0 + w), y1 - 1];
    return extractPayload({
      selected_area: boxPolygon(x0, y0, x1, y1),
      zonal_statistic: i % 3 === 0 ? 'median' : 'mean',
      transform:
        i % 4 === 0
          ? { type: 'ZScoreFixedInterval', time_range: { gte: '0001', lte: '0005' } }
          : { type: 'NoTransform' },
    });
  });
}

/** Starts a worker child; resolves once it takes jobs. */
async function worker(env: Record<string, string>, delayMs: number): Promise<ChildProcess> {
  // node itself (not the tsx CLI, which would fork a grandchild that survives the kill).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      fileURLToPath(new URL('../../test/support/bull.child.ts', import.meta.url)),
      JSON.stringify({ env, delayMs }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
  return child;
}

function distributedEnv(extra: Record<string, string>): Record<string, string> {
  return {
    ...files.data.env,
    JOB_STORE: 'redis',
    REDIS_URL,
    REDIS_PREFIX: `skope-kill-test:${randomUUID()}:`,
    QUEUE: 'bullmq',
    EMBEDDED_WORKER: 'false',
    MAX_CONCURRENT_JOBS: '32',
    WORKER_POOL_SIZE: '2',
    // Fast takeover for the test: a dead worker's lock lapses after 1 s, stalled jobs are looked for every 0.3 s.
    WORKER_LOCK_MS: '1000',
    WORKER_STALLED_CHECK_MS: '300',
    ...extra,
  };
}

describe('QUEUE=bullmq: workers SIGKILLed mid-job', () => {
  it('3 workers, 20 jobs, 2 killed at random moments → 20 SUCCESS with the numbers of an undisturbed run', async (ctx) => {
    if (!ok) return ctx.skip();
    const jobs = payloads();
    // The undisturbed run: the same requests on an inline server.
    const ref = await startApp(
      { ...files.data.env, JOB_STORE: 'memory', QUEUE: 'inline', MAX_CONCURRENT_JOBS: '32' },
      { inline: true },
    );
    const expected: unknown[] = [];
    try {
      for (const p of jobs) {
        const { status } = await extractAndWait(ref.app, p);
        expect(status['status']).toBe('SUCCESS');
        expected.push(status['result']);
      }
    } finally {
      await ref.app.close();
    }

    const env = distributedEnv({ WORKER_MAX_STALLS: '2' });
    const { app } = await startApp(env, { inline: true });
    const events = new QueueEvents('extract', {
      connection: { url: REDIS_URL },
      prefix: `${env['REDIS_PREFIX']}skope`,
    });
    const stalled = new Set<string>();
    events.on('stalled', ({ jobId }) => stalled.add(jobId));
    const children: ChildProcess[] = [];
    try {
      await events.waitUntilReady();
      for (let i = 0; i < 3; i++) children.push(await worker(env, 600));
      const t0 = Date.now();
      const ids: string[] = [];
      for (const p of jobs) {
        const res = await app.inject({ method: 'POST', url: '/timeseries/extract', payload: p });
        expect(res.statusCode).toBe(202);
        ids.push(res.json<{ job_id: string }>().job_id);
      }
      const rand = rng(2026_12_06);
      const killAt = [300 + Math.floor(rand() * 1200), 300 + Math.floor(rand() * 1200)];
      const victims = rand() < 0.5 ? [0, 1] : [1, 2];
      await Promise.all(
        victims.map(async (v, k) => {
          await new Promise((r) => setTimeout(r, (killAt[k] ?? 0) - (Date.now() - t0)));
          children[v]?.kill('SIGKILL');
        }),
      );
      const statuses = [];
      for (const id of ids) statuses.push(await waitForJob(app, id, 60_000));
      const allMs = Date.now() - t0;
      expect(statuses.map((s) => s['status'])).toEqual(ids.map(() => 'SUCCESS'));
      statuses.forEach((s, i) => expect(s['result'], `job ${i}`).toEqual(expected[i]));
      // The kills hit running jobs: BullMQ took some over.
      expect(stalled.size).toBeGreaterThan(0);
      console.log(
        `workers killed (BullMQ, 3 workers × 2 slots, 20 jobs of 0.6 s + extraction): SIGKILL at ${killAt.join(' and ')} ms → ` +
          `${stalled.size} jobs taken over by the surviving worker; 20/20 SUCCESS, results identical to the undisturbed run; ` +
          `all done in ${allMs} ms`,
      );
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await events.close();
      await app.close();
    }
  }, 120_000);

  it('with no retries allowed, a killed worker’s job ends FAILED with a clear sentence, never unfinished', async (ctx) => {
    if (!ok) return ctx.skip();
    const env = distributedEnv({ WORKER_MAX_STALLS: '0' });
    const { app } = await startApp(env, { inline: true });
    const children: ChildProcess[] = [];
    try {
      children.push(await worker(env, 5_000));
      const res = await app.inject({ method: 'POST', url: '/timeseries/extract', payload: extractPayload() });
      expect(res.statusCode).toBe(202);
      const id = res.json<{ job_id: string }>().job_id;
      for (;;) {
        const st = await app.inject({ method: 'GET', url: `/timeseries/status/${id}` });
        if (st.json<{ status: string }>().status === 'PROCESSING') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      children[0]?.kill('SIGKILL');
      children.push(await worker(env, 0));
      const t0 = Date.now();
      const status = await waitForJob(app, id, 20_000);
      expect(status).toMatchObject({ status: 'FAILED', error: LOST_MESSAGE, code: 'internal_error' });
      console.log(`worker killed, WORKER_MAX_STALLS=0: FAILED "${LOST_MESSAGE}" ${Date.now() - t0} ms after the kill`);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await app.close();
    }
  }, 60_000);

  it('a worker stopped with SIGTERM mid-job hands its jobs back: another worker finishes them, nothing FAILED', async (ctx) => {
    if (!ok) return ctx.skip();
    const env = distributedEnv({ WORKER_MAX_STALLS: '0' }); // a takeover by stall would fail the jobs: this is no stall
    const { app } = await startApp(env, { inline: true });
    const children: ChildProcess[] = [];
    try {
      const first = await worker(env, 10_000);
      children.push(first);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({ method: 'POST', url: '/timeseries/extract', payload: extractPayload() });
        expect(res.statusCode).toBe(202);
        ids.push(res.json<{ job_id: string }>().job_id);
      }
      for (const id of ids)
        for (;;) {
          const st = await app.inject({ method: 'GET', url: `/timeseries/status/${id}` });
          if (st.json<{ status: string }>().status === 'PROCESSING') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      const exited = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));
      first.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const id of ids)
        expect((await app.inject({ method: 'GET', url: `/timeseries/status/${id}` })).json()).toMatchObject({
          status: 'PROCESSING',
        });
      children.push(await worker(env, 0));
      const t0 = Date.now();
      for (const id of ids)
        expect(await waitForJob(app, id, 20_000)).toMatchObject({ status: 'SUCCESS', result: { n_cells: 1 } });
      console.log(
        `worker stopped with SIGTERM holding 2 jobs: both SUCCESS on the next worker ${Date.now() - t0} ms after it started`,
      );
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await app.close();
    }
  }, 60_000);
});
