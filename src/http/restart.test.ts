/**
 * A server restart with a persistent job store (filesystem, and the real Redis on 127.0.0.1:6379): finished jobs
 * survive (status and analyze still work); jobs a previous process left PENDING/PROCESSING, unwritten for longer than
 * the orphan lease, are failed with a clear sentence at start-up. With Redis the queue is BullMQ (the default then): only records with no queued job
 * are orphans.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORPHAN_MESSAGE } from '../jobs/queue.js';
import { REDIS_URL, redisUp, requireTool } from '../../test/support/env.js';
import { analyzeRaw, dataForFile, extractAndWait, startApp } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';

const files = dataForFile();
let hasRedis = false;
beforeAll(async () => {
  hasRedis = requireTool('redis', await redisUp(REDIS_URL));
});

describe.each(['fs', 'redis'] as const)('restart with the %s store', (store) => {
  it('keeps finished jobs and fails orphans', async (ctx) => {
    if (store === 'redis' && !hasRedis) return ctx.skip();
    // A fixed port: the server's name in its records is host:port, the same after the restart.
    const env = {
      ...files.data.env,
      PORT: '8123',
      JOB_STORE: store,
      REDIS_URL,
      REDIS_PREFIX: `skope-restart-test:${randomUUID()}:`,
    };
    const first = await startApp(env);
    const { id } = await extractAndWait(first.app, extractPayload());
    // A job the previous process was running when it died (its record last written a minute ago), and one that
    // another live server is running (written just now: running jobs are rewritten every few seconds).
    const orphan = randomUUID();
    const live = randomUUID();
    const now = new Date().toISOString();
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    await first.deps.store.create({
      v: 1,
      id: orphan,
      status: 'PROCESSING',
      created: minuteAgo,
      updated: minuteAgo,
      progress: { done: 2, total: 5 },
    });
    await first.deps.store.create({ v: 1, id: live, status: 'PROCESSING', created: now, updated: now });
    // And one this same server (same host and port) was running a moment ago: its predecessor, so an orphan at once.
    const own = randomUUID();
    const name = `${hostname()}:8123`;
    // (Inline queue only: BullMQ workers name themselves.)
    if (store === 'fs') expect((await first.deps.store.get(id))?.owner).toBe(name);
    await first.deps.store.create({ v: 1, id: own, status: 'PROCESSING', created: now, updated: now, owner: name });
    await first.app.close();

    const second = await startApp(env);
    try {
      const status = await second.app.inject({ method: 'GET', url: `/timeseries/status/${id}` });
      expect(status.json()).toMatchObject({ status: 'SUCCESS', result: { n_cells: 1 } });
      const analyze = await analyzeRaw(second.app, id, '0005', '0005');
      expect(analyze.statusCode).toBe(200);
      expect(analyze.json<{ series: { values: number[] }[] }>().series[0]?.values[0]).toBeCloseTo(511.1, 4);
      const failed = await second.app.inject({ method: 'GET', url: `/timeseries/status/${orphan}` });
      expect(failed.json()).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
      if (store === 'fs') {
        // Inline queue: the other server's running job is left alone. (With Redis the queue is BullMQ, whose
        // recovery asks the queue instead: a record with no live job in the queue, unwritten for the lease, is an
        // orphan.)
        const running = await second.app.inject({ method: 'GET', url: `/timeseries/status/${live}` });
        expect(running.json()).toMatchObject({ status: 'PROCESSING' });
        const predecessor = await second.app.inject({ method: 'GET', url: `/timeseries/status/${own}` });
        expect(predecessor.json()).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
      }
    } finally {
      await second.app.close();
    }
  });
});
