/**
 * `GET /metadata`. Two shapes:
 * - the legacy array (v2 contract, always under `/v2/metadata`, and at the root when no release is pinned): every
 *   registry dataset in file order, every variable with `colormap` and `colormap_stops`;
 * - with pinned releases, the root answers the release contract's object `{schema_version: "1.0.0", datasets}`
 *   (docs/RELEASES.md), built once at start-up.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.deps.js';

/** Which answer the plugin serves: `auto` = the 1.0.0 document when deps carry one, else the legacy array. */
export type MetadataShape = 'auto' | 'legacy';

/**
 * The body `GET /metadata` answers (JSON text), for a shape. Also embedded in the viewer's page (`/`), so the page
 * needs no round trip before its first map.
 */
export function metadataBody(deps: AppDeps, shape: MetadataShape = 'auto'): string {
  const release = shape === 'auto' ? deps.releaseMetadata : undefined;
  return JSON.stringify(release ?? deps.registry.list().map((d) => d.raw));
}

/** The metadata route plugin. The body is computed once: the registry is immutable. */
export function metadataRoutes(deps: AppDeps, shape: MetadataShape = 'auto'): FastifyPluginAsync {
  const release = shape === 'auto' ? deps.releaseMetadata : undefined;
  return async (app) => {
    let cached: string | undefined;
    app.get(
      '/metadata',
      {
        schema: {
          tags: ['registry'],
          summary: release ? 'Dataset registry (release contract, schema 1.0.0)' : 'Dataset registry (v2 array)',
          description: release
            ? 'The pinned releases as `{schema_version: "1.0.0", datasets}`, sorted by display order then id.'
            : 'Every registry dataset in file order with its raw fields; variables carry `colormap` and ' +
              '`colormap_stops`.',
        },
      },
      async (_request, reply) => {
        cached ??= metadataBody(deps, shape);
        return reply.type('application/json; charset=utf-8').send(cached);
      },
    );
  };
}
