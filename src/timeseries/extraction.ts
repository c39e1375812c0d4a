/**
 * The extraction service: what the routes, the job queue and `skope extract` call to run an extraction. Pre-flight
 * and coordination run on the calling thread; an area's coverage and the reduce tasks (bands of one file each) run
 * on the extraction worker pool (`extract.worker.ts`), so one extraction uses every thread of it. Inline, everything
 * runs on the calling thread.
 */
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Coverage } from '../geo/coverage.js';
import { createWorkerPool, type WorkerPool } from '../jobs/pool.js';
import type { JobHandler, QueueLogger } from '../jobs/queue.js';
import type { Datasets } from '../registry/datasets.js';
import { requireVariable } from '../registry/registry.js';
import type { ExtractWorkerResult, ExtractWorkerTask } from './extract.worker.js';
import { preflightExtraction, runExtraction, type ExtractContext, type ExtractDeps } from './extract.js';
import type { BandStatistics } from './stats.js';
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

/** Options of {@link createExtraction}. */
export interface ExtractionOptions {
  /** Run extractions on the calling thread instead of the worker pool (tests, `skope extract`). */
  inline?: boolean;
  /** Told about worker errors outside a task. */
  log?: QueueLogger;
}

/** The pipeline's dependencies on this thread: the datasets and the request limits of the config. */
export function extractDeps(config: Config, datasets: Datasets): ExtractDeps {
  return {
    registry: datasets.registry,
    lookups: datasets.lookups,
    openCog: datasets.openCog,
    baseUrl: datasets.baseUrl,
    limits: {
      maxCells: config.defaultMaxCells,
      maxShapes: config.maxGeometryShapes,
      maxCoordinates: config.maxGeometryCoordinates,
    },
  };
}

/**
 * Starts the extraction service over `datasets`: with a worker pool of `config.workerPoolSize` threads (each opens
 * the datasets itself from the same config) unless `options.inline`.
 */
export function createExtraction(config: Config, datasets: Datasets, options: ExtractionOptions = {}): Extraction {
  const local = extractDeps(config, datasets);
  let deps = local;
  let pool: WorkerPool<ExtractWorkerTask, ExtractWorkerResult> | null = null;
  if (!options.inline) {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const p = createWorkerPool<ExtractWorkerTask, ExtractWorkerResult>({
      filename: new URL(`./extract.worker.${ext}`, import.meta.url),
      size: config.workerPoolSize,
      workerData: { config },
      onError: (err) => options.log?.error({ err }, 'extraction worker error'),
    });
    pool = p;
    deps = {
      ...local,
      coverage: async (input, signal) => (await p.run({ kind: 'coverage', input }, { signal })) as Coverage,
      runner: {
        parallelism: p.size,
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

/** The job handler of extraction jobs: the result is public, the base series private (for analyze). */
export function extractionJobHandler(service: ExtractionService): JobHandler<ExtractRequest> {
  return async (request, ctx) => {
    const out = await service.run(request, ctx);
    const kept: ExtractionPrivate = { base_series: out.base_series };
    return { result: out.result, private: kept };
  };
}
