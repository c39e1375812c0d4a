/**
 * The composition root: the only place that chooses implementations from the configuration — the job store
 * (memory | fs | Redis), the queue (inline | BullMQ, with or without an embedded worker), the extraction service (worker
 * pool or inline) — and wires them into the HTTP app's dependencies or a `skope worker` process.
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Config } from './config/config.js';
import { loadGeometryEngine } from './geo/geos.js';
import type { AppDeps } from './http/app.deps.js';
import { Metrics } from './http/metrics.js';
import { createAdmission } from './jobs/admission.js';
import type { JobStore } from './jobs/job.js';
import { createJobStore } from './jobs/job.store.open.js';
import type { BullWorker } from './jobs/queue.bullmq.js';
import { openJobQueue, type OpenQueue } from './jobs/queue.open.js';
import type { QueueLogger } from './jobs/queue.js';
import { startWorkerProcess } from './jobs/worker.process.js';
import { openDatasets, type Datasets } from './registry/datasets.js';
import { openReleaseDatasets } from './release/serve/open.js';
import type { MetadataDocument } from './release/serve/metadata.js';
import { openCogs, type Cogs } from './raster/cog.store.js';
import { createExtraction, extractionJobHandler, type Extraction } from './timeseries/extraction.js';
import type { ExtractRequest } from './timeseries/types.js';

/** Options of {@link createDeps}. */
export interface CreateDepsOptions {
  /** Run extractions on the calling thread instead of the worker pool (tests). */
  inline?: boolean;
  /** A store to use instead of the configured one (tests); it is neither cleaned up nor swept. */
  store?: JobStore;
  log?: QueueLogger;
}

/**
 * The built map viewer (`npm run build:web`): `web/dist/` of the package, the same path from `src/` (tsx) and from
 * `dist/` (the build), both one level below the package root.
 */
const VIEWER_DIR = fileURLToPath(new URL('../web/dist/', import.meta.url));

/** Builds every dependency of the HTTP app from the config. */
export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<AppDeps> {
  const { cogs, datasets, releaseMetadata } = await openData(config);
  const store = options.store ?? (await createJobStore(config));
  const metrics = new Metrics();
  let extraction: Extraction | null = null;
  let jobs: OpenQueue<ExtractRequest>;
  try {
    await store.healthcheck();
    const recover = config.jobStore !== 'memory' && options.store === undefined;
    if (recover) await store.expire();
    // Only now: a store that does not answer starts no threads.
    extraction = createExtraction(config, datasets, cogs, await loadGeometryEngine(), options);
    jobs = await openJobQueue<ExtractRequest>(config, {
      store,
      handler: extractionJobHandler(extraction.service),
      onTransition: (st) => metrics.observeJob(st),
      // Stable across restarts on a fixed port (no two live servers share a host and port), so a restart fails its
      // predecessor's unfinished jobs at once.
      ...(config.port > 0 ? { owner: `${hostname()}:${config.port}` } : {}),
      ...(options.log ? { log: options.log } : {}),
      recover,
    });
  } catch (err) {
    await extraction?.close();
    await store.close();
    await cogs.close();
    throw err;
  }

  const { registry, colormaps, lookups, baseUrl } = datasets;
  return {
    config,
    registry,
    store,
    queue: jobs.queue,
    extraction: extraction.service,
    syncAdmission: createAdmission(config.maxSyncExtractions),
    // Named by role, never by host or URL.
    readiness: [
      { name: 'store', check: () => store.healthcheck() },
      ...(jobs.healthcheck ? [{ name: 'queue', check: jobs.healthcheck }] : []),
      { name: 'storage', check: () => datasets.checkStorage() },
    ],
    metrics,
    ...(releaseMetadata ? { releaseMetadata } : {}),
    // Tiles render in-process from the same registry, lookups and open COGs as extractions.
    tiles: {
      registry,
      colormaps,
      lookups,
      openCog: cogs.openCog,
      baseUrl,
      cacheMaxAge: config.tileMaxAge,
      ...(config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {}),
      trustProxy: config.trustProxy,
    },
    viewerDir: VIEWER_DIR,
    async close() {
      await jobs.close();
      await extraction.close();
      await store.close();
      await cogs.close();
    },
  };
}

/** `skope worker`: extraction jobs from the BullMQ queue, on this process's own worker pool. */
export function startExtractionWorker(config: Config, options: { log?: QueueLogger } = {}): Promise<BullWorker> {
  return startWorkerProcess(
    config,
    async () => {
      const { cogs, datasets } = await openData(config);
      const store = await createJobStore(config);
      const extraction = createExtraction(config, datasets, cogs, await loadGeometryEngine(), options);
      const close = async (): Promise<void> => {
        await extraction.close();
        await store.close();
        await cogs.close();
      };
      return { store, handler: extractionJobHandler(extraction.service), close };
    },
    options.log,
  );
}

/**
 * This process's COGs and datasets (the COGs closed again when the registry cannot be read): with RELEASE_PIN_PATH the
 * pinned releases, verified and composed with the display files (plus their `/metadata` 1.0.0 document; any failed
 * start-up check throws `ReleaseRefusedError`), else `metadata.yml` and its `lookup.json` files.
 */
export async function openData(
  config: Config,
): Promise<{ cogs: Cogs; datasets: Datasets; releaseMetadata?: MetadataDocument }> {
  const cogs = openCogs(config);
  try {
    if (config.releasePinPath !== undefined) {
      const composed = await openReleaseDatasets({ ...config, releasePinPath: config.releasePinPath }, cogs.resolver);
      return { cogs, datasets: composed.datasets, releaseMetadata: composed.metadata };
    }
    return { cogs, datasets: await openDatasets(config, cogs.resolver) };
  } catch (err) {
    await cogs.close();
    throw err;
  }
}
