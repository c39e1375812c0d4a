/**
 * Where TileJSON tile URLs come from: `PUBLIC_BASE_URL` (shared, `public`), else the request's Host with
 * `X-Forwarded-*` ignored unless `TRUST_PROXY=true` (`private`); and `X-Content-Type-Options: nosniff` on every answer.
 */
import { describe, expect, it } from 'vitest';
import { appForFile } from '../../test/support/http.js';

const plain = appForFile();
const based = appForFile({ PUBLIC_BASE_URL: 'https://maps.example.org/skope/', TILE_MAX_AGE: '120' });
const proxied = appForFile({ TRUST_PROXY: 'true', TILE_MAX_AGE: '120' });

const URL_ = '/tilejson/test-annual/ppt/0003.json?rescale=0,500';
const FORWARDED = { host: 'internal:8000', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };

describe('TileJSON tile URLs', () => {
  it('PUBLIC_BASE_URL: the configured origin whatever the headers say, Cache-Control public', async () => {
    const res = await based.app.inject({ method: 'GET', url: URL_, headers: FORWARDED });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ tiles: string[] }>().tiles).toEqual([
      'https://maps.example.org/skope/tiles/test-annual/ppt/0003/{z}/{x}/{y}.png?rescale=0%2C500',
    ]);
    expect(res.headers['cache-control']).toBe('public, max-age=120');
  });

  it('default: the Host header, X-Forwarded-* ignored, Cache-Control private with Vary: Host', async () => {
    const res = await plain.app.inject({ method: 'GET', url: URL_, headers: FORWARDED });
    expect(res.json<{ tiles: string[] }>().tiles).toEqual([
      'http://internal:8000/tiles/test-annual/ppt/0003/{z}/{x}/{y}.png?rescale=0%2C500',
    ]);
    expect(res.headers['cache-control']).toBe('private, max-age=3600');
    expect(res.headers['vary']).toBe('Host');
  });

  it('TRUST_PROXY=true: X-Forwarded-Proto and -Host (first values), private; a malformed host is not used', async () => {
    const res = await proxied.app.inject({
      method: 'GET',
      url: URL_,
      headers: { ...FORWARDED, 'x-forwarded-host': 'maps.example.org, proxy2', 'x-forwarded-proto': 'https' },
    });
    expect(res.json<{ tiles: string[] }>().tiles).toEqual([
      'https://maps.example.org/tiles/test-annual/ppt/0003/{z}/{x}/{y}.png?rescale=0%2C500',
    ]);
    expect(res.headers['cache-control']).toBe('private, max-age=120');
    const bad = await proxied.app.inject({
      method: 'GET',
      url: URL_,
      headers: { host: 'internal:8000', 'x-forwarded-host': 'a"b/<script>' },
    });
    expect(bad.json<{ tiles: string[] }>().tiles).toEqual([
      '/tiles/test-annual/ppt/0003/{z}/{x}/{y}.png?rescale=0%2C500',
    ]);
  });
});

describe('X-Content-Type-Options: nosniff', () => {
  it.each([
    ['GET', '/healthz', 200],
    ['GET', '/metadata', 200],
    ['GET', '/tiles/test-annual/ppt/0003/0/0/0.png', 200],
    ['GET', '/no/such/route', 404],
    ['GET', '/tiles/nope/ppt/0003/0/0/0.png', 404],
    ['POST', '/timeseries/extract', 422],
  ])('%s %s → %i with nosniff', async (method, url, status) => {
    const res = await plain.app.inject({
      method: method as 'GET' | 'POST',
      url,
      payload: method === 'POST' ? {} : undefined,
    });
    expect(res.statusCode).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
