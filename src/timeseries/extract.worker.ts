/**
 * Worker-thread entry of the extraction pool (see `extraction.ts`): opens its own COGs (sources, block and COG
 * caches, synchronous local reads) from the serialisable settings in `workerData`, then runs the CPU-heavy parts
 * of extractions — an area's coverage and area (every union of the selection), and reduce tasks (some bands of one file → mean and median) — with
 * cancellation and progress. The job itself is coordinated on the main thread (`runExtraction` with a pool runner),
 * so one job's tasks spread over every thread of the pool.
 */
import { workerData } from 'node:worker_threads';
import { loadGeometryEngine, type GeometryEngine } from '../geo/geos.js';
import { defineWorkerTask } from '../jobs/pool.js';
import { openCogs, type CogSettings, type Cogs } from '../raster/cog.store.js';
import { coverageAndArea, type AreaCoverage, type CoverageInput } from './extract.js';
import { reduceTask, shareable, type ReduceTask } from './reduce.js';
import type { BandStatistics } from './stats.js';

/** What the extraction pool runs. */
export type ExtractWorkerTask = { kind: 'coverage'; input: CoverageInput } | { kind: 'reduce'; task: ReduceTask };
/** Coverage and area for `coverage` tasks (weights in shared memory), statistics for `reduce` tasks. */
export type ExtractWorkerResult = AreaCoverage | BandStatistics;

const { settings } = workerData as { settings: CogSettings & { workerPoolSize: number } };
// Opened with the first reduce task: coverage tasks read nothing.
let cogs: Cogs | null = null;
// GEOS for this thread, instantiated with the first coverage task (a failed load is retried by the next one).
let geometry: Promise<GeometryEngine> | null = null;

export default defineWorkerTask<ExtractWorkerTask, ExtractWorkerResult>(async (work, ctx) => {
  if (work.kind === 'coverage') {
    geometry ??= loadGeometryEngine().catch((err: unknown) => {
      geometry = null;
      throw err;
    });
    const coverage = coverageAndArea(work.input, await geometry);
    return { ...coverage, weights: shareable(coverage.weights) };
  }
  // The threads share the extraction's requests in flight.
  cogs ??= openCogs(settings, { worker: true, share: settings.workerPoolSize });
  const { openCog } = cogs;
  const total = work.task.bands.length;
  return reduceTask(work.task, openCog, {
    signal: ctx.signal,
    onProgress: (done) => ctx.onProgress(done, total),
  });
});
