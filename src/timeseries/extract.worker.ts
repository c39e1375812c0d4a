/**
 * Worker-thread entry of the extraction pool (see `extraction.ts`): opens its own COGs (sources, block and COG
 * caches, synchronous local reads) from the serialisable settings in `workerData`, then runs the CPU-heavy parts
 * of extractions — an area's coverage and area (every union of the selection), and reduce tasks (some bands of one file → mean and median) — with
 * cancellation and progress. The job itself is coordinated on the main thread (`runExtraction` with a pool runner),
 * so one job's tasks spread over every thread of the pool.
 */
import { workerData } from 'node:worker_threads';
import { loadGeometryEngine, type GeometryEngine, type Rings } from '../geo/geos.js';
import { unpackShapes, type PackedShapes } from '../geo/pack.js';
import { defineWorkerTask } from '../jobs/pool.js';
import { openCogs, type CogSettings, type Cogs } from '../raster/cog.store.js';
import { coverageAndArea, firstInvalidReason, type AreaCoverage, type CoverageInput } from './extract.js';
import { reduceTask, shareable, type ReduceTask } from './reduce.js';
import type { BandStatistics } from './stats.js';

/** What the extraction pool runs. */
export type ExtractWorkerTask =
  | { kind: 'coverage'; input: PackedCoverageInput }
  | { kind: 'reduce'; task: ReduceTask }
  | { kind: 'validity'; polygons: PackedShapes };

/** A {@link CoverageInput} with its shapes packed (`packShapes`): cheap to send to the thread. */
export type PackedCoverageInput = Omit<CoverageInput, 'projected' | 'area'> & {
  projected: Omit<CoverageInput['projected'], 'shapes'> & { shapes: PackedShapes };
  area: Omit<CoverageInput['area'], 'shapes'> & { shapes: PackedShapes };
};

/** The coverage input `packed` stands for. */
function unpackInput(packed: PackedCoverageInput): CoverageInput {
  return {
    ...packed,
    projected: { ...packed.projected, shapes: unpackShapes(packed.projected.shapes) },
    area: { ...packed.area, shapes: unpackShapes(packed.area.shapes) },
  };
}

/** The rings of every polygon of `packed` (which holds Polygons only). */
function polygonsOf(packed: PackedShapes): Rings[] {
  return unpackShapes(packed).flatMap((s) => (s.type === 'Polygon' ? [s.coordinates] : []));
}
/**
 * Coverage and area for `coverage` tasks (weights in shared memory), statistics for `reduce` tasks, the first
 * invalid polygon's reason (or null) for `validity` tasks.
 */
export type ExtractWorkerResult = AreaCoverage | BandStatistics | { reason: string | null };

const { settings } = workerData as { settings: CogSettings & { workerPoolSize: number } };
// Opened with the first reduce task: coverage tasks read nothing.
let cogs: Cogs | null = null;
// GEOS for this thread, instantiated with the first coverage task (a failed load is retried by the next one).
let geometry: Promise<GeometryEngine> | null = null;

export default defineWorkerTask<ExtractWorkerTask, ExtractWorkerResult>(async (work, ctx) => {
  if (work.kind === 'coverage' || work.kind === 'validity') {
    geometry ??= loadGeometryEngine().catch((err: unknown) => {
      geometry = null;
      throw err;
    });
    if (work.kind === 'validity') return { reason: firstInvalidReason(polygonsOf(work.polygons), await geometry) };
    const coverage = coverageAndArea(unpackInput(work.input), await geometry);
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
