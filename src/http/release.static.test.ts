/**
 * A static release (no time axis, one COG per variable) served with the reserved key `static`: `/metadata` describes
 * it as a one-key enumerated axis (valid against the 1.0.0 schema), tiles take `static`, extraction, `/point` and the
 * v2 route return one value labelled `static`. The COG is the tile fixture `geo4269.tif` (band 1 served).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures/tiles/gdal.js';
import { HAS_GDAL, requireTool } from '../../test/support/env.js';
import { extractAndWait, startApp } from '../../test/support/http.js';
import { writeCopiedRelease } from '../../test/support/release.copy.js';
import { tinyOverview } from '../../test/support/release.tiny.js';
import type { Overview } from '../release/format/documents.js';

const hasGdal = requireTool('gdal', HAS_GDAL());

// The tiny release's overview, with the tile fixture's grid and no time axis.
const tiny = tinyOverview();
const OVERVIEW: Overview = {
  ...tiny,
  release_id: 'relief-r-2026.10.07',
  declaration_digest: 'b'.repeat(64),
  dataset: {
    ...tiny.dataset,
    id: 'relief',
    title: 'Static fixture',
    description: 'One band, no time.',
    profile: 'StaticRasterDataset',
    region_name: 'Colorado Plateau',
    extent: { bbox: [-115, 35, -105, 43] },
    grid: { code: 'EPSG:4269', shape: [160, 200], transform: [0.05, 0, -115, 0, -0.05, 43] },
    time: null,
  },
  variables: {
    elev: {
      ...tiny.variables['v']!,
      title: 'Elevation',
      description: 'Fixture values.',
      unit: 'm',
      asset_href: 'cogs/elev.tif',
      band_name: 'elev',
    },
  },
};

let base = '';
let app: FastifyInstance;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'skope-static-'));
  const { manifestSha256 } = await writeCopiedRelease(join(base, 'releases'), OVERVIEW, [
    { id: 'elev', entry: OVERVIEW.variables['elev']!, cogs: { '': fixture('geo4269.tif') } },
  ]);
  await writeFile(
    join(base, 'pin.yml'),
    `release_root: releases\nreleases:\n  - dataset: relief\n    release_id: relief-r-2026.10.07\n` +
      `    declaration_digest: ${'b'.repeat(64)}\n    manifest_sha256: ${manifestSha256}\n`,
  );
  await writeFile(
    join(base, 'preferences.yml'),
    'datasets:\n  relief:\n    order: 1\n    variables:\n      elev: {order: 1, palette: viridis, range: [0, 1000]}\n',
  );
  ({ app } = await startApp(
    {
      RELEASE_PIN_PATH: join(base, 'pin.yml'),
      DISPLAY_PREFERENCES_PATH: join(base, 'preferences.yml'),
      DISPLAY_PALETTES_PATH: new URL('../../deploy/display/palettes.yml', import.meta.url).pathname,
      JOB_STORE: 'memory',
    },
    { inline: true },
  ));
});
afterAll(async () => {
  await app?.close();
  await rm(base, { recursive: true, force: true });
});

const AREA = { type: 'Point', coordinates: [-109.73, 39.12] };

describe('a static release', () => {
  it('/metadata: a one-key enumerated axis whose key is `static`, valid against the 1.0.0 schema', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/metadata' })).json<{ datasets: { time: unknown }[] }>();
    const schema = JSON.parse(
      await readFile(new URL('../../test/fixtures/release/metadata-1.0.0.schema.json', import.meta.url), 'utf8'),
    ) as object;
    expect(new Ajv2020({ strict: false }).validate(schema, doc)).toBe(true);
    expect(doc.datasets[0]?.time).toEqual({
      kind: 'enumerated',
      precision: 'static',
      count: 1,
      origin: 'static',
      end: 'static',
      step: null,
      values: ['static'],
    });
  });

  it('tiles at `static`; any other key is malformed', async () => {
    expect((await app.inject({ method: 'GET', url: '/tiles/relief/elev/static/7/24/48' })).statusCode).toBe(200);
    const year = await app.inject({ method: 'GET', url: '/tiles/relief/elev/2009/7/24/48' });
    expect(year.statusCode).toBe(422);
  });

  it.skipIf(!hasGdal)(
    'extract, /point and v2 return one value labelled `static`: band 1 as GDAL reads it',
    async () => {
      const stored = Number(
        execFileSync(
          'gdallocationinfo',
          ['-valonly', '-geoloc', '-b', '1', fixture('geo4269.tif'), '-109.73', '39.12'],
          {
            encoding: 'utf8',
          },
        ).trim(),
      );
      const { status } = await extractAndWait(app, {
        dataset_id: 'relief',
        variable_id: 'elev',
        selected_area: AREA,
        zonal_statistic: 'mean',
        transform: { type: 'NoTransform' },
        requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
        time_range: null,
      });
      const series = (status['result'] as { series: { timesteps: string[]; values: number[] }[] }).series[0];
      expect(series).toMatchObject({ timesteps: ['static'], values: [stored] });
      const point = await app.inject({ method: 'GET', url: '/point/relief/elev/-109.73,39.12' });
      expect(point.json()).toMatchObject({ timesteps: ['static'], values: [stored] });
      const v2 = await app.inject({
        method: 'POST',
        url: '/v2/timeseries',
        payload: {
          dataset_id: 'relief',
          variable_id: 'elev',
          selected_area: AREA,
          requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
          time_range: { gte: '2009-01-01', lte: '2009-01-01' },
        },
      });
      expect(v2.statusCode, v2.body).toBe(200);
      expect(v2.json()).toMatchObject({ series: [{ timesteps: ['static'], values: [stored] }] });
    },
  );
});
