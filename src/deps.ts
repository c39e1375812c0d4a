/**
 * The composition root: the only place that chooses implementations from the configuration — the job store
 * (memory | fs | Redis), the queue (inline | BullMQ, with or without an embedded worker), the extraction service (worker
 * pool or inline) — and wires them into the HTTP app's dependencies or a `skope worker` process.
 */
import { hostname } from 'node:os';
import type { Config } from './config/config.js';
import type { AppDeps } from './http/app.deps.js';
import { Metrics } from './http/metrics.js';
import { createAdmission } from './jobs/admission.js';
import type { JobRecord, JobStore } from './jobs/job.js';
import { createJobStore } from './jobs/job.store.open.js';
import { ORPHAN_AFTER_MS, failOrphans, sweepOrphans } from './jobs/orphans.js';
import { BullMqJobQueue, startBullWorker, type BullWorker } from './jobs/queue.bullmq.js';
import { InlineJobQueue } from './jobs/queue.inline.js';
import type { JobQueue, QueueLogger } from './jobs/queue.js';
import { bullConnection, startWorkerProcess } from './jobs/worker.process.js';
import { openDatasets } from './registry/datasets.js';
import { createExtraction, extractionJobHandler } from './timeseries/extraction.js';
import type { ExtractRequest } from './timeseries/types.js';

/** Options of {@link createDeps}. */
export interface CreateDepsOptions {
  /** Run extractions on the calling thread instead of the worker pool (tests). */
  inline?: boolean;
  /** A store to use instead of the configured one (tests); it is neither cleaned up nor swept. */
  store?: JobStore;
  log?: QueueLogger;
}

/** Builds every dependency of the HTTP app from the config. */
export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<AppDeps> {
  // The name this server writes into its job records: stable across restarts when it listens on a fixed port (no
  // two live servers share a host and port), so a restart fails its predecessor's unfinished jobs at once.
  const owner = config.port > 0 ? `${hostname()}:${config.port}` : undefined;
  const datasets = await openDatasets(config);
  const store = options.store ?? (await createJobStore(config));
  const persistent = config.jobStore !== 'memory' && options.store === undefined;
  try {
    await store.healthcheck();
    if (persistent) {
      await store.cleanup(config.jobMaxAgeHours * 3_600_000);
      // Inline, records not written for the lease belong to no live process; BullMQ's are checked below.
      if (config.queue === 'inline') await failOrphans(store, undefined, ORPHAN_AFTER_MS, owner);
    }
  } catch (err) {
    await store.close();
    await datasets.close();
    throw err;
  }

  const extraction = createExtraction(config, datasets, options);
  const metrics = new Metrics();
  const handler = extractionJobHandler(extraction.service);
  const onTransition = (st: JobRecord['status']): void => metrics.observeJob(st);
  const log = options.log ? { log: options.log } : {};
  const bull = config.queue === 'bullmq' ? bullConnection(config) : null;
  let queue: JobQueue<ExtractRequest>;
  let embedded: BullWorker | null = null;
  let stopSweeps = (): void => undefined;
  if (bull) {
    const bullQueue = new BullMqJobQueue<ExtractRequest>({
      ...bull,
      store,
      capacity: config.maxConcurrentJobs,
      onTransition,
    });
    if (options.store === undefined) await bullQueue.failOrphans();
    queue = bullQueue;
    if (config.embeddedWorker) {
      const concurrency = config.workerPoolSize;
      embedded = await startBullWorker({ ...bull, store, handler, concurrency, onTransition, ...log });
    }
  } else {
    const capacity = config.maxConcurrentJobs;
    queue = new InlineJobQueue({ store, capacity, handler, onTransition, ...(owner ? { owner } : {}), ...log });
    if (persistent) stopSweeps = sweepOrphans(store, options.log);
  }

  const { registry, colormaps, lookups, openCog, baseUrl } = datasets;
  return {
    config,
    registry,
    store,
    queue,
    extraction: extraction.service,
    syncAdmission: createAdmission(config.maxSyncExtractions),
    readiness: [
      { name: 'store', check: () => store.healthcheck() },
      { name: 'storage', check: () => datasets.checkStorage() },
    ],
    metrics,
    // Tiles render in-process from the same registry, lookups and open COGs as extractions.
    tiles: { registry, colormaps, lookups, openCog, baseUrl, cacheMaxAge: config.tileMaxAge },
    async close() {
      stopSweeps();
      await embedded?.close();
      await queue.close();
      await extraction.close();
      await store.close();
      await datasets.close();
    },
  };
}

/** `skope worker`: extraction jobs from the BullMQ queue, on this process's own worker pool. */
export function startExtractionWorker(config: Config, options: { log?: QueueLogger } = {}): Promise<BullWorker> {
  return startWorkerProcess(
    config,
    async () => {
      const datasets = await openDatasets(config);
      const store = await createJobStore(config);
      const extraction = createExtraction(config, datasets, options);
      const close = async (): Promise<void> => {
        await extraction.close();
        await store.close();
        await datasets.close();
      };
      return { store, handler: extractionJobHandler(extraction.service), close };
    },
    options.log,
  );
}
