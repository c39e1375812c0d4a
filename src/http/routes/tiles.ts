/**
 * Map tiles rendered in-process (docs/API.md, Map tiles):
 * - `GET /tiles/{dataset}/{variable}/{timestep}/{z}/{x}/{y}[@2x][.png|.webp]` — query `colormap`, `rescale`
 *   (style errors are 422 before any read), `format`, `tilesize`, `resampling`; `ETag` + `If-None-Match` → 304
 *   before any pixel read; `Cache-Control: public, max-age=<cacheMaxAge>`.
 * - `GET /tilejson/{dataset}/{variable}/{timestep}.json` — TileJSON 3.0.0 with an absolute tile URL template on
 *   `publicBaseUrl`, else on `X-Forwarded-Proto`/`-Host` when `trustProxy`, else on the request's scheme and `Host`
 *   (then `Cache-Control: private`: the answer depends on a header a shared cache does not key on).
 */
import { setMaxListeners } from 'node:events';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import type { TileFormat } from '../../tiles/tile.image.js';
import { CONTENT_TYPES } from '../../tiles/tile.image.js';
import type { TileRequest, TileSourceDeps } from '../../tiles/tile.service.js';
import { TileService } from '../../tiles/tile.service.js';
import type { Resampling } from '../../tiles/warp.js';

/** Dependencies of the tile routes (`AppDeps.tiles`). */
export interface TilesDeps extends TileSourceDeps {
  /** `Cache-Control` max-age of tiles and TileJSON, seconds. */
  cacheMaxAge: number;
  /** Public base URL (absolute http(s), no query) TileJSON tile URLs start with; unset = per request. */
  publicBaseUrl?: string;
  /** Without `publicBaseUrl`: take scheme and host from `X-Forwarded-Proto`/`X-Forwarded-Host`. Default false. */
  trustProxy?: boolean;
}

/** A host as a URL may hold it: name or IPv4/IPv6 literal, optional port (anything else is not used). */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The first value of a (possibly repeated, comma-separated) header. */
function firstHeader(v: string | string[] | undefined): string | undefined {
  const one = Array.isArray(v) ? v[0] : v;
  return one?.split(',')[0]?.trim();
}

/**
 * The origin TileJSON tile URLs start with, and whether it is the same for every client (`shared`). The `Host`
 * header is the client's to choose, so an answer built on it must not be stored by shared caches.
 */
function tileOrigin(
  deps: TilesDeps,
  request: { protocol: string; host: string; headers: Record<string, string | string[] | undefined> },
): { origin: string; shared: boolean } {
  if (deps.publicBaseUrl !== undefined) return { origin: deps.publicBaseUrl.replace(/\/+$/, ''), shared: true };
  let proto = request.protocol === 'https' ? 'https' : 'http';
  let host = request.host;
  if (deps.trustProxy === true) {
    const fp = firstHeader(request.headers['x-forwarded-proto'])?.toLowerCase();
    if (fp === 'http' || fp === 'https') proto = fp;
    host = firstHeader(request.headers['x-forwarded-host']) ?? host;
  }
  // A malformed host is not written into a URL: the template is then relative to wherever the TileJSON came from.
  return { origin: HOST.test(host) ? `${proto}://${host}` : '', shared: false };
}

/** `y`, optionally with `@2x` and a format suffix. */
const Y_PATTERN = /^(\d{1,9})(@2x)?(?:\.(png|webp))?$/;

const StyleQuery = {
  colormap: Type.Optional(
    Type.String({ maxLength: 64, description: 'Colormap name; blank, `undefined` or `null` → the variable’s.' }),
  ),
  rescale: Type.Optional(
    Type.String({ maxLength: 64, description: '`lo,hi` mapped onto the colormap (default `0,100`).' }),
  ),
  format: Type.Optional(Type.Union([Type.Literal('png'), Type.Literal('webp')])),
  tilesize: Type.Optional(Type.Union([Type.Literal('128'), Type.Literal('256'), Type.Literal('512')])),
  resampling: Type.Optional(Type.Union([Type.Literal('nearest'), Type.Literal('bilinear')])),
};

interface StyleQueryValues {
  colormap?: string;
  rescale?: string;
  format?: TileFormat;
  tilesize?: '128' | '256' | '512';
  resampling?: Resampling;
}

/** True when an `If-None-Match` header value matches `etag` (weak comparison, lists, `*`). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
}

/** An AbortSignal that fires when the client goes away before the response is sent. */
function clientSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // Many block reads listen to this one signal at once; that is not a leak.
  setMaxListeners(0, controller.signal);
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new AppError('aborted', 'The client closed the connection.'));
  });
  return controller.signal;
}

/** The tile route plugin. */
export function tilesRoutes(deps: TilesDeps): FastifyPluginAsync {
  const service = new TileService(deps);
  const cacheControl = `public, max-age=${deps.cacheMaxAge}`;
  const privateCacheControl = `private, max-age=${deps.cacheMaxAge}`;
  return async (app) => {
    app.get(
      '/tiles/:dataset_id/:variable_id/:timestep/:z/:x/:y',
      {
        schema: {
          tags: ['tiles'],
          summary: 'A Web Mercator map tile of one timestep',
          params: Type.Object({
            dataset_id: Type.String(),
            variable_id: Type.String(),
            timestep: Type.String({ description: 'Timestep key, e.g. `0103`, `0001-01`.' }),
            z: Type.String({ pattern: '^\\d{1,9}$', description: 'Zoom, 0–24.' }),
            x: Type.String({ pattern: '^\\d{1,9}$' }),
            y: Type.String({ pattern: Y_PATTERN.source, description: 'Row, optionally `@2x` and `.png`/`.webp`.' }),
          }),
          querystring: Type.Object(StyleQuery),
        },
      },
      async (request, reply) => {
        const p = request.params as {
          dataset_id: string;
          variable_id: string;
          timestep: string;
          z: string;
          x: string;
          y: string;
        };
        const q = request.query as StyleQueryValues;
        const m = Y_PATTERN.exec(p.y) as RegExpExecArray;
        const size = Number(q.tilesize ?? 256) * (m[2] ? 2 : 1);
        if (size > 512)
          throw new AppError('invalid_request', 'Tile size must be 128, 256 or 512 pixels (@2x doubles tilesize).');
        const req: TileRequest = {
          datasetId: p.dataset_id,
          variableId: p.variable_id,
          timestep: p.timestep,
          z: Number(p.z),
          x: Number(p.x),
          y: Number(m[1]),
          colormap: q.colormap,
          rescale: q.rescale,
          size,
          format: (m[3] as TileFormat | undefined) ?? q.format ?? 'png',
          resampling: q.resampling ?? 'nearest',
        };
        const signal = clientSignal(reply);
        const tile = await service.prepare(req, { signal });
        void reply.header('ETag', tile.etag).header('Cache-Control', cacheControl);
        if (etagMatches(request.headers['if-none-match'], tile.etag)) return reply.status(304).send();
        const body = await service.render(tile, { signal });
        return reply.type(CONTENT_TYPES[req.format]).send(body);
      },
    );

    app.get(
      '/tilejson/:dataset_id/:variable_id/:file',
      {
        schema: {
          tags: ['tiles'],
          summary: 'TileJSON 3.0.0 of one timestep',
          params: Type.Object({
            dataset_id: Type.String(),
            variable_id: Type.String(),
            file: Type.String({ pattern: '^.+\\.json$', description: '`<timestep>.json`' }),
          }),
          querystring: Type.Object(StyleQuery),
        },
      },
      async (request, reply) => {
        const p = request.params as { dataset_id: string; variable_id: string; file: string };
        const q = request.query as StyleQueryValues;
        const timestep = p.file.slice(0, -'.json'.length);
        const layer = await service.layer(
          { datasetId: p.dataset_id, variableId: p.variable_id, timestep, colormap: q.colormap, rescale: q.rescale },
          { signal: clientSignal(reply) },
        );
        const query = new URLSearchParams();
        // A variable styled by its display preferences ignores colormap and rescale: its tile URLs go without them,
        // so every client shares one cached URL per tile.
        if (q.colormap !== undefined && !layer.styledByDisplay) query.set('colormap', q.colormap);
        if (q.rescale !== undefined && !layer.styledByDisplay) query.set('rescale', q.rescale);
        if (q.tilesize !== undefined) query.set('tilesize', q.tilesize);
        if (q.resampling !== undefined) query.set('resampling', q.resampling);
        const qs = query.toString();
        const path = [p.dataset_id, p.variable_id, layer.timestep].map(encodeURIComponent).join('/');
        const { origin, shared } = tileOrigin(deps, request);
        const url = `${origin}/tiles/${path}/{z}/{x}/{y}.${q.format ?? 'png'}${qs ? `?${qs}` : ''}`;
        const { bounds, minzoom, maxzoom } = layer.footprint;
        void reply.header('Cache-Control', shared ? cacheControl : privateCacheControl);
        if (!shared)
          void reply.header('Vary', deps.trustProxy === true ? 'Host, X-Forwarded-Host, X-Forwarded-Proto' : 'Host');
        return {
          tilejson: '3.0.0',
          name: `${p.dataset_id}/${p.variable_id}/${layer.timestep}`,
          version: '1.0.0',
          scheme: 'xyz',
          tiles: [url],
          minzoom,
          maxzoom,
          bounds,
          center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, minzoom],
        };
      },
    );
  };
}
