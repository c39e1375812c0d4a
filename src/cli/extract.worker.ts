/**
 * Worker-thread entry of the extraction pool: builds its own runtime (registry, lookups, sources, block and COG
 * caches) once from the serialisable config in `workerData`, then runs extractions with cancellation and progress.
 */
import { workerData } from 'node:worker_threads';
import type { ExtractionOutput } from '../app.js';
import type { Config } from '../config/config.js';
import { createRuntime, type Runtime } from '../deps.js';
import { defineWorkerTask } from '../jobs/pool.js';
import { runExtraction } from '../timeseries/extract.js';
import type { ExtractRequest } from '../timeseries/types.js';

const { config } = workerData as { config: Config };
let runtime: Promise<Runtime> | null = null;

export default defineWorkerTask<ExtractRequest, ExtractionOutput>(async (request, ctx) => {
  // Built once per thread; a failed build is retried by the next task.
  runtime ??= createRuntime(config).catch((err: unknown) => {
    runtime = null;
    throw err;
  });
  const rt = await runtime;
  return runExtraction(request, rt.extractDeps, ctx);
});
