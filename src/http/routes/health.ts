/** Liveness (`/healthz`), readiness (`/readyz`: job store and storage reachable) and Prometheus `/metrics`. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.deps.js';
import type { Metrics } from '../metrics.js';

/** The health route plugin. */
export function healthRoutes(deps: AppDeps, metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));

    app.get(
      '/readyz',
      { schema: { tags: ['health'], summary: 'Readiness: job store and storage reachable' } },
      async (request, reply) => {
        const checks: Record<string, string> = {};
        let ok = true;
        await Promise.all(
          deps.readiness.map(async (r) => {
            try {
              await r.check();
              checks[r.name] = 'ok';
            } catch (err) {
              ok = false;
              // The reason (paths, URLs, hosts) goes to the log, not to whoever asks.
              request.log.warn({ err, check: r.name }, 'readiness check failed');
              checks[r.name] = 'unavailable';
            }
          }),
        );
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
      },
    );

    app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
      const text = metrics.render({
        skope_jobs_running: {
          help: 'Extraction jobs admitted and not finished: in this process (QUEUE=inline) or waiting and running in the whole queue (QUEUE=bullmq).',
          value: deps.queue.active(),
        },
        skope_jobs_capacity: { help: 'Admission limit (max_concurrent_jobs).', value: deps.queue.capacity },
      });
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    });
  };
}
