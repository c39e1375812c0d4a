/**
 * Distributed mode (`QUEUE=bullmq`) over HTTP: an API server with QUEUE=bullmq and no embedded worker, plus a
 * separate worker (`startExtractionWorker`, what `skope worker` runs) sharing the real Redis job store.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startExtractionWorker } from '../deps.js';
import { REDIS_URL, redisUp, requireTool } from '../../test/support/env.js';
import { analyzeRaw, closeTo, dataForFile, extractAndWait, startApp } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';

const files = dataForFile();
let ok = false;
beforeAll(async () => {
  ok = requireTool('redis', await redisUp());
});

describe('QUEUE=bullmq: API server + separate worker', () => {
  it('an extraction submitted to the API is run by the worker; analyze works on its record', async (ctx) => {
    if (!ok) return ctx.skip();
    const env = {
      ...files.data.env,
      JOB_STORE: 'redis',
      REDIS_URL,
      REDIS_PREFIX: `skope-dist-test:${randomUUID()}:`,
      QUEUE: 'bullmq',
      EMBEDDED_WORKER: 'false',
    };
    const { app } = await startApp(env);
    const worker = await startExtractionWorker(loadConfig(env));
    try {
      const { id, status } = await extractAndWait(app, extractPayload());
      expect(status['status']).toBe('SUCCESS');
      const values = (status['result'] as { series: { values: number[] }[] }).series[0]?.values;
      expect(closeTo(values, [111.1, 211.1, 311.1, 411.1, 511.1])).toBe(true);
      const analyze = await analyzeRaw(app, id, '0002', '0003');
      expect(closeTo(analyze.json<{ series: { values: number[] }[] }>().series[0]?.values, [211.1, 311.1])).toBe(true);
      const failed = await extractAndWait(app, extractPayload({ max_processing_time: 0 }));
      expect(failed.status).toMatchObject({ status: 'FAILED', error: 'Processing exceeded 0 ms.' });
    } finally {
      await worker.close();
      await app.close();
    }
  });

  it('the configuration refuses bullmq without the Redis job store', () => {
    expect(() => loadConfig({ QUEUE: 'bullmq', JOB_STORE: 'fs' })).toThrow(
      'QUEUE: `bullmq` needs the shared Redis job store (REDIS_URL, JOB_STORE=redis).',
    );
  });
});
