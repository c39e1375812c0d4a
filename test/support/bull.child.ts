/**
 * Test child: a `skope worker` process as `src/deps.ts` composes it (the settings, the Redis job store, the real
 * extraction handler on the worker's own COGs), except that each job first waits `delayMs` (stopping on abort), so
 * the parent can SIGKILL this process while it holds jobs. argv[2]: JSON { env: settings as environment variables,
 * delayMs }. Prints `ready` once it takes jobs.
 */
import { loadConfig } from '../../src/config/config.js';
import { openData } from '../../src/deps.js';
import { loadGeometryEngine } from '../../src/geo/geos.js';
import { createJobStore } from '../../src/jobs/job.store.open.js';
import type { JobHandler } from '../../src/jobs/queue.js';
import { startWorkerProcess } from '../../src/jobs/worker.process.js';
import { createExtraction, extractionJobHandler } from '../../src/timeseries/extraction.js';
import type { ExtractRequest } from '../../src/timeseries/types.js';

const { env, delayMs } = JSON.parse(process.argv[2] ?? '{}') as { env: Record<string, string>; delayMs: number };
const config = loadConfig(env);
const worker = await startWorkerProcess<ExtractRequest>(config, async () => {
  const { cogs, datasets } = await openData(config);
  const store = await createJobStore(config);
  const extraction = createExtraction(config, datasets, cogs, await loadGeometryEngine(), { inline: true });
  const extract = extractionJobHandler(extraction.service);
  const handler: JobHandler<ExtractRequest> = async (input, ctx) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delayMs);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason as Error)), {
        once: true,
      });
    });
    return extract(input, ctx);
  };
  return {
    store,
    handler,
    async close() {
      await extraction.close();
      await store.close();
      await cogs.close();
    },
  };
});
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
process.stdout.write('ready\n');
