/**
 * What the HTTP layer needs: every route plugin takes its share of {@link AppDeps}. `src/deps.ts` builds them from
 * the config (`skope serve`), tests build their own; `src/app.ts` turns them into the Fastify app.
 */
import type { Config } from '../config/config.js';
import type { Admission } from '../jobs/admission.js';
import type { JobStore } from '../jobs/job.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Registry } from '../registry/types.js';
import type { ExtractionService } from '../timeseries/extraction.js';
import type { ExtractRequest } from '../timeseries/types.js';
import type { Metrics } from './metrics.js';
import type { TilesDeps } from './routes/tiles.js';

/** A readiness probe: resolves when the dependency answers, throws otherwise. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Everything the HTTP layer needs. */
export interface AppDeps {
  config: Config;
  registry: Registry;
  store: JobStore;
  /** Extraction jobs; the input is the validated extract request. */
  queue: JobQueue<ExtractRequest>;
  extraction: ExtractionService;
  /** Admits the extractions that requests run synchronously (`/point`, v2), `max_sync_extractions` at once. */
  syncAdmission: Admission;
  readiness: ReadinessCheck[];
  /** Counters shared with the queue (jobs by state). */
  metrics?: Metrics;
  /**
   * The `/metadata` 1.0.0 document of the pinned releases (JSON-ready, built once at start-up); absent when no release
   * is pinned (the root `/metadata` then answers the legacy array).
   */
  releaseMetadata?: unknown;
  /** What the tile routes read: the same registry, lookups and open COGs as extractions. */
  tiles: TilesDeps;
  /** Directory of the built map viewer (`web/dist/`) served at `/`; unset = no viewer. */
  viewerDir?: string;
  /** Releases everything (queue, pool, store, sources); called by `app.close()`. */
  close(): Promise<void>;
}
