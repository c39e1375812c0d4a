/**
 * Test child: a BullMQ worker whose handler hangs, so the parent can SIGKILL this process mid-job and check that
 * another worker takes the job over. argv[2]: JSON { url, prefix, storePrefix }.
 */
import { RedisJobStore } from '../../src/jobs/job.store.redis.js';
import { startBullWorker } from '../../src/jobs/queue.bullmq.js';

const { url, prefix, storePrefix } = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  prefix: string;
  storePrefix: string;
};
const store = new RedisJobStore({ url, prefix: storePrefix });
await startBullWorker<unknown>({
  url,
  prefix,
  store,
  concurrency: 1,
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
  handler: async (_input, ctx) => {
    ctx.onProgress(1, 2);
    await new Promise(() => undefined);
    return { result: null };
  },
});
process.stdout.write('ready\n');
