/**
 * Worker-thread entry of the extraction pool: builds its own runtime (sources, block and COG caches) once from the
 * serialisable config in `workerData`, then runs the CPU-heavy parts of extractions — an area's coverage, and reduce
 * tasks (some bands of one file → mean and median) — with cancellation and progress. The job itself is coordinated
 * on the main thread (`runExtraction` with a pool runner), so one job's tasks spread over every thread of the pool.
 */
import { workerData } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import { createRuntime, type Runtime } from '../deps.js';
import type { Coverage } from '../geo/coverage.js';
import { computeCoverage } from '../geo/coverage.js';
import { defineWorkerTask } from '../jobs/pool.js';
import type { CoverageInput } from '../timeseries/extract.js';
import { reduceTask, shareable, type ReduceTask } from '../timeseries/reduce.js';
import type { BandStatistics } from '../timeseries/stats.js';

/** What the extraction pool runs. */
export type ExtractWorkerTask = { kind: 'coverage'; input: CoverageInput } | { kind: 'reduce'; task: ReduceTask };
/** Coverage for `coverage` tasks (weights in shared memory), statistics for `reduce` tasks. */
export type ExtractWorkerResult = Coverage | BandStatistics;

const { config } = workerData as { config: Config };
let runtime: Promise<Runtime> | null = null;

export default defineWorkerTask<ExtractWorkerTask, ExtractWorkerResult>(async (work, ctx) => {
  // Built once per thread; a failed build is retried by the next task.
  runtime ??= createRuntime(config, { worker: true }).catch((err: unknown) => {
    runtime = null;
    throw err;
  });
  const rt = await runtime;
  if (work.kind === 'coverage') {
    const { projected, window, transform, mode } = work.input;
    const coverage = computeCoverage(projected, window, transform, mode, rt.extractDeps.geometry);
    return { ...coverage, weights: shareable(coverage.weights) };
  }
  const total = work.task.bands.length;
  return reduceTask(work.task, rt.extractDeps.openCog, {
    signal: ctx.signal,
    onProgress: (done) => ctx.onProgress(done, total),
  });
});
