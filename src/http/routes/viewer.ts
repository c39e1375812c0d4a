/**
 * The map viewer (web/, built by `npm run build:web` into `web/dist/`): `GET /` is its page, `GET /viewer/{file}`
 * its assets. Files are read once when the routes are registered (the bundle is immutable while the server runs);
 * assets have content-hashed names, so they are cached for a year, and the page is revalidated on every load
 * (`no-cache` + `ETag`) so a rebuilt bundle is picked up. A gzip copy written by the build (`<file>.gz`) is sent
 * to clients that accept it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
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

function load(dir: string, name: string): Asset | undefined {
  const type = CONTENT_TYPES[extname(name)];
  if (type === undefined) return undefined;
  const body = readFileSync(join(dir, name));
  const gz = join(dir, `${name}.gz`);
  return {
    body,
    gzip: existsSync(gz) ? readFileSync(gz) : undefined,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
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
 * usual 404.
 */
export function viewerRoutes(dir: string, onMissing: (message: string) => void = () => {}): FastifyPluginAsync {
  return async (app) => {
    if (!existsSync(join(dir, 'index.html'))) {
      onMissing(`The map viewer is not built (no index.html in ${dir}): run \`npm run build:web\`.`);
      return;
    }
    const page = load(dir, 'index.html');
    if (page === undefined) return;
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
