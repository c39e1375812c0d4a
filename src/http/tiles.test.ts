/**
 * The tile routes over real parts: the registry YAML, LookupStore, the source resolver and openCog on the COGs in
 * test/fixtures/tiles (made by make.sh), with a counting ByteSource to prove which requests read nothing.
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, gdalLevels, gdalwarpTile } from '../../test/fixtures/tiles/gdal.js';
import { HAS_GDAL, requireTool } from '../../test/support/env.js';
import { startTilesApp } from '../../test/support/http.js';
import { ANNUAL_FILE, FIXTURES, SKOPE_PRECIP } from '../../test/support/testdata.js';
import { resolveCrs } from '../geo/crs.js';
import { openCog } from '../raster/cog.js';
import type { Cog } from '../raster/types.js';
import { createColormapSet } from '../registry/colormaps.js';
import { LookupStore } from '../registry/lookup.store.js';
import { parseRegistry } from '../registry/registry.js';
import { createSourceResolver } from '../storage/resolver.js';
import type { ByteSource } from '../storage/source.js';
import { codesToRgba, rescaleToCodes } from '../tiles/colorize.js';
import { tileCrsFrom } from '../tiles/tile.crs.js';
import { planTile } from '../tiles/tile.plan.js';
import { MERCATOR_HALF, latToMercatorY, lonToMercatorX, tileBounds } from '../tiles/tile.matrix.js';
import { etagMatches } from './routes/tiles.js';

const BASE = fixture('');
const colormaps = createColormapSet({ 'skope-precip': SKOPE_PRECIP });
const hasGdal = requireTool('gdal', HAS_GDAL());

/** Fetches made through every source, and their bytes. */
const reads = { fetches: 0, bytes: 0 };
function counting(source: ByteSource): ByteSource {
  return {
    url: source.url,
    get metadata() {
      return source.metadata;
    },
    set metadata(m) {
      source.metadata = m;
    },
    async fetch(offset, length, options) {
      const buf = await source.fetch(offset, length, options);
      reads.fetches++;
      reads.bytes += buf.byteLength;
      return buf;
    },
    head: (o) => source.head(o),
  };
}

let app: FastifyInstance;

beforeAll(async () => {
  const resolver = createSourceResolver();
  const registry = parseRegistry(readFileSync(fixture('registry.yml'), 'utf8'), colormaps, 'registry.yml');
  const cogs = new Map<string, Promise<Cog>>();
  app = await startTilesApp({
    registry,
    colormaps,
    lookups: new LookupStore({ resolver, baseUrl: BASE }),
    baseUrl: BASE,
    openCog: (url) => {
      let p = cogs.get(url);
      if (!p) cogs.set(url, (p = openCog(counting(resolver.open(url)))));
      return p;
    },
    cacheMaxAge: 600,
  });
});
afterAll(async () => {
  await app.close();
});

async function get(url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers });
}

function decodePng(body: Buffer): PNG {
  return PNG.sync.read(body);
}

/** Alpha of pixel (i, j) of a decoded 8-bit RGBA image. */
function alphaAt(png: PNG, i: number, j: number): number {
  return png.data[(j * png.width + i) * 4 + 3]!;
}

/** What GDAL makes of tile `t` (256 px, nearest) of band 1 of fixture `file`, rescaled through `colormap`. */
function gdalTile(
  file: string,
  crs: string,
  t: { z: number; x: number; y: number },
  lo: number,
  hi: number,
  colormap: string,
): Buffer {
  const path = fixture(file);
  const plan = planTile(gdalLevels(path), tileCrsFrom(resolveCrs(crs)), t, 256, 'nearest');
  const gdal = gdalwarpTile(path, 1, plan.bounds, 256, plan.level, 'near', 0);
  return Buffer.from(codesToRgba(rescaleToCodes(gdal, { lo, hi }), colormaps.get(colormap)!.lut).buffer);
}

describe('GET /tiles', () => {
  it.skipIf(!hasGdal)('renders the band as GDAL warps it, rescaled through the colormap (EPSG:4269, z7)', async () => {
    const res = await get('/tiles/geo/ppt/0001/7/24/48?rescale=0,1000&colormap=viridis');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['cache-control']).toBe('public, max-age=600');
    expect(res.headers['etag']).toMatch(/^"[\w-]+"$/);
    const png = decodePng(res.rawPayload);
    expect([png.width, png.height]).toEqual([256, 256]);
    const expected = gdalTile('geo4269.tif', 'EPSG:4269', { z: 7, x: 24, y: 48 }, 0, 1000, 'viridis');
    let same = 0;
    for (let k = 0; k < 256 * 256; k++) {
      if (png.data.readUInt32BE(4 * k) === expected.readUInt32BE(4 * k)) same++;
    }
    expect(same / (256 * 256)).toBeGreaterThanOrEqual(0.999);
  });

  it.skipIf(!hasGdal)('renders a UTM dataset as GDAL does (EPSG:32612, z9, custom colormap)', async () => {
    const res = await get('/tiles/utm/elev/0001/9/97/198.png?rescale=-500,1500');
    expect(res.statusCode).toBe(200);
    const png = decodePng(res.rawPayload);
    const expected = gdalTile('utm12.tif', 'EPSG:32612', { z: 9, x: 97, y: 198 }, -500, 1500, 'skope-precip');
    let same = 0;
    let opaque = 0;
    for (let k = 0; k < 256 * 256; k++) {
      if (png.data.readUInt32BE(4 * k) === expected.readUInt32BE(4 * k)) same++;
      if (expected[4 * k + 3] === 255) opaque++;
    }
    expect(opaque).toBeGreaterThan(1000);
    expect(same / (256 * 256)).toBeGreaterThanOrEqual(0.999);
  });

  it('serves sizes 128/256/512 and WebP', async () => {
    const at2x = await get('/tiles/geo/ppt/0001/6/11/24@2x.png');
    expect(at2x.statusCode).toBe(200);
    expect(decodePng(at2x.rawPayload).width).toBe(512);
    const small = await get('/tiles/geo/ppt/0001/6/11/24?tilesize=128');
    expect(decodePng(small.rawPayload).height).toBe(128);
    const webp = await get('/tiles/geo/ppt/0001/6/11/24.webp');
    expect(webp.headers['content-type']).toBe('image/webp');
    expect(await sharp(webp.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 });
    const webp2 = await get('/tiles/geo/ppt/0001/6/11/24@2x?format=webp');
    expect(await sharp(webp2.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 512 });
    expect(at2x.headers['etag']).not.toBe(webp2.headers['etag']);
  });

  it('makes nodata, NaN and cells outside the raster transparent', async () => {
    // Band 1 of geo4269 is nodata over lon −110…−108.5, lat 41…40 (rows 40–59, cols 100–129).
    const tile = await get('/tiles/geo/ppt/0001/8/49/95?rescale=0,1000'); // lon −111.09…−109.69, lat 42.0…41.0
    const png = decodePng((await get('/tiles/geo/ppt/0001/8/49/96?rescale=0,1000')).rawPayload);
    expect(tile.statusCode).toBe(200);
    // Left of −110 is data; right of it, lat 41…40, is the nodata block.
    expect(alphaAt(png, 10, 50)).toBe(255);
    expect(alphaAt(png, 250, 50)).toBe(0);
    // Band 2 has no hole there.
    const band2 = decodePng((await get('/tiles/geo/ppt/0002/8/49/96?rescale=0,1000')).rawPayload);
    expect(alphaAt(band2, 250, 50)).toBe(255);
    // geo4326f has NaN over lon −122…−120.5, lat 44…43 (rows 10–19, cols 10–24).
    const nan = decodePng((await get('/tiles/geo/temp/0001/8/42/93?rescale=10,90')).rawPayload);
    const [minA, maxA] = [Math.min(...alphas(nan)), Math.max(...alphas(nan))];
    expect([minA, maxA]).toEqual([0, 255]);
    // An edge tile: the raster's west edge (−115) crosses z6 x=11 (−118.125…−112.5).
    const edge = decodePng((await get('/tiles/geo/ppt/0002/6/11/24')).rawPayload);
    expect(alphaAt(edge, 10, 128)).toBe(0);
    expect(alphaAt(edge, 250, 128)).toBe(255);
  });

  it('answers tiles wholly outside the data with the shared transparent tile, reading nothing', async () => {
    await get('/tiles/geo/ppt/0001/6/11/24'); // opens the COG
    reads.fetches = 0;
    const far = await get('/tiles/geo/ppt/0001/6/40/20');
    const far2 = await get('/tiles/geo/ppt/0001/3/0/0@2x');
    expect(far.statusCode).toBe(200);
    expect(reads.fetches).toBe(0);
    const png = decodePng(far.rawPayload);
    expect(alphas(png).every((a) => a === 0)).toBe(true);
    expect(decodePng(far2.rawPayload).width).toBe(512);
    expect(far.headers['etag']).toBeDefined();
  });

  it('answers If-None-Match with 304 before reading pixels', async () => {
    const first = await get('/tiles/geo/ppt/0001/7/24/48?rescale=0,500');
    const etag = first.headers['etag'] as string;
    reads.fetches = 0;
    const again = await get('/tiles/geo/ppt/0001/7/24/48?rescale=0,500', { 'if-none-match': `"x", ${etag}` });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    expect(again.headers['etag']).toBe(etag);
    expect(again.headers['cache-control']).toBe('public, max-age=600');
    expect(reads.fetches).toBe(0);
    // Equivalent rescale text (%g) → same pixels → same ETag; another style → another ETag.
    expect((await get('/tiles/geo/ppt/0001/7/24/48?rescale=0.0,500.00')).headers['etag']).toBe(etag);
    expect((await get('/tiles/geo/ppt/0001/7/24/48?rescale=0,501')).headers['etag']).not.toBe(etag);
    expect((await get('/tiles/geo/ppt/0002/7/24/48?rescale=0,500')).headers['etag']).not.toBe(etag);
    expect((await get('/tiles/geo/ppt/0001/7/24/48?rescale=0,500&resampling=bilinear')).headers['etag']).not.toBe(etag);
  });

  it("uses the registry's colormap when the query has none, 'undefined' or 'null'", async () => {
    const magma = (await get('/tiles/geo/temp/0001/6/10/23?colormap=magma')).headers['etag'];
    for (const q of ['', '?colormap=undefined', '?colormap=%20null%20', '?colormap=']) {
      expect((await get(`/tiles/geo/temp/0001/6/10/23${q}`)).headers['etag'], q).toBe(magma);
    }
    expect((await get('/tiles/geo/temp/0001/6/10/23?colormap=viridis')).headers['etag']).not.toBe(magma);
  });

  it('renders low zooms of a projected dataset without wrapping far-away points onto it', async () => {
    for (const url of ['/tiles/utm/elev/0001/0/0/0', '/tiles/utm/elev/0001/2/0/1', '/tiles/utm/elev/0001/4/3/6']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      const png = decodePng(res.rawPayload);
      // The data sits around lon −111.5, lat 37.5; pixels far from it stay transparent.
      expect(alphaAt(png, 0, 0), url).toBe(0);
      expect(alphaAt(png, 255, 255), url).toBe(0);
    }
    // z4 x=3 y=6 spans lon −112.5…−90, lat 40.98…21.9: the data is in its north-west corner.
    const z4 = decodePng((await get('/tiles/utm/elev/0001/4/3/6')).rawPayload);
    expect(alphas(z4).filter((a) => a === 255).length).toBeGreaterThan(10);
  });

  it('renders bilinear tiles', async () => {
    const res = await get('/tiles/geo/ppt/0001/9/99/195?resampling=bilinear&rescale=0,1000');
    expect(res.statusCode).toBe(200);
    expect(decodePng(res.rawPayload).width).toBe(256);
  });
});

describe('GET /tiles over the upstream 5×5 fixture (upstream tile tests)', () => {
  let app5: FastifyInstance;
  const viridis = colormaps.get('viridis')!.lut;
  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'skope-tiles-5x5-'));
    await mkdir(join(root, 'test-annual'));
    await writeFile(
      join(root, 'test-annual', 'lookup.json'),
      JSON.stringify({
        ppt: Object.fromEntries([1, 2, 3, 4, 5].map((b) => [`000${b}`, { file: ANNUAL_FILE, bidx: b }])),
      }),
    );
    await copyFile(join(FIXTURES, ANNUAL_FILE), join(root, ANNUAL_FILE));
    const yaml =
      '- id: test-annual\n  crs: EPSG:4326\n  transform: [1, 0, -123, 0, -1, 45]\n  variables:\n    - id: ppt\n';
    const resolver = createSourceResolver();
    app5 = await startTilesApp({
      registry: parseRegistry(yaml, colormaps, 'metadata.yml'),
      colormaps,
      lookups: new LookupStore({ resolver, baseUrl: root }),
      baseUrl: root,
      openCog: (url) => openCog(resolver.open(url)),
      cacheMaxAge: 0,
    });
    return async () => {
      await app5.close();
      await rm(root, { recursive: true, force: true });
    };
  });

  /** RGBA at lon/lat in tile z/x/y of 256 px. */
  function rgbaAt(png: PNG, t: { z: number; x: number; y: number }, lon: number, lat: number): number[] {
    const [minX, , , maxY] = tileBounds(t);
    const res = (2 * MERCATOR_HALF) / 2 ** t.z / 256;
    const i = Math.floor((lonToMercatorX(lon) - minX) / res);
    const j = Math.floor((maxY - latToMercatorY(lat)) / res);
    return Array.from(png.data.subarray((j * 256 + i) * 4, (j * 256 + i) * 4 + 4));
  }
  const lutAt = (k: number): number[] => Array.from(viridis.subarray(4 * k, 4 * k + 4));

  it('renders with the registry colormap and the default rescale 0,100', async () => {
    const res = await app5.inject('/tiles/test-annual/ppt/0001/0/0/0');
    expect(res.statusCode).toBe(200);
    const png = decodePng(res.rawPayload);
    const t = { z: 0, x: 0, y: 0 };
    // At z0 a 1° cell is < 1 px wide: sample at a pixel centre well inside (lon −120.23 → col 2, lat 42.55 → row 2).
    expect(rgbaAt(png, t, -120.5, 42.5)).toEqual(lutAt(255)); // 122.2 ≥ 100 → top of 0,100
    expect(rgbaAt(png, t, -100, 0)).toEqual([0, 0, 0, 0]); // outside the raster
  });

  it('rescales float32 values and leaves NaN cells transparent', async () => {
    const t = { z: 5, x: 5, y: 11 }; // lon −123.75…−112.5, lat 45.09…40.98
    const png = decodePng(
      (await app5.inject(`/tiles/test-annual/ppt/0001/${t.z}/${t.x}/${t.y}?rescale=100,150`)).rawPayload,
    );
    expect(rgbaAt(png, t, -122.5, 44.5)).toEqual(lutAt(0)); // 100
    expect(rgbaAt(png, t, -122.5, 42.5)).toEqual(lutAt(102)); // 120: trunc(20 / 50 × 255)
    expect(rgbaAt(png, t, -118.5, 41.5)[3]).toBe(0); // NaN cell (row 3, col 4)
    expect(rgbaAt(png, t, -119.5, 41.5)).toEqual(lutAt(169)); // 133.3 (float32 133.30000305…): trunc(169.83)
    expect(rgbaAt(png, t, -120.5, 41.5)).toEqual(lutAt(164)); // 132.2: trunc(164.22)
  });
});

function alphas(png: PNG): number[] {
  const out: number[] = [];
  for (let k = 3; k < png.data.length; k += 4) out.push(png.data[k]!);
  return out;
}

describe('tile errors (upstream order and sentences)', () => {
  const cases: [url: string, status: number, code: string, detail?: string][] = [
    ['/tiles/nope/ppt/0001/0/0/0', 404, 'dataset_not_found', "Dataset 'nope' not found."],
    ['/tiles/geo/nope/0001/0/0/0', 404, 'variable_not_found', "Variable 'nope' not found in dataset 'geo'."],
    ['/tiles/nope/ppt/0001/0/0/0?colormap=../viridis', 404, 'dataset_not_found'],
    ['/tiles/geo/ppt/0001/0/0/0?colormap=../viridis', 422, 'invalid_request', 'Invalid colormap name.'],
    ['/tiles/geo/ppt/0001/0/0/0?rescale=0', 422, 'invalid_request', 'Rescale must contain exactly two numeric values.'],
    ['/tiles/geo/ppt/0001/0/0/0?rescale=nan,100', 422, 'invalid_request', 'Rescale values must be finite.'],
    ['/tiles/geo/ppt/0001/0/0/0?rescale=100,0', 422, 'invalid_request', 'Rescale minimum must be less than maximum.'],
    ['/tiles/geo/ppt/0001/0/0/0?colormap=nosuch', 422, 'colormap_not_found', "Colormap 'nosuch' is not known."],
    ['/tiles/geo/ppt/01/0/0/0', 422, 'timestep_malformed'],
    ['/tiles/geo/ppt/0001-05/0/0/0', 422, 'timestep_malformed'],
    [
      '/tiles/geo/ppt/0009/0/0/0',
      404,
      'timestep_not_found',
      "Timestep '0009' is not available for 'ppt' in this dataset.",
    ],
    ['/tiles/geo/ppt/0001/25/0/0', 422, 'invalid_request', 'Zoom level must be an integer from 0 to 24.'],
    ['/tiles/geo/ppt/0001/2/4/0', 422, 'invalid_request', 'Tile 2/4/0 does not exist: x and y must be below 4.'],
    ['/tiles/geo/ppt/0001/2/0/4.png', 422, 'invalid_request'],
    ['/tiles/geo/ppt/0001/1/0/0@2x?tilesize=512', 422, 'invalid_request'],
    ['/tiles/geo/ppt/0001/a/0/0', 422, 'validation_error'],
    ['/tiles/geo/ppt/0001/0/0/0.jpg', 422, 'validation_error'],
    ['/tiles/geo/ppt/0001/0/0/0?tilesize=300', 422, 'validation_error'],
    ['/tiles/geo/ppt/0001/0/0/0?resampling=cubic', 422, 'validation_error'],
    [`/tiles/geo/ppt/0001/0/0/0?colormap=${'a'.repeat(65)}`, 422, 'validation_error'],
    [`/tiles/geo/ppt/0001/0/0/0?rescale=${'1'.repeat(65)}`, 422, 'validation_error'],
    ['/tiles/geo/broken/0001/0/0/0', 500, 'band_out_of_range'],
  ];
  it('an empty rescale is refused even after the same tile without one was served (validated styles are kept)', async () => {
    expect((await get('/tiles/geo/ppt/0001/0/0/0')).statusCode).toBe(200);
    const empty = await get('/tiles/geo/ppt/0001/0/0/0?rescale=');
    expect(empty.statusCode).toBe(422);
    expect(empty.json<{ detail: string }>().detail).toBe('Rescale must contain exactly two numeric values.');
    // An empty colormap is the registry's, as an absent one.
    expect((await get('/tiles/geo/ppt/0001/0/0/0?colormap=')).statusCode).toBe(200);
  });
  for (const [url, status, code, detail] of cases) {
    it(`${url.slice(0, 70)} → ${status} ${code}`, async () => {
      const res = await get(url);
      expect(res.statusCode, res.body).toBe(status);
      const body = res.json<{ detail: unknown; code: string }>();
      expect(body.code).toBe(code);
      if (detail !== undefined) expect(body.detail).toBe(detail);
      if (code === 'validation_error') expect(Array.isArray(body.detail)).toBe(true);
    });
  }
});

describe('GET /tilejson', () => {
  it('describes the layer as TileJSON 3.0.0 with an absolute tile URL', async () => {
    const res = await get('/tilejson/geo/ppt/0001.json?rescale=0,1000&colormap=magma&tilesize=512', {
      host: 'maps.example.org:8080',
    });
    expect(res.statusCode).toBe(200);
    // Built on the client's Host (no PUBLIC_BASE_URL here): never stored by shared caches.
    expect(res.headers['cache-control']).toBe('private, max-age=600');
    expect(res.headers['vary']).toBe('Host');
    const tj = res.json<Record<string, unknown>>();
    expect(tj).toMatchObject({ tilejson: '3.0.0', scheme: 'xyz', name: 'geo/ppt/0001', minzoom: 5, maxzoom: 5 });
    // calculate_default_transform(4269 → 3857, 200×160) gives 6243.67 m, 178×184 px: z5 (4892 m) is nearer in
    // ratio than z4 (9784 m) → maxzoom 5; 178 px is below one 256 px tile, so no overview level → minzoom 5.
    expect(tj['tiles']).toEqual([
      'http://maps.example.org:8080/tiles/geo/ppt/0001/{z}/{x}/{y}.png?colormap=magma&rescale=0%2C1000&tilesize=512',
    ]);
    const bounds = tj['bounds'] as number[];
    [-115, 35, -105, 43].forEach((v, i) => expect(bounds[i]).toBeCloseTo(v, 9));
    expect(tj['center']).toEqual([-110, 39, 5]);
  });

  it('normalises the timestep and keeps WebP', async () => {
    const tj = (await get('/tilejson/geo/ppt/0002-01-01.json?format=webp')).json<{ tiles: string[] }>();
    expect(tj.tiles[0]).toBe('http://localhost:80/tiles/geo/ppt/0002/{z}/{x}/{y}.webp');
  });

  it('reports the same errors as tiles', async () => {
    expect((await get('/tilejson/nope/ppt/0001.json')).json()).toEqual({
      detail: "Dataset 'nope' not found.",
      code: 'dataset_not_found',
    });
    expect((await get('/tilejson/geo/ppt/0009.json')).statusCode).toBe(404);
    expect((await get('/tilejson/geo/ppt/0001.json?rescale=1,0')).statusCode).toBe(422);
    expect((await get('/tilejson/geo/ppt/0001')).statusCode).toBe(422);
  });
});

describe('etagMatches', () => {
  it('handles lists, weak tags and *', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b", "a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(undefined, '"a"')).toBe(false);
  });
});
