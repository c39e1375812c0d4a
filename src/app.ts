/**
 * Builds the Fastify application from its dependencies; never listens (tests use `app.inject`, `main.ts` listens).
 * Closing the app closes the dependencies (queue, pool, store, sources) through `deps.close`.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppDeps } from './http/app.deps.js';
import { installErrorHandlers } from './http/errors.js';
import { Metrics, installMetrics } from './http/metrics.js';
import { clientErrorHandler, frameworkErrors, installProtocolHandlers, requireHost } from './http/protocol.js';
import { healthRoutes } from './http/routes/health.js';
import { metadataBody, metadataRoutes } from './http/routes/metadata.js';
import { pointRoutes } from './http/routes/point.js';
import { tilesRoutes } from './http/routes/tiles.js';
import { timeseriesRoutes } from './http/routes/timeseries.js';
import { v2Routes } from './http/routes/v2.js';
import { viewerRoutes } from './http/routes/viewer.js';

/** Options of {@link buildServer}. */
export interface BuildOptions {
  /** Fastify logger option; default: JSON logs at `config.logLevel`. */
  logger?: FastifyServerOptions['logger'];
}

/**
 * A Fastify instance with the app's body limit, schema options and error rendering, and no routes (tests that mount
 * one route plugin alone start from it too).
 */
export function createBareServer(logger: FastifyServerOptions['logger']): FastifyInstance {
  const app = Fastify({
    logger,
    // Unique across servers and restarts: a 500 names it, and the log line with the full error carries it.
    genReqId: () => randomUUID(),
    // Tolerant JSON bodies up to 8 MiB (geometries with 10 000 coordinates fit easily).
    bodyLimit: 8 * 1024 * 1024,
    ajv: { customOptions: { allErrors: false, coerceTypes: false } },
    // Requests that never reach a route answer with the same JSON error bodies as the rest (http/protocol.ts);
    // a missing Host is refused by `requireHost`, with such a body, rather than by Node with an empty 400.
    clientErrorHandler,
    frameworkErrors,
    http: { requireHostHeader: false },
  });
  installProtocolHandlers(app.server);
  app.addHook('onRequest', requireHost);
  installErrorHandlers(app);
  // Every answer, errors included: browsers must not guess a type other than the one we send.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('X-Content-Type-Options', 'nosniff');
    return payload;
  });
  return app;
}

/** Builds the application (routes, schemas, CORS, OpenAPI, error handlers). Does not listen. */
export async function buildServer(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = createBareServer(options.logger ?? { level: deps.config.logLevel });
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
  // The v2 contract (array /metadata, synchronous POST /timeseries) under one base path, whatever the registry: the
  // SKOPE UI of today pointed at `<server>/v2` works unchanged while the root follows the release contract.
  await app.register(
    async (v2) => {
      await v2.register(metadataRoutes(deps, 'legacy'));
      await v2.register(v2Routes(deps));
    },
    { prefix: '/v2' },
  );
  await app.register(pointRoutes(deps));
  await app.register(healthRoutes(deps, metrics));
  // Tiles take only their own dependencies, so their tests can mount them alone.
  await app.register(tilesRoutes(deps.tiles));
  if (deps.viewerDir !== undefined) {
    // The page carries the root `/metadata` answer, so its first map needs no round trip.
    await app.register(
      viewerRoutes(
        deps.viewerDir,
        (message) => app.log.warn(message),
        () => metadataBody(deps),
      ),
    );
  }

  app.addHook('onClose', async () => {
    await deps.close();
  });
  return app;
}
