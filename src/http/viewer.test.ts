/** The viewer routes over a built bundle: `/` and `/viewer/{file}` with their types, caching and gzip copies. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createBareServer } from '../app.js';
import { useTempDir } from '../../test/support/temp.dir.js';
import { viewerRoutes } from './routes/viewer.js';

const tmp = useTempDir('skope-viewer-route-');

async function appOver(dir: string, missing: string[] = [], metadata?: () => string) {
  const app = createBareServer(false);
  await app.register(viewerRoutes(dir, (m) => missing.push(m), metadata));
  await app.ready();
  return app;
}

describe('viewer routes', () => {
  it('serves the page (revalidated, with a CSP) and hashed assets (immutable), gzip when accepted', async () => {
    const dir = join(tmp(), 'dist');
    mkdirSync(dir);
    const js = 'console.log("viewer");'.repeat(50);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>SKOPE</title>');
    writeFileSync(join(dir, 'app-ABC.js'), js);
    writeFileSync(join(dir, 'app-ABC.js.gz'), gzipSync(js));
    writeFileSync(join(dir, 'app-ABC.css'), 'body{}');
    writeFileSync(join(dir, 'maplibre-gl-worker-X.mjs'), 'self.x=1');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
    const app = await appOver(dir);

    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('<title>SKOPE</title>');
    const again = await app.inject({ url: '/', headers: { 'if-none-match': String(page.headers['etag']) } });
    expect(again.statusCode).toBe(304);

    const plain = await app.inject({ url: '/viewer/app-ABC.js' });
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(js);
    const gz = await app.inject({ url: '/viewer/app-ABC.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['vary']).toBe('Accept-Encoding');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(js);
    expect((await app.inject({ url: '/viewer/app-ABC.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await app.inject({ url: '/viewer/maplibre-gl-worker-X.mjs' })).headers['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
    for (const url of ['/viewer/notes.txt', '/viewer/app-ABC.js.gz', '/viewer/..%2Findex.html', '/viewer/nope.js']) {
      const r = await app.inject({ url });
      expect([url, r.statusCode, r.json<{ code: string }>().code]).toEqual([url, 404, 'not_found']);
    }
    await app.close();
  });

  it('embeds the /metadata body in the page, escaped so no string in it can end the element', async () => {
    const dir = join(tmp(), 'embedded');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><html><head><title>SKOPE</title></head><body></body></html>',
    );
    const metadata = [{ id: 'd', description: 'Ends </script><script>alert(1)</script> <!-- here' }];
    const app = await appOver(dir, [], () => JSON.stringify(metadata));
    const page = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
    expect(page.headers['content-encoding']).toBe('gzip');
    const html = gunzipSync(page.rawPayload).toString();
    const m = /<script type="application\/json" id="skope-metadata">(.*?)<\/script>\s*<\/head>/s.exec(html);
    expect(m?.[1]).toBeDefined();
    expect(m?.[1]).not.toContain('<');
    expect(JSON.parse(m?.[1] ?? '')).toEqual(metadata);
    const plain = await app.inject({ url: '/' });
    expect(plain.body).toBe(html);
    expect(
      (await app.inject({ url: '/', headers: { 'if-none-match': String(plain.headers['etag']) } })).statusCode,
    ).toBe(304);
    await app.close();
  });

  it('without a built bundle: no route, and the reason is told once', async () => {
    const missing: string[] = [];
    const app = await appOver(join(tmp(), 'absent'), missing);
    expect((await app.inject({ url: '/' })).statusCode).toBe(404);
    expect(missing).toHaveLength(1);
    expect(missing[0]).toContain('npm run build:web');
    await app.close();
  });
});
