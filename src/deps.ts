/**
 * The composition root: the ONLY place that picks the job store (memory | fs | Redis) and builds the source
 * resolver, block cache, registry, colormaps, lookups, the COG cache, the worker pool and the job queue from the
 * configuration. Worker threads call {@link createRuntime} with the same (serialisable) config.
 */
import { createAdmission } from './jobs/admission.js';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { FastifyInstance } from 'fastify';
import type { AppDeps, ExtractionService, ReadinessCheck } from './app.js';
import type { ExtractWorkerResult, ExtractWorkerTask } from './cli/extract.worker.js';
import type { Config } from './config/config.js';
import type { Coverage } from './geo/coverage.js';
import { AppError, isAppError } from './errors.js';
import { Metrics } from './http/metrics.js';
import { tilesRoutes } from './http/routes/tiles.js';
import type { JobRecord, JobStore } from './jobs/job.js';
import { FsJobStore } from './jobs/job.store.fs.js';
import { MemoryJobStore } from './jobs/job.store.memory.js';
import { RedisJobStore } from './jobs/job.store.redis.js';
import { createWorkerPool, type WorkerPool } from './jobs/pool.js';
import { ORPHAN_AFTER_MS, failOrphans, sweepOrphans } from './jobs/orphans.js';
import type { JobHandler, JobQueue, QueueLogger } from './jobs/queue.js';
import { BullMqJobQueue, startBullWorker, type BullWorker } from './jobs/queue.bullmq.js';
import { InlineJobQueue } from './jobs/queue.inline.js';
import { createBlockCache, type BlockCache } from './raster/block.cache.js';
import { openCog } from './raster/cog.js';
import { createDecodePool, type DecodePool } from './raster/decode.pool.js';
import type { Cog } from './raster/types.js';
import { createColormapSet, parseCustomColormaps, type ColormapSet } from './registry/colormaps.js';
import { LookupStore } from './registry/lookup.js';
import { parseRegistry } from './registry/registry.js';
import type { Registry } from './registry/types.js';
import { createSourceResolver, joinUrl, type DefaultSourceResolver } from './storage/resolver.js';
import type { FetchOptions } from './storage/source.js';
import { preflightExtraction, runExtraction, type ExtractDeps } from './timeseries/extract.js';
import type { BandStatistics } from './timeseries/stats.js';
import type { ExtractRequest } from './timeseries/types.js';

/** What both the HTTP process and every worker thread build from the config: data access and caches. */
export interface Runtime {
  config: Config;
  resolver: DefaultSourceResolver;
  blockCache: BlockCache | undefined;
  /** Decode worker threads of this process/thread (`decode_threads`), or undefined when 0. */
  decodePool: DecodePool | undefined;
  colormaps: ColormapSet;
  registry: Registry;
  lookups: LookupStore;
  /** Storage root as an absolute path or URL. */
  baseUrl: string;
  /** Opens a COG by URL through a per-process LRU of open COGs (a failed open is evicted). */
  openCog(url: string, o?: FetchOptions): Promise<Cog>;
  extractDeps: ExtractDeps;
  close(): Promise<void>;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Reads a text file, or null when it does not exist. */
async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /**
   * The runtime serves a worker thread (extraction tasks): local files are read with synchronous `pread`s, which
   * beat pooled reads for many small page-cached blocks and would only block that worker's own loop.
   */
  worker?: boolean;
}

/** Builds the data-access runtime (registry, colormaps, sources, caches). */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const customText = await readOptional(config.colormapsPath);
  const colormaps = createColormapSet(
    customText === null ? {} : parseCustomColormaps(customText, config.colormapsPath),
  );
  const registryText = await readOptional(config.registryPath);
  if (registryText === null) {
    throw new AppError(
      'config_invalid',
      `Registry file not found: ${config.registryPath}. Set REGISTRY_PATH, or run \`skope demo\` to write the demo dataset.`,
    );
  }
  const registry = parseRegistry(registryText, colormaps, config.registryPath);
  const resolver = createSourceResolver({
    cacheBytes: config.sourceCacheBytes,
    ...(options.worker === true ? { file: { syncReads: true } } : {}),
    s3: {
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
    },
  });
  const baseUrl = SCHEME.test(config.storageBaseUrl) ? config.storageBaseUrl : resolvePath(config.storageBaseUrl);
  const lookups = new LookupStore({ resolver, baseUrl, checkIntervalMs: config.lookupCheckIntervalMs });
  const blockCache = config.blockCacheBytes > 0 ? createBlockCache(config.blockCacheBytes) : undefined;
  // Large reads (many small blocks) decode on these threads too; tiles (1–4 blocks) never use them.
  const decodePool = config.decodeThreads > 0 ? createDecodePool({ threads: config.decodeThreads }) : undefined;

  // Open COG headers are re-opened after the lookup check interval, so a file rewritten in place is noticed (its
  // new version also changes block-cache keys and tile ETags). Evicted or expired entries are not closed: a read may
  // still be using them, and file sources close idle handles by themselves. Shutdown (clear) closes them.
  const cogs = new LRUCache<string, Promise<Cog>>({
    max: config.cogCacheSize,
    ttl: Math.max(1000, config.lookupCheckIntervalMs),
    dispose: (p, _url, reason) => {
      if (reason === 'delete') void p.then((cog) => cog.close()).catch(() => undefined);
    },
  });
  const open = (url: string, o?: FetchOptions): Promise<Cog> => {
    let p = cogs.get(url);
    if (!p) {
      // The shared open must not die with one caller's signal: open without it, let callers stop waiting.
      p = openCog(resolver.open(url), { ...(blockCache ? { blockCache } : {}), ...(decodePool ? { decodePool } : {}) });
      cogs.set(url, p);
      p.catch(() => {
        if (cogs.get(url) === p) cogs.delete(url);
      });
    }
    return o?.signal ? withSignal(p, o.signal) : p;
  };
  const extractDeps: ExtractDeps = {
    registry,
    lookups,
    openCog: open,
    baseUrl,
    limits: {
      maxCells: config.defaultMaxCells,
      maxShapes: config.maxGeometryShapes,
      maxCoordinates: config.maxGeometryCoordinates,
    },
  };
  return {
    config,
    resolver,
    blockCache,
    decodePool,
    colormaps,
    registry,
    lookups,
    baseUrl,
    openCog: open,
    extractDeps,
    async close() {
      cogs.clear();
      await resolver.close();
      await decodePool?.close();
    },
  };
}

function withSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function abortReason(signal: AbortSignal): AppError {
  return isAppError(signal.reason) ? signal.reason : new AppError('aborted', 'The operation was aborted.');
}

/** Picks and opens the job store the config names. */
export async function createJobStore(config: Config): Promise<JobStore> {
  switch (config.jobStore) {
    case 'memory':
      return new MemoryJobStore();
    case 'fs':
      return new FsJobStore(config.jobDir);
    case 'redis':
      if (!config.redisUrl) throw new AppError('config_invalid', 'JOB_STORE=redis needs REDIS_URL.');
      return new RedisJobStore({ url: config.redisUrl, prefix: config.redisPrefix });
  }
}

/** Options of {@link createDeps}. */
export interface CreateDepsOptions {
  /** Run extractions on the calling thread instead of the worker pool (tests, `skope extract`). */
  inline?: boolean;
  /** A store to use instead of the configured one (tests). */
  store?: JobStore;
  log?: QueueLogger;
}

/** Builds every dependency of the HTTP app from the config. */
export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<AppDeps> {
  // The name this server writes into its job records: stable across restarts when it listens on a fixed port (no
  // two live servers share a host and port), so a restart fails its predecessor's unfinished jobs at once.
  const owner = config.port > 0 ? `${hostname()}:${config.port}` : undefined;
  const runtime = await createRuntime(config);
  const store = options.store ?? (await createJobStore(config));
  try {
    await store.healthcheck();
    if (config.jobStore !== 'memory' && options.store === undefined) {
      await store.cleanup(config.jobMaxAgeHours * 3_600_000);
      // With BullMQ, unfinished records belong to queued jobs that workers will still run or take over. Inline,
      // records not written for ORPHAN_AFTER_MS belong to no live process (running jobs are rewritten every
      // HEARTBEAT_MS), so other servers sharing the store keep their running jobs.
      if (config.queue === 'inline') await failOrphans(store, undefined, ORPHAN_AFTER_MS, owner);
    }
  } catch (err) {
    await store.close();
    await runtime.close();
    throw err;
  }

  const { extraction, pool } = createExtraction(config, runtime, options);

  const metrics = new Metrics();
  const handler = extractionHandler(extraction);
  const onTransition = (st: JobRecord['status']): void => metrics.observeJob(st);
  let queue: JobQueue<ExtractRequest>;
  let embedded: BullWorker | null = null;
  let stopSweeps = (): void => undefined;
  if (config.queue === 'bullmq' && config.redisUrl) {
    const connection = { url: config.redisUrl, prefix: `${config.redisPrefix}skope` };
    const bull = new BullMqJobQueue<ExtractRequest>({
      ...connection,
      store,
      capacity: config.maxConcurrentJobs,
      onTransition,
    });
    if (options.store === undefined) await bull.failOrphans();
    queue = bull;
    if (config.embeddedWorker) {
      embedded = await startBullWorker({
        ...connection,
        store,
        handler,
        concurrency: config.workerPoolSize,
        onTransition,
        ...(options.log ? { log: options.log } : {}),
      });
    }
  } else {
    queue = new InlineJobQueue<ExtractRequest>({
      store,
      capacity: config.maxConcurrentJobs,
      handler,
      onTransition,
      ...(owner !== undefined ? { owner } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    if (config.jobStore !== 'memory' && options.store === undefined) {
      stopSweeps = sweepOrphans(store, options.log);
    }
  }

  const first = runtime.registry.list()[0];
  const readiness: ReadinessCheck[] = [
    { name: 'store', check: () => store.healthcheck() },
    {
      name: 'storage',
      check: async () => {
        if (first) await runtime.resolver.open(joinUrl(runtime.baseUrl, `${first.id}/lookup.json`)).head();
      },
    },
  ];

  return {
    config,
    registry: runtime.registry,
    store,
    queue,
    extraction,
    syncAdmission: createAdmission(config.maxSyncExtractions),
    readiness,
    metrics,
    // Tiles render in-process from the same registry, lookups and COG cache.
    extraRoutes: async (app: FastifyInstance) => {
      await app.register(
        tilesRoutes({
          registry: runtime.registry,
          colormaps: runtime.colormaps,
          lookups: runtime.lookups,
          openCog: runtime.openCog,
          baseUrl: runtime.baseUrl,
          cacheMaxAge: config.tileMaxAge,
        }),
      );
    },
    async close() {
      stopSweeps();
      await embedded?.close();
      await queue.close();
      await pool?.close();
      await store.close();
      await runtime.close();
    },
  };
}

/**
 * The extraction service (also used alone by the benchmark): pre-flight and coordination on this thread; coverage
 * and the reduce tasks (bands of one file each) on the worker pool, so one extraction uses every thread of it (or
 * everything inline).
 */
export function createExtraction(
  config: Config,
  runtime: Runtime,
  options: { inline?: boolean; log?: QueueLogger },
): { extraction: ExtractionService; pool: WorkerPool<ExtractWorkerTask, ExtractWorkerResult> | null } {
  let pool: WorkerPool<ExtractWorkerTask, ExtractWorkerResult> | null = null;
  let deps: ExtractDeps = runtime.extractDeps;
  if (!options.inline) {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const p = createWorkerPool<ExtractWorkerTask, ExtractWorkerResult>({
      filename: new URL(`./cli/extract.worker.${ext}`, import.meta.url),
      size: config.workerPoolSize,
      workerData: { config },
      onError: (err) => options.log?.error({ err }, 'extraction worker error'),
    });
    pool = p;
    deps = {
      ...runtime.extractDeps,
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
  const extraction: ExtractionService = {
    async preflight(request) {
      await preflightExtraction(request, runtime.extractDeps);
    },
    run(request, ctx) {
      return runExtraction(request, deps, ctx);
    },
    async timesteps(datasetId, variableId) {
      if (runtime.registry.get(datasetId) === null)
        throw new AppError('dataset_not_found', `Dataset '${datasetId}' not found.`);
      if (runtime.registry.getVariable(datasetId, variableId) === null)
        throw new AppError('variable_not_found', `Variable '${variableId}' not found in dataset '${datasetId}'.`);
      const steps = (await runtime.lookups.get(datasetId)).get(variableId);
      if (!steps) throw new AppError('variable_not_found', `Variable '${variableId}' not found in lookup dictionary.`);
      return [...steps.keys()];
    },
  };
  return { extraction, pool };
}

/** The job handler of extraction jobs: the result is public, the base series private (for analyze). */
function extractionHandler(extraction: ExtractionService): JobHandler<ExtractRequest> {
  return async (request, ctx) => {
    const out = await extraction.run(request, ctx);
    return { result: out.result, private: { base_series: out.base_series } };
  };
}

/**
 * `skope worker`: a distributed worker process (CONTRACT §4) — runs extraction jobs from the BullMQ queue on its
 * own worker-thread pool and writes their records to the shared Redis job store.
 */
export async function startWorkerProcess(config: Config, options: { log?: QueueLogger } = {}): Promise<BullWorker> {
  if (!config.redisUrl) throw new AppError('config_invalid', 'skope worker needs REDIS_URL (and JOB_STORE=redis).');
  const runtime = await createRuntime(config);
  const store = await createJobStore(config);
  await store.healthcheck();
  const { extraction, pool } = createExtraction(config, runtime, options);
  const worker = await startBullWorker({
    url: config.redisUrl,
    prefix: `${config.redisPrefix}skope`,
    store,
    handler: extractionHandler(extraction),
    concurrency: config.workerPoolSize,
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    async close() {
      await worker.close();
      await pool?.close();
      await store.close();
      await runtime.close();
    },
  };
}
