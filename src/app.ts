/**
 * Builds the Fastify application from its dependencies; never listens (tests use `app.inject`, `main.ts` listens).
 * Closing the app closes the dependencies (queue, pool, store, sources) through `deps.close`.
 */
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config/config.js';
import type { Admission } from './jobs/admission.js';
import type { JobStore } from './jobs/job.js';
import type { JobQueue } from './jobs/queue.js';
import type { Registry } from './registry/types.js';
import type { BaseSeries, ExtractRequest, TimeseriesResponse } from './timeseries/types.js';
import { installErrorHandlers } from './http/errors.js';
import { Metrics, installMetrics } from './http/metrics.js';
import { healthRoutes } from './http/routes/health.js';
import { metadataRoutes } from './http/routes/metadata.js';
import { pointRoutes } from './http/routes/point.js';
import { timeseriesRoutes } from './http/routes/timeseries.js';
import { v2Routes } from './http/routes/v2.js';

/** The result of one extraction: the public response and the untransformed series kept for analyze. */
export interface ExtractionOutput {
  result: TimeseriesResponse;
  base_series: BaseSeries;
}

/** Runs extractions (in a worker pool in production; directly in tests if wanted). */
export interface ExtractionService {
  /** Registry 404s, size 422, footprint 422: everything that can be refused before a job exists. */
  preflight(request: ExtractRequest): Promise<void>;
  /** One extraction under `signal` (deadline/cancel); progress in timesteps. */
  run(
    request: ExtractRequest,
    ctx: { signal: AbortSignal; onProgress?(done: number, total: number): void },
  ): Promise<ExtractionOutput>;
  /** The chronological timestep keys of a variable (from its lookup), for the v2 route's edge margins. */
  timesteps(datasetId: string, variableId: string): Promise<string[]>;
}

/** A readiness probe: resolves when the dependency answers, throws otherwise. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Everything the HTTP layer needs. Built by `createDeps(config)` (src/deps.ts) or by tests. */
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
  /** Registers extra route plugins (e.g. tiles) with their own dependencies; called once during build. */
  extraRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Releases everything (queue, pool, store, sources); called by `app.close()`. */
  close(): Promise<void>;
}

/** Options of {@link buildServer}. */
export interface BuildOptions {
  /** Fastify logger option; default: JSON logs at `config.logLevel`. */
  logger?: FastifyServerOptions['logger'];
}

/** Builds the application (routes, schemas, CORS, OpenAPI, error handlers). Does not listen. */
export async function buildServer(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: deps.config.logLevel },
    // Tolerant JSON bodies up to 8 MiB (geometries with 10 000 coordinates fit easily).
    bodyLimit: 8 * 1024 * 1024,
    ajv: { customOptions: { allErrors: false, coerceTypes: false } },
  });
  installErrorHandlers(app);
  const metrics = deps.metrics ?? new Metrics();
  installMetrics(app, metrics);

  const origins = deps.config.allowedOrigins;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: '*',
    exposedHeaders: ['Retry-After', 'Content-Disposition', 'ETag'],
    maxAge: 600,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: deps.config.name,
        version: '0.1.0',
        description: 'Paleoclimate data service: dataset registry, map tiles, zonal-statistics timeseries.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  await app.register(metadataRoutes(deps));
  await app.register(timeseriesRoutes(deps));
  await app.register(v2Routes(deps));
  await app.register(pointRoutes(deps));
  await app.register(healthRoutes(deps, metrics));
  // Tiles (helper H's `tilesRoutes(deps)`) and other optional plugins are registered by deps.extraRoutes.
  if (deps.extraRoutes) await deps.extraRoutes(app);

  app.addHook('onClose', async () => {
    await deps.close();
  });
  return app;
}
