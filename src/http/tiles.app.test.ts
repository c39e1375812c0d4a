/**
 * The tile routes inside the real app (createDeps → buildServer, the same wiring `skope serve` uses) over the
 * upstream pipeline tests' storage tree: the upstream tile cases, caching headers from the config, TileJSON and OpenAPI.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { appForFile } from '../../test/support/http.js';

const t = appForFile({ TILE_MAX_AGE: '120' }, { inline: true });

describe('tiles in the app (upstream tile tests)', () => {
  it('serves GET /tiles/test-annual/ppt/0001/0/0/0 with the registry colormap, with and without ?colormap=undefined', async () => {
    const plain = await t.app.inject('/tiles/test-annual/ppt/0001/0/0/0');
    const undef = await t.app.inject('/tiles/test-annual/ppt/0001/0/0/0?colormap=undefined');
    const viridis = await t.app.inject('/tiles/test-annual/ppt/0001/0/0/0?colormap=viridis');
    for (const res of [plain, undef]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['cache-control']).toBe('public, max-age=120');
      expect(res.headers['etag']).toBe(viridis.headers['etag']);
      const png = PNG.sync.read(res.rawPayload);
      expect([png.width, png.height]).toEqual([256, 256]);
    }
  });

  it('rejects invalid style parameters with 422 (the four upstream cases)', async () => {
    for (const q of ['colormap=../viridis', 'rescale=0', 'rescale=nan,100', 'rescale=100,0']) {
      const res = await t.app.inject(`/tiles/test-annual/ppt/0001/0/0/0?${q}`);
      expect(res.statusCode, q).toBe(422);
      expect(res.json<{ code: string }>().code).toBe('invalid_request');
    }
  });

  it('answers 404 for unknown timesteps and 422 for malformed ones, never 500/502', async () => {
    expect((await t.app.inject('/tiles/test-annual/ppt/0042/0/0/0')).statusCode).toBe(404);
    expect((await t.app.inject('/tiles/test-annual/ppt/0001-13-99/0/0/0')).statusCode).toBe(422);
    expect((await t.app.inject('/tiles/test-monthly/ppt/0001/0/0/0')).json()).toMatchObject({
      code: 'timestep_malformed',
    });
    expect((await t.app.inject('/tiles/test-monthly/ppt/0002-03/3/2/2.webp')).statusCode).toBe(200);
  });

  it('serves TileJSON and documents both routes in OpenAPI', async () => {
    const tj = (await t.app.inject('/tilejson/test-annual/ppt/0001.json')).json<{
      tiles: string[];
      bounds: number[];
    }>();
    expect(tj.tiles[0]).toBe('http://localhost:80/tiles/test-annual/ppt/0001/{z}/{x}/{y}.png');
    [-123, 40, -118, 45].forEach((v, i) => expect(tj.bounds[i]).toBeCloseTo(v, 9));
    const paths = Object.keys((await t.app.inject('/openapi.json')).json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toContain('/tiles/{dataset_id}/{variable_id}/{timestep}/{z}/{x}/{y}');
    expect(paths).toContain('/tilejson/{dataset_id}/{variable_id}/{file}');
  });
});
