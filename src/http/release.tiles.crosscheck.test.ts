/**
 * Tiles of a pinned release against GDAL: the fixture COG `geo4269.tif` (EPSG:4269, uint16, nodata 65535, two
 * bands, overviews) served as release `geo-r-2026.10.07` (years 0001–0002 in one chunk), styled only by the display
 * preferences. Reference = `gdalwarp` of the same band to the tile's EPSG:3857 bounds (nearest), rescaled over the
 * display range through the display palette — the tile cross-check of the `metadata.yml` registry, on a release.
 * A second variable shares the bytes with scale 0.5 and offset 10 (physical = stored × 0.5 + 10) and the range
 * [10, 510]: its tiles must equal the raw variable's over [0, 1000], pixel for pixel.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, gdalLevels, gdalwarpTile } from '../../test/fixtures/tiles/gdal.js';
import { HAS_GDAL, requireTool } from '../../test/support/env.js';
import { startApp, startTilesApp } from '../../test/support/http.js';
import { writeCopiedRelease } from '../../test/support/release.copy.js';
import { tinyOverview } from '../../test/support/release.tiny.js';
import { resolveCrs } from '../geo/crs.js';
import { openCog } from '../raster/cog.js';
import { interpolateStops } from '../registry/colormaps.js';
import { openReleaseDatasets } from '../release/serve/open.js';
import { createSourceResolver } from '../storage/resolver.js';
import { codesToRgba, rescaleToCodes } from '../tiles/colorize.js';
import { tileCrsFrom } from '../tiles/tile.crs.js';
import { planTile } from '../tiles/tile.plan.js';
import type { Overview } from '../release/format/documents.js';

const hasGdal = requireTool('gdal', HAS_GDAL());

const SKOPE_PRECIP = ['#B5834A', '#CDAA78', '#DEC499', '#EFE0CA', '#D8EEEA', '#9ECEC6', '#5CAFA8', '#358C87'];
const PALETTES = `skope-precip:\n  kind: ramp\n  colors: [${SKOPE_PRECIP.map((c) => `"${c}"`).join(', ')}]\n`;
const PREFERENCES = `datasets:
  geo:
    order: 1
    variables:
      ppt: {order: 1, palette: skope-precip, range: [0, 1000]}
      ppt_scaled: {order: 2, palette: skope-precip, range: [10, 510]}
`;

// The tiny release's overview, with the tile fixture's grid and two years in one chunk.
const tiny = tinyOverview();
const tinyTime = tiny.dataset.time;
if (tinyTime?.kind !== 'regular') throw new Error('the tiny release was expected to have a regular time axis');
const variable = (scale: number, offset: number): Overview['variables'][string] => ({
  ...tiny.variables['v']!,
  title: 'Precipitation',
  description: 'Fixture values.',
  scale,
  offset,
});

const OVERVIEW: Overview = {
  ...tiny,
  release_id: 'geo-r-2026.10.07',
  declaration_digest: 'a'.repeat(64),
  dataset: {
    ...tiny.dataset,
    id: 'geo',
    title: 'Tile fixture',
    description: 'The tile cross-check fixture as a release.',
    region_name: 'Colorado Plateau',
    extent: { bbox: [-115, 35, -105, 43] },
    grid: { code: 'EPSG:4269', shape: [160, 200], transform: [0.05, 0, -115, 0, -0.05, 43] },
    time: { ...tinyTime, origin: '0001', count: 2 },
  },
  variables: { ppt: variable(1, 0), ppt_scaled: variable(0.5, 10) },
};

let base = '';
let app: FastifyInstance;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'skope-release-tiles-'));
  const item = 'geo--0001--0002';
  const cog = fixture('geo4269.tif');
  const { manifestSha256 } = await writeCopiedRelease(join(base, 'releases'), OVERVIEW, [
    { id: 'ppt', entry: OVERVIEW.variables['ppt']!, cogs: { [item]: cog } },
    { id: 'ppt_scaled', entry: OVERVIEW.variables['ppt_scaled']!, cogs: { [item]: cog } },
  ]);
  await writeFile(
    join(base, 'pin.yml'),
    `release_root: releases\nreleases:\n  - dataset: geo\n    release_id: geo-r-2026.10.07\n` +
      `    declaration_digest: ${'a'.repeat(64)}\n    manifest_sha256: ${manifestSha256}\n`,
  );
  await writeFile(join(base, 'preferences.yml'), PREFERENCES);
  await writeFile(join(base, 'palettes.yml'), PALETTES);
  const resolver = createSourceResolver();
  const { datasets } = await openReleaseDatasets(
    {
      releasePinPath: join(base, 'pin.yml'),
      displayPreferencesPath: join(base, 'preferences.yml'),
      displayPalettesPath: join(base, 'palettes.yml'),
    },
    resolver,
  );
  app = await startTilesApp({
    registry: datasets.registry,
    colormaps: datasets.colormaps,
    lookups: datasets.lookups,
    baseUrl: datasets.baseUrl,
    openCog: (url) => openCog(resolver.open(url)),
    cacheMaxAge: 600,
  });
});
afterAll(async () => {
  await app?.close();
  await rm(base, { recursive: true, force: true });
});

/** GDAL's tile `t` (256 px, nearest) of `band`, rescaled over [lo, hi] through the skope-precip ramp. */
function gdalTile(band: number, t: { z: number; x: number; y: number }, lo: number, hi: number): Buffer {
  const path = fixture('geo4269.tif');
  const plan = planTile(gdalLevels(path), tileCrsFrom(resolveCrs('EPSG:4269')), t, 256, 'nearest');
  const gdal = gdalwarpTile(path, band, plan.bounds, 256, plan.level, 'near', 0);
  return Buffer.from(codesToRgba(rescaleToCodes(gdal, { lo, hi }), interpolateStops(SKOPE_PRECIP)).buffer);
}

function sameShare(png: PNG, expected: Buffer): { same: number; opaque: number } {
  let same = 0;
  let opaque = 0;
  for (let k = 0; k < 256 * 256; k++) {
    if (png.data.readUInt32BE(4 * k) === expected.readUInt32BE(4 * k)) same++;
    if (expected[4 * k + 3] === 255) opaque++;
  }
  return { same: same / (256 * 256), opaque };
}

describe('tiles of a pinned release equal GDAL-warped references with the display style', () => {
  it.skipIf(!hasGdal)('band of year 0002 at z7, and an edge tile at z5; style queries change nothing', async () => {
    for (const [key, band, t] of [
      ['0002', 2, { z: 7, x: 24, y: 48 }],
      ['0001', 1, { z: 5, x: 5, y: 12 }],
    ] as const) {
      const url = `/tiles/geo/ppt/${key}/${t.z}/${t.x}/${t.y}`;
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, res.body).toBe(200);
      const png = PNG.sync.read(res.rawPayload);
      const { same, opaque } = sameShare(png, gdalTile(band, t, 0, 1000));
      expect(opaque).toBeGreaterThan(1000);
      expect(same).toBeGreaterThanOrEqual(0.999);
      const queried = await app.inject({ method: 'GET', url: `${url}?colormap=viridis&rescale=0,10` });
      expect(queried.rawPayload.equals(res.rawPayload)).toBe(true);
    }
  });

  it.skipIf(!hasGdal)('scale and offset: physical values over the physical range give the same tile', async () => {
    const t = { z: 7, x: 24, y: 48 };
    const raw = await app.inject({ method: 'GET', url: `/tiles/geo/ppt/0002/${t.z}/${t.x}/${t.y}` });
    const scaled = await app.inject({ method: 'GET', url: `/tiles/geo/ppt_scaled/0002/${t.z}/${t.x}/${t.y}` });
    expect(scaled.statusCode).toBe(200);
    const png = PNG.sync.read(scaled.rawPayload);
    expect(sameShare(png, gdalTile(2, t, 0, 1000)).same).toBeGreaterThanOrEqual(0.999);
    expect(PNG.sync.read(raw.rawPayload).data.equals(png.data)).toBe(true);
  });
});

describe('extraction of a pinned release returns physical values', () => {
  it.skipIf(!hasGdal)(
    '/point of the scaled variable = stored × 0.5 + 10, the stored values as GDAL reads them',
    async () => {
      const { app: full } = await startApp(
        {
          RELEASE_PIN_PATH: join(base, 'pin.yml'),
          DISPLAY_PREFERENCES_PATH: join(base, 'preferences.yml'),
          DISPLAY_PALETTES_PATH: join(base, 'palettes.yml'),
          JOB_STORE: 'memory',
        },
        { inline: true },
      );
      try {
        const [lon, lat] = [-109.73, 39.12];
        const stored = [1, 2].map((b) =>
          Number(
            execFileSync(
              'gdallocationinfo',
              ['-valonly', '-geoloc', '-b', String(b), fixture('geo4269.tif'), String(lon), String(lat)],
              {
                encoding: 'utf8',
              },
            ).trim(),
          ),
        );
        const raw = (await full.inject({ method: 'GET', url: `/point/geo/ppt/${lon},${lat}` })).json<{
          values: number[];
          timesteps: string[];
        }>();
        const scaled = (await full.inject({ method: 'GET', url: `/point/geo/ppt_scaled/${lon},${lat}` })).json<{
          values: number[];
        }>();
        expect(raw.timesteps).toEqual(['0001', '0002']);
        expect(raw.values).toEqual(stored);
        expect(scaled.values).toEqual(stored.map((v) => v * 0.5 + 10));
      } finally {
        await full.close();
      }
    },
  );
});
