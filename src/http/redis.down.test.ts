/**
 * Redis hangs (SIGSTOP), goes down and comes back, with a Redis of the test's own (`test/support/redis.server.ts`):
 * while it hangs or is down
 * POST /timeseries/extract answers 503 `store_unavailable` with `Retry-After` within 2 s (no request waits for
 * Redis), /readyz answers 503 naming the failing check (no host or URL), tiles and /metadata keep serving; once it
 * is back, everything works again within 5 s, without a restart. In both queue modes over the Redis job store.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/env.js';
import { dataForFile, startApp, waitForJob } from '../../test/support/http.js';
import { HAS_REDIS_SERVER, ownRedis, type OwnRedis } from '../../test/support/redis.server.js';
import { extractPayload } from '../../test/support/testdata.js';

const files = dataForFile();
let redis: OwnRedis | null = null;
beforeAll(async () => {
  if (requireTool('redis', HAS_REDIS_SERVER())) redis = await ownRedis();
});
afterAll(async () => {
  await redis?.remove();
});

const TILE = '/tiles/test-annual/ppt/0003/6/10/23.png';

describe.each(['bullmq', 'inline'] as const)('Redis down and back (QUEUE=%s, Redis job store)', (queue) => {
  it('503 + Retry-After fast while down, /readyz 503, tiles and /metadata serve; full service again once back', async (ctx) => {
    if (redis === null) return ctx.skip();
    const r = redis;
    const env = {
      ...files.data.env,
      JOB_STORE: 'redis',
      REDIS_URL: r.url,
      REDIS_PREFIX: `skope-down-test:${randomUUID()}:`,
      QUEUE: queue,
      WORKER_POOL_SIZE: '1',
    };
    const { app } = await startApp(env, { inline: true });
    const post = () => app.inject({ method: 'POST', url: '/timeseries/extract', payload: extractPayload() });
    try {
      const first = await post();
      expect(first.statusCode).toBe(202);
      expect((await waitForJob(app, first.json<{ job_id: string }>().job_id))['status']).toBe('SUCCESS');

      // Frozen: connections stay open, nothing answers (a hung server, a network black hole).
      r.freeze(true);
      const frozen: number[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const t0 = performance.now();
          const res = await post();
          frozen.push(performance.now() - t0);
          expect(res.statusCode).toBe(503);
          expect(res.headers['retry-after']).toBe('5');
        }
        const ready = await app.inject({ method: 'GET', url: '/readyz' });
        expect(ready.statusCode).toBe(503);
      } finally {
        r.freeze(false);
      }
      expect(Math.max(...frozen)).toBeLessThan(2_000);

      await r.stop();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const res = await post();
        times.push(performance.now() - t0);
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.json()).toEqual({
          detail: 'The job store is temporarily unavailable. Retry later.',
          code: 'store_unavailable',
        });
      }
      expect(Math.max(...times)).toBeLessThan(2_000);
      const t1 = performance.now();
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      const readyMs = performance.now() - t1;
      expect(ready.statusCode).toBe(503);
      const checks = ready.json<{ checks: Record<string, string> }>().checks;
      expect(checks['store']).toBe('unavailable');
      expect(checks['storage']).toBe('ok');
      expect(ready.body).not.toContain('127.0.0.1');
      expect(ready.body).not.toContain(String(r.port));
      expect((await app.inject({ method: 'GET', url: '/metadata' })).statusCode).toBe(200);
      const tile = await app.inject({ method: 'GET', url: TILE });
      expect(tile.statusCode).toBe(200);
      expect(tile.headers['content-type']).toBe('image/png');

      await r.start();
      const back = performance.now();
      let readyAgainMs = -1;
      for (;;) {
        const res = await app.inject({ method: 'GET', url: '/readyz' });
        if (res.statusCode === 200) {
          readyAgainMs = performance.now() - back;
          break;
        }
        if (performance.now() - back > 5_000) throw new Error(`/readyz still ${res.statusCode}: ${res.body}`);
        await new Promise((res2) => setTimeout(res2, 50));
      }
      let accepted = await post();
      while (accepted.statusCode !== 202 && performance.now() - back < 5_000) {
        await new Promise((res2) => setTimeout(res2, 50));
        accepted = await post();
      }
      expect(accepted.statusCode).toBe(202);
      const job = await waitForJob(app, accepted.json<{ job_id: string }>().job_id, 10_000);
      expect(job['status']).toBe('SUCCESS');
      const serviceMs = performance.now() - back;
      expect(serviceMs).toBeLessThan(5_000 + 2_000); // accepted within 5 s, then the job's own run
      console.log(
        `Redis frozen (QUEUE=${queue}): extract → 503 + Retry-After in max ${Math.round(Math.max(...frozen))} ms; ` +
          `Redis down: 5 extract submissions → 503 + Retry-After in max ${Math.round(Math.max(...times))} ms; ` +
          `/readyz 503 in ${Math.round(readyMs)} ms; tile and /metadata 200; after the restart /readyz 200 in ` +
          `${Math.round(readyAgainMs)} ms, a new extraction SUCCESS ${Math.round(serviceMs)} ms after Redis was back`,
      );
    } finally {
      if (redis !== null) await redis.start().catch(() => undefined);
      await app.close();
    }
  }, 60_000);
});
