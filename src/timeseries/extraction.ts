/**
 * The extraction service: what the routes, the job queue and `skope extract` call to run an extraction. Pre-flight
 * and coordination run on the calling thread (the validity of large polygons on the pool); an area's coverage and the reduce tasks (bands of one file each) run
 * on the extraction worker pool (`extract.worker.ts`) with the area of the selection, so one extraction uses every thread of it. Inline, everything
 * runs on the calling thread.
 */
import { AppError } from '../errors.js';
import { createWorkerPool, type WorkerPool } from '../jobs/pool.js';
import type { Datasets } from '../registry/datasets.js';
import { requireVariable } from '../registry/registry.js';
import { isRemoteUrl, type CogSettings, type Cogs } from '../raster/cog.store.js';
import { packShapes } from '../geo/pack.js';
import type { ExtractWorkerResult, ExtractWorkerTask, PackedCoverageInput } from './extract.worker.js';
import type { GeometryEngine } from '../geo/geos.js';
import {
  preflightExtraction,
  runExtraction,
  yieldToEventLoop,
  type AreaCoverage,
  type ExtractContext,
  type ExtractDeps,
} from './extract.js';
import type { BandStatistics } from './stats.js';
import { createStatsCache } from './stats.cache.js';
import type { BaseSeries, ExtractRequest, TimeseriesResponse } from './types.js';

/** The result of one extraction: the public response and the untransformed series kept for analyze. */
export interface ExtractionOutput {
  result: TimeseriesResponse;
  base_series: BaseSeries;
}

/** What an extraction job keeps in its record besides the result, for `POST /timeseries/analyze`; never shown. */
export interface ExtractionPrivate {
  base_series: BaseSeries;
}

/** Runs extractions (in a worker pool in production; on the calling thread if wanted). */
export interface ExtractionService {
  /** Registry 404s, size 422, footprint 422: everything that can be refused before a job exists. */
  preflight(request: ExtractRequest): Promise<void>;
  /** One extraction under `ctx.signal` (deadline/cancel); progress in timesteps. */
  run(request: ExtractRequest, ctx: ExtractContext): Promise<ExtractionOutput>;
  /** The chronological timestep keys of a variable (from its lookup), for the v2 route's edge margins. */
  timesteps(datasetId: string, variableId: string): Promise<string[]>;
}

/** A started service and what it holds. */
export interface Extraction {
  service: ExtractionService;
  /** Threads of the worker pool; 0 when inline. */
  threads: number;
  /** Stops the worker threads (the datasets stay open: their owner closes them). */
  close(): Promise<void>;
}

/** What {@link createExtraction} is built from: the settings of the same names (the config passes as is). */
export interface ExtractionSettings extends CogSettings {
  /** Largest area accepted, in estimated cells (422 above). */
  defaultMaxCells: number;
  maxGeometryShapes: number;
  maxGeometryCoordinates: number;
  /** Threads of the extraction pool; each opens its own COGs from these settings. */
  workerPoolSize: number;
  /** Storage root (remote storage runs more tasks per thread: see {@link REMOTE_TASKS_PER_THREAD}). */
  storageBaseUrl: string;
  /** Statistics of bands already extracted, by file and area (bytes; 0 = none): `stats.cache.ts`. */
  extractionStatsCacheBytes: number;
}

/**
 * Reduce tasks one worker thread runs at once when the data is remote: while one task waits for its blocks another
 * decodes, so neither the cores nor the requests in flight sit idle between tasks.
 */
const REMOTE_TASKS_PER_THREAD = 2;

/** Options of {@link createExtraction}. */
export interface ExtractionOptions {
  /** Run extractions on the calling thread instead of the worker pool (tests, `skope extract`). */
  inline?: boolean;
  /** Told about worker errors outside a task (Fastify's logger fits). */
  log?: { error(obj: unknown, msg?: string): void };
}

/** The pipeline's dependencies on this thread: the datasets, the COGs and the request limits. */
export function extractDeps(
  settings: ExtractionSettings,
  datasets: Datasets,
  cogs: Pick<Cogs, 'openCog'>,
  geometry: GeometryEngine,
): ExtractDeps {
  return {
    geometry,
    registry: datasets.registry,
    lookups: datasets.lookups,
    openCog: cogs.openCog,
    baseUrl: datasets.baseUrl,
    limits: {
      maxCells: settings.defaultMaxCells,
      maxShapes: settings.maxGeometryShapes,
      maxCoordinates: settings.maxGeometryCoordinates,
    },
  };
}

/**
 * Starts the extraction service over `datasets` and `cogs`: with a worker pool of `settings.workerPoolSize` threads
 * (each opens its own COGs from the same settings) unless `options.inline`.
 */
export function createExtraction(
  settings: ExtractionSettings,
  datasets: Datasets,
  cogs: Pick<Cogs, 'openCog'>,
  geometry: GeometryEngine,
  options: ExtractionOptions = {},
): Extraction {
  const statsCache =
    settings.extractionStatsCacheBytes > 0 ? createStatsCache(settings.extractionStatsCacheBytes) : undefined;
  let local: ExtractDeps = {
    ...extractDeps(settings, datasets, cogs, geometry),
    ...(statsCache ? { statsCache } : {}),
  };
  let deps = local;
  let pool: WorkerPool<ExtractWorkerTask, ExtractWorkerResult> | null = null;
  if (!options.inline) {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const tasksPerThread = isRemoteUrl(settings.storageBaseUrl) ? REMOTE_TASKS_PER_THREAD : 1;
    const p = createWorkerPool<ExtractWorkerTask, ExtractWorkerResult>({
      filename: new URL(`./extract.worker.${ext}`, import.meta.url),
      size: settings.workerPoolSize,
      tasksPerThread,
      workerData: { settings },
      onError: (err) => options.log?.error({ err }, 'extraction worker error'),
    });
    pool = p;
    // Large polygons' validity is checked on a pool thread: GEOS takes ~100 ms for 10 000 coordinates.
    local = {
      ...local,
      invalidReason: async (polygons) => {
        const packed = packShapes(polygons.map((coordinates) => ({ type: 'Polygon' as const, coordinates })));
        return ((await p.run({ kind: 'validity', polygons: packed })) as { reason: string | null }).reason;
      },
    };
    deps = {
      ...local,
      // Shapes travel packed: cloning 10 000 [x, y] arrays would cost the event loop tens of milliseconds.
      coverage: async (input, signal) => {
        const projected = packShapes(input.projected.shapes);
        await yieldToEventLoop();
        const packed: PackedCoverageInput = {
          ...input,
          projected: { ...input.projected, shapes: projected },
          area: { ...input.area, shapes: packShapes(input.area.shapes) },
        };
        return (await p.run({ kind: 'coverage', input: packed }, { signal })) as AreaCoverage;
      },
      runner: {
        parallelism: p.size * tasksPerThread,
        reduce: async (task, ctx) =>
          (await p.run(
            { kind: 'reduce', task },
            { signal: ctx.signal, onProgress: (done) => ctx.onProgress?.(done) },
          )) as BandStatistics,
      },
    };
  }
  const service: ExtractionService = {
    async preflight(request) {
      await preflightExtraction(request, local);
    },
    run(request, ctx) {
      return runExtraction(request, deps, ctx);
    },
    async timesteps(datasetId, variableId) {
      requireVariable(datasets.registry, datasetId, variableId);
      const steps = (await datasets.lookups.get(datasetId)).get(variableId);
      if (!steps) throw new AppError('variable_not_found', `Variable '${variableId}' not found in lookup dictionary.`);
      return [...steps.keys()];
    },
  };
  return {
    service,
    threads: pool?.size ?? 0,
    close: async () => {
      await pool?.close();
    },
  };
}

/**
 * The job handler of extraction jobs (a `JobHandler` of the job queue): the result is public, the base series
 * private (for analyze).
 */
export function extractionJobHandler(
  service: ExtractionService,
): (
  request: ExtractRequest,
  ctx: ExtractContext,
) => Promise<{ result: TimeseriesResponse; private: ExtractionPrivate }> {
  return async (request, ctx) => {
    const out = await service.run(request, ctx);
    return { result: out.result, private: { base_series: out.base_series } };
  };
}
