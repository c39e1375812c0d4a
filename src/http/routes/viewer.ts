/**
 * The map viewer (web/, built by `npm run build:web` into `web/dist/`): `GET /` is its page, `GET /viewer/{file}`
 * its assets. Files are read once when the routes are registered (the bundle is immutable while the server runs);
 * assets have content-hashed names, so they are cached for a year, and the page is revalidated on every load
 * (`no-cache` + `ETag`) so a rebuilt bundle is picked up. A gzip copy written by the build (`<file>.gz`) is sent
 * to clients that accept it.
 *
 * The page carries the `/metadata` answer in a JSON data block (`<script type="application/json"
 * id="skope-metadata">`): the viewer builds its map with the first timestep's tiles from it at once, instead of
 * waiting for its script to ask for `/metadata` (the round trip delayed the first map paint).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** Content types of what the build writes (anything else is not served). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** A built file held in memory. */
interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
}

/** The page's policy: everything from this origin; styles set by the map and chart libraries; module workers. */
const CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/**
 * The page with `metadata` (JSON text) embedded before `</head>`. Every `<` is escaped (`\u003c`, the same JSON
 * value) so no string in the registry can close the element or open a comment.
 */
export function embedMetadata(html: string, metadata: string): string {
  const block = `<script type="application/json" id="skope-metadata">${metadata.replaceAll('<', '\\u003c')}</script>`;
  const at = html.indexOf('</head>');
  return at < 0 ? `${block}${html}` : `${html.slice(0, at)}${block}\n  ${html.slice(at)}`;
}

function load(dir: string, name: string): Asset | undefined {
  const type = CONTENT_TYPES[extname(name)];
  if (type === undefined) return undefined;
  const body = readFileSync(join(dir, name));
  const gz = join(dir, `${name}.gz`);
  return {
    body,
    gzip: existsSync(gz) ? readFileSync(gz) : undefined,
    type,
    etag: etagOf(body),
  };
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string): FastifyReply {
  void reply.header('Cache-Control', cacheControl).header('ETag', asset.etag).header('Vary', 'Accept-Encoding');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  void reply.type(asset.type);
  const accepts = request.headers['accept-encoding'];
  if (asset.gzip !== undefined && typeof accepts === 'string' && /\bgzip\b/.test(accepts)) {
    return reply.header('Content-Encoding', 'gzip').send(asset.gzip);
  }
  return reply.send(asset.body);
}

/**
 * The viewer route plugin over the built bundle in `dir` (`index.html` and its assets). When `dir` holds no
 * `index.html` (the bundle was not built), no route is registered and `onMissing` is told: `/` then answers the
 * usual 404. `metadata` gives the `/metadata` body to embed in the page (read once: the registry is immutable);
 * without it the page asks for `/metadata` itself.
 */
export function viewerRoutes(
  dir: string,
  onMissing: (message: string) => void = () => {},
  metadata?: () => string,
): FastifyPluginAsync {
  return async (app) => {
    if (!existsSync(join(dir, 'index.html'))) {
      onMissing(`The map viewer is not built (no index.html in ${dir}): run \`npm run build:web\`.`);
      return;
    }
    const built = load(dir, 'index.html');
    if (built === undefined) return;
    let page = built;
    if (metadata !== undefined) {
      const body = Buffer.from(embedMetadata(built.body.toString('utf8'), metadata()));
      page = { body, gzip: gzipSync(body), type: built.type, etag: etagOf(body) };
    }
    const assets = new Map<string, Asset>();
    for (const name of readdirSync(dir)) {
      if (name === 'index.html' || name.endsWith('.gz')) continue;
      const asset = load(dir, name);
      if (asset !== undefined) assets.set(name, asset);
    }

    app.get('/', { schema: { hide: true } }, async (request, reply) => {
      void reply.header('Content-Security-Policy', CSP).header('Referrer-Policy', 'no-referrer');
      return send(request, reply, page, 'no-cache');
    });
    app.get('/viewer/:file', { schema: { hide: true } }, async (request, reply) => {
      const { file } = request.params as { file: string };
      const asset = assets.get(file);
      if (asset === undefined) {
        return reply.code(404).send({ detail: `Not Found: GET /viewer/${file}`, code: 'not_found' });
      }
      return send(request, reply, asset, 'public, max-age=31536000, immutable');
    });
  };
}
