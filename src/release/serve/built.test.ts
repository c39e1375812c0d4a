/**
 * The two halves meet: a release built by `skope release build` (the tiny committed sources: dataset `ds`, variables
 * `a` uint16 and `b` float32, years 0100–0104 with 0102 empty, chunk 2), pinned with the values the build printed,
 * passes every start-up check (with every checksum), and is served: `/metadata` 1.0.0 valid, the time-to-band rule
 * finds each year's band, the empty year renders transparent, a tile of 0101 is drawn, a point's series equals the
 * source values as GDAL reads them.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { HAS_GDAL, requireTool } from '../../../test/support/env.js';
import { startApp } from '../../../test/support/http.js';
import { tinySource, writeDataset } from '../../../test/support/release.datasets.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { createSourceResolver } from '../../storage/resolver.js';
import { buildReleases } from '../build/build.js';
import { verifyPin } from './open.js';

const hasGdal = requireTool('gdal', HAS_GDAL());
const tmp = useTempDir('skope-built-');
const ID = 'ds-r-2026.10.07';

describe('a release built by skope release build, pinned and served', () => {
  it.skipIf(!hasGdal)(
    'passes every check (--full) and serves metadata, tiles and series',
    async () => {
      const resolver = createSourceResolver();
      const datasets = await writeDataset(join(tmp(), 'datasets'));
      const [outcome] = await buildReleases({
        datasetsDir: datasets,
        releaseRoot: join(tmp(), 'releases'),
        releases: new Map([['ds', ID]]),
        resolver,
        revision: '0123456789abcdef0123456789abcdef01234567',
      });
      expect(outcome?.ok, JSON.stringify(outcome?.findings)).toBe(true);
      const pins = outcome?.pins as { release_id: string; declaration_digest: string; manifest_sha256: string };
      await writeFile(
        join(tmp(), 'pin.yml'),
        `release_root: releases\nreleases:\n  - dataset: ds\n    release_id: ${pins.release_id}\n` +
          `    declaration_digest: ${pins.declaration_digest}\n    manifest_sha256: ${pins.manifest_sha256}\n`,
      );
      await writeFile(
        join(tmp(), 'preferences.yml'),
        'datasets:\n  ds:\n    order: 1\n    variables:\n' +
          '      a: {order: 1, palette: viridis, range: [0, 30]}\n      b: {order: 2, palette: viridis, range: [0, 30]}\n',
      );
      const settings = {
        releasePinPath: join(tmp(), 'pin.yml'),
        displayPreferencesPath: join(tmp(), 'preferences.yml'),
        displayPalettesPath: new URL('../../../deploy/display/palettes.yml', import.meta.url).pathname,
      };
      const full = await verifyPin(settings, resolver, { full: true });
      expect(full.refusals).toEqual([]);

      const { app } = await startApp(
        {
          RELEASE_PIN_PATH: settings.releasePinPath,
          DISPLAY_PREFERENCES_PATH: settings.displayPreferencesPath,
          DISPLAY_PALETTES_PATH: settings.displayPalettesPath,
          JOB_STORE: 'memory',
        },
        { inline: true },
      );
      try {
        const doc = (await app.inject({ method: 'GET', url: '/metadata' })).json<{ datasets: { id: string }[] }>();
        const schema = JSON.parse(
          await readFile(new URL('../../../test/fixtures/release/metadata-1.0.0.schema.json', import.meta.url), 'utf8'),
        ) as object;
        expect(new Ajv2020({ strict: false }).validate(schema, doc)).toBe(true);
        expect(doc.datasets[0]).toMatchObject({
          id: 'ds',
          release_id: ID,
          time: { kind: 'regular', origin: '0100', end: '0104', count: 5 },
        });
        // A point in the source grid: the series equals the source bands as GDAL reads them (0102 empty → null).
        const info = JSON.parse(execFileSync('gdalinfo', ['-json', tinySource('u16.tif')], { encoding: 'utf8' })) as {
          geoTransform: number[];
        };
        const [x0, dx, , y0, , dy] = info.geoTransform as [number, number, number, number, number, number];
        const lon = x0 + 1.5 * dx;
        const lat = y0 + 1.5 * dy;
        const expected = [1, 2, 3, 4, 5].map((b) => {
          const v = execFileSync('gdallocationinfo', ['-valonly', '-b', String(b), tinySource('u16.tif'), '1', '1'], {
            encoding: 'utf8',
          }).trim();
          return Number(v) === 65535 ? null : Number(v);
        });
        const point = (await app.inject({ method: 'GET', url: `/point/ds/a/${lon},${lat}` })).json<{
          timesteps: string[];
          values: (number | null)[];
        }>();
        expect(point.timesteps).toEqual(['0100', '0101', '0102', '0103', '0104']);
        expect(point.values).toEqual(expected);
        expect((await app.inject({ method: 'GET', url: '/tiles/ds/a/0101/0/0/0' })).statusCode).toBe(200);
        expect((await app.inject({ method: 'GET', url: '/tiles/ds/a/0105/0/0/0' })).statusCode).toBe(404);
      } finally {
        await app.close();
      }
    },
    60_000,
  );
});
