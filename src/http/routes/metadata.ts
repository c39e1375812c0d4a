/** `GET /metadata`: the registry list in file order, every variable with `colormap` and `colormap_stops`. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.deps.js';

/** The metadata route plugin. The body is computed once: the registry is immutable. */
export function metadataRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    let cached: string | undefined;
    app.get(
      '/metadata',
      {
        schema: {
          tags: ['registry'],
          summary: 'Dataset registry',
          description:
            'Every registry dataset in file order with its raw fields; variables carry `colormap` and `colormap_stops`.',
        },
      },
      async (_request, reply) => {
        cached ??= JSON.stringify(deps.registry.list().map((d) => d.raw));
        return reply.type('application/json; charset=utf-8').send(cached);
      },
    );
  };
}
