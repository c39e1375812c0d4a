import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_GDAL, HAS_RASTERIO, PYTHON, requireTool } from '../../test/support/env.js';
import { createColormapSet, parseCustomColormaps } from '../registry/colormaps.js';
import { parseLookup } from '../registry/lookup.parse.js';
import { parseRegistry } from '../registry/registry.js';
import { createFieldGrid, fillFieldRows } from './demo.fields.js';
import { parseLedger } from '../release/format/documents.js';
import { verifyRelease } from '../release/format/verify.js';
import { writeDemoDataset } from './demo.js';
import { DEMO_RELEASE_ID, DEMO_REVISION } from './demo.release.js';
import type { DemoDataset } from './demo.js';

let dir = '';
let demo: DemoDataset;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skope-demo-'));
  demo = await writeDemoDataset(dir);
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeDemoDataset', () => {
  it('registry, colormaps and lookup agree: every key of 0103–2000 → an existing file and band', async () => {
    const colormaps = createColormapSet(
      parseCustomColormaps(await readFile(demo.colormapsPath, 'utf8'), demo.colormapsPath),
    );
    const registry = parseRegistry(await readFile(demo.registryPath, 'utf8'), colormaps, demo.registryPath);
    const ds = registry.get('paleocar_demo');
    expect(ds?.crs).toBe('EPSG:4269');
    expect(ds?.period).toEqual({ gte: '0103', lte: '2000' });
    expect(ds?.transform).toEqual([
      0.06666666666359997, 0, -114.995833333457, 0, -0.06666666666408645, 42.9958333336016,
    ]);
    expect(ds?.variables.map((v) => [v.id, v.colormap, v.raw['units']])).toEqual([
      ['ppt_annual', 'skope-precip', 'mm'],
      ['gdd_annual', 'viridis', '°F GDD'],
    ]);
    expect(ds?.variables[0]?.colormapStops).toEqual([
      '#B5834A',
      '#CDAA78',
      '#DEC499',
      '#EFE0CA',
      '#D8EEEA',
      '#9ECEC6',
      '#5CAFA8',
      '#358C87',
    ]);

    const lookupPath = join(demo.storageDir, 'paleocar_demo', 'lookup.json');
    const lookup = parseLookup(await readFile(lookupPath, 'utf8'), lookupPath);
    expect([...lookup.keys()]).toEqual(['ppt_annual', 'gdd_annual']);
    for (const [variable, entries] of lookup) {
      const keys = [...entries.keys()];
      expect(keys).toHaveLength(1898);
      expect([keys[0], keys[314], keys[1897]]).toEqual(['0103', '0417', '2000']);
      const cogs = `releases/${DEMO_RELEASE_ID}/cogs/${variable}`;
      expect(entries.get('0103')).toEqual({ file: `${cogs}/paleocar_demo--0103--0202.tif`, bidx: 1 });
      expect(entries.get('0202')).toEqual({ file: `${cogs}/paleocar_demo--0103--0202.tif`, bidx: 100 });
      expect(entries.get('0590')).toEqual({ file: `${cogs}/paleocar_demo--0503--0602.tif`, bidx: 88 });
      expect(entries.get('2000')).toEqual({ file: `${cogs}/paleocar_demo--1903--2000.tif`, bidx: 98 });
      for (const e of entries.values()) expect(existsSync(join(demo.storageDir, e.file))).toBe(true);
    }
  });

  it('is a complete, verified release recorded in its ledger', async () => {
    expect(demo.releaseDir).toBe(join(demo.storageDir, 'releases', DEMO_RELEASE_ID));
    const v = await verifyRelease(demo.releaseDir);
    expect(v.problems).toEqual([]);
    expect(v.manifest?.producer.revision).toBe(DEMO_REVISION);
    expect(v.overview?.dataset.time).toMatchObject({ kind: 'regular', origin: '0103', count: 1898, chunk_size: 100 });
    expect(Object.keys(v.overview?.variables ?? {})).toEqual(['gdd_annual', 'ppt_annual']);
    const ledger = parseLedger(await readFile(join(dir, 'datasets/paleocar_demo/releases.yml'), 'utf8'));
    expect(ledger.releases).toEqual([
      { release_id: DEMO_RELEASE_ID, declaration_digest: v.manifest?.declaration.digest, withdrawn: null },
    ]);
  });

  it.runIf(requireTool('gdal', HAS_GDAL()))(
    'GDAL reads a demo COG: grid, CRS, nodata, descriptions, band count',
    () => {
      const path = join(demo.releaseDir, 'cogs/ppt_annual/paleocar_demo--1903--2000.tif');
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' })) as {
        size: number[];
        stac: Record<string, unknown>;
        metadata: Record<string, Record<string, string>>;
        bands: { noDataValue: number; type: string; description: string; overviews?: { size: number[] }[] }[];
      };
      expect(info.size).toEqual([195, 180]);
      expect(info.stac['proj:epsg']).toBe(4269);
      expect(info.metadata['IMAGE_STRUCTURE']).toMatchObject({
        LAYOUT: 'COG',
        INTERLEAVE: 'BAND',
        COMPRESSION: 'ZSTD',
      });
      expect(info.bands).toHaveLength(98);
      // 195 × 180 fits in one 256 block: no overviews are needed
      expect(info.bands[0]).toMatchObject({ type: 'UInt16', noDataValue: 65535, description: '1903' });
      expect(info.bands[0]?.overviews ?? []).toEqual([]);
      expect(info.bands[97]?.description).toBe('2000');
    },
  );

  it.runIf(requireTool('rasterio', HAS_RASTERIO()))(
    'values: plausible ranges, the gap is nodata, band = the generator for its year',
    async () => {
      const script = `
import json, sys, numpy as np, rasterio
out = {}
for key, path, band in json.loads(sys.argv[1]):
    with rasterio.open(path) as ds:
        a = ds.read(band)
    valid = a[a != 65535]
    out[key] = {'min': int(valid.min()) if valid.size else None, 'max': int(valid.max()) if valid.size else None,
                'nodata': int((a == 65535).sum()), 'row0': a[0, :5].tolist(), 'ne': float(a[:40, -40:].mean()), 'sw': float(a[-40:, :40].mean())}
print(json.dumps(out))`;
      const f = (v: string, item: string): string => join(demo.releaseDir, `cogs/${v}/paleocar_demo--${item}.tif`);
      const req = [
        ['ppt0103', f('ppt_annual', '0103--0202'), 1],
        ['ppt0500', f('ppt_annual', '0403--0502'), 98], // 0500 = 0103 + 397 → chunk 3, band 98: inside the gap
        ['ppt1850', f('ppt_annual', '1803--1902'), 48],
        ['gdd1850', f('gdd_annual', '1803--1902'), 48],
      ];
      type Stats = { min: number | null; max: number | null; nodata: number; row0: number[]; ne: number; sw: number };
      const got = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(req)], { encoding: 'utf8' })) as Record<
        string,
        Stats
      >;
      expect(got['ppt0500']).toMatchObject({ min: null, nodata: 195 * 180 });
      for (const k of ['ppt0103', 'ppt1850']) {
        const s = got[k] as Stats;
        expect(s.nodata).toBe(0);
        expect(s.min).toBeGreaterThanOrEqual(100);
        expect(s.max).toBeLessThanOrEqual(1100);
        expect(s.ne).toBeGreaterThan(s.sw); // wet north-east, dry south-west
      }
      const gdd = got['gdd1850'] as Stats;
      expect(gdd.min).toBeGreaterThanOrEqual(800);
      expect(gdd.max).toBeLessThanOrEqual(5300);
      const expected = new Uint16Array(195);
      fillFieldRows(createFieldGrid('ppt', 195, 180), 1850, 0, 1, expected);
      expect(got['ppt1850']?.row0).toEqual([...expected.subarray(0, 5)]);
    },
  );

  it('is idempotent: a second call rewrites nothing unless forced', async () => {
    const cog = join(demo.releaseDir, 'cogs/gdd_annual/paleocar_demo--0103--0202.tif');
    const before = statSync(cog).mtimeMs;
    await writeDemoDataset(dir);
    expect(statSync(cog).mtimeMs).toBe(before);
  });
});
