import { join } from 'node:path';

import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';

import { HAS_GDAL, HAS_RASTERIO, PYTHON, requireTool } from '../../test/support/env.js';
import { TestFileSource } from '../../test/support/file.source.js';
import { createBlockCache, type BlockCache } from './block.cache.js';
import { FileSource } from '../storage/source.file.js';
import { openCog } from './cog.js';
import { COGS, encode, fixtureNames, gdalinfo, rasterioRead } from '../../test/support/cog.fixtures.js';
import type { RefRequest } from '../../test/support/cog.fixtures.js';
import type { Cog, PixelWindow, RasterLevel } from './types.js';

const names = fixtureNames();

/** Opens a fixture: the test source (async reads), with a block cache, or the real FileSource reading synchronously. */
async function open(name: string, via?: BlockCache | 'sync'): Promise<Cog> {
  if (via === 'sync') return openCog(new FileSource(join(COGS, name), { syncReads: true }));
  return openCog(new TestFileSource(join(COGS, name)), via ? { blockCache: via } : {});
}

describe('openCog metadata equals gdalinfo -json', () => {
  const run = requireTool('gdal', HAS_GDAL());
  it.runIf(run)(`${names.length} fixtures`, async () => {
    expect(names.length).toBeGreaterThan(80);
    // gdalinfo runs are the slow part: start them all (two at a time) before comparing.
    const limit = pLimit(2);
    const infos = await Promise.all(names.map((name) => limit(() => gdalinfo(join(COGS, name)))));
    for (const [k, name] of names.entries()) {
      const info = infos[k]!;
      const cog = await open(name);
      const m = cog.metadata;
      const band = info.bands[0]!;
      const ctx = `${name}`;
      expect([m.width, m.height], ctx).toEqual(info.size);
      expect(m.bands, ctx).toBe(info.bands.length);
      const ist = info.metadata?.IMAGE_STRUCTURE;
      // GDAL 3.6 reports int8 as Byte with PIXELTYPE=SIGNEDBYTE.
      const gdalType =
        band.metadata?.IMAGE_STRUCTURE?.PIXELTYPE === 'SIGNEDBYTE'
          ? 'int8'
          : band.type.toLowerCase().replace('byte', 'uint8');
      expect(m.dtype, ctx).toBe(gdalType);
      const nd = band.noDataValue;
      const expectedNodata =
        nd === undefined ? null : typeof nd === 'string' ? Number(nd.replace('inf', 'Infinity')) : nd;
      expect(m.nodata, ctx).toEqual(expectedNodata);
      expect(m.crs, ctx).toBe(info.stac?.['proj:epsg'] ? `EPSG:${info.stac['proj:epsg']}` : null);
      const gt = info.geoTransform!;
      // GDAL order [c, a, b, f, d, e] → ours [a, b, c, d, e, f].
      expect(m.transform, ctx).toEqual([gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]]);
      // libtiff "strip chopping" shows GDAL an uncompressed single strip as several smaller ones.
      if (name !== 'int32_strip_single.tif') {
        expect([m.levels[0]!.blockWidth, m.levels[0]!.blockHeight], ctx).toEqual(band.block);
      }
      expect(
        m.levels.slice(1).map((l) => [l.width, l.height]),
        ctx,
      ).toEqual((band.overviews ?? []).map((o) => o.size));
      expect(m.interleave.toUpperCase(), ctx).toBe(ist?.INTERLEAVE ?? 'PIXEL');
      expect(m.compression.toUpperCase(), ctx).toBe(ist?.COMPRESSION ?? 'NONE');
      expect(m.hasMask, ctx).toBe(band.mask?.flags.includes('PER_DATASET') ?? false);
      expect(m.tiled, ctx).toBe(band.block[0] !== m.width);
      await cog.close();
    }
  });
});

/** Windows every fixture is read with: whole, interior, edges, boundless, fully outside. */
const WINDOWS: PixelWindow[] = [
  { col: 0, row: 0, width: 37, height: 29 },
  { col: 17, row: 5, width: 3, height: 2 },
  { col: 14, row: 14, width: 5, height: 5 },
  { col: 30, row: 20, width: 10, height: 12 },
  { col: -5, row: -3, width: 12, height: 9 },
  { col: -2, row: -2, width: 41, height: 33 },
  { col: 40, row: 30, width: 3, height: 3 },
  { col: 36, row: 0, width: 1, height: 29 },
];

describe('reads equal rasterio (boundless=True)', () => {
  const run = requireTool('rasterio', HAS_RASTERIO());
  it.runIf(run)('every fixture, window, band order and level', async () => {
    const cases: (RefRequest & { name: string })[] = [];
    for (const name of names) {
      const path = join(COGS, name);
      const cog = await open(name);
      const { levels, hasMask } = cog.metadata;
      await cog.close();
      WINDOWS.forEach((window, k) => {
        const bands = k % 3 === 0 ? [1, 2, 3] : k % 3 === 1 ? [3, 1] : [2, 2];
        cases.push({ name, path, bands, window, applyMask: hasMask });
      });
      cases.push({
        name,
        path,
        bands: [2],
        window: { col: -4, row: 3, width: 9, height: 4 },
        fill: 7,
        applyMask: hasMask,
      });
      for (let level = 1; level < levels.length; level++) {
        const { width, height } = levels[level]!;
        cases.push({
          name,
          path,
          bands: [1, 2, 3],
          window: { col: 0, row: 0, width, height },
          level,
          applyMask: hasMask,
        });
        cases.push({
          name,
          path,
          bands: [3],
          window: { col: -1, row: 2, width: width, height: 3 },
          level,
          applyMask: hasMask,
        });
      }
    }
    const expected = rasterioRead(PYTHON, cases);
    // Every decode path: without a cache small DEFLATE blocks inflate into scratch (only the rows needed); with one,
    // blocks are decoded whole into the cache (and a second read of the same block comes from it); a source with
    // synchronous reads takes the promise-free block loop.
    const blockCache = createBlockCache(64 * 1024 * 1024);
    let compared = 0;
    for (const [k, c] of cases.entries()) {
      const ref = expected[k]!;
      if ('error' in ref) throw new Error(`rasterio failed on ${c.name}: ${ref.error}`);
      for (const cache of [undefined, blockCache, 'sync'] as const) {
        const cog = await open(c.name, cache);
        const block = await cog.read({
          bands: c.bands,
          window: c.window,
          level: c.level ?? 0,
          ...(c.fill != null ? { fill: c.fill } : {}),
        });
        await cog.close();
        expect(block.width * block.height * c.bands.length).toBe(ref.values.length);
        expect(
          encode(block.data),
          `${c.name} ${JSON.stringify(c)} via: ${cache === undefined ? 'plain' : cache === 'sync' ? 'sync' : 'cache'}`,
        ).toEqual(ref.values);
        compared++;
      }
    }
    expect(compared).toBe(3 * cases.length);
  });
});

describe('overview levels equal rasterio (overview_level)', () => {
  const run = requireTool('rasterio', HAS_RASTERIO());
  it.runIf(run)('size and transform of every level', async () => {
    const cases: (RefRequest & { name: string; expected: RasterLevel })[] = [];
    for (const name of names) {
      const cog = await open(name);
      cog.metadata.levels.forEach((expected, level) => {
        const window = { col: 0, row: 0, width: 0, height: 0 };
        cases.push({ name, path: join(COGS, name), bands: [], window, level, meta: true, expected });
      });
      await cog.close();
    }
    expect(cases.filter((c) => (c.level ?? 0) > 0).length).toBeGreaterThanOrEqual(12);
    const ref = rasterioRead(PYTHON, cases) as unknown as (
      { width: number; height: number; transform: number[] } | { error: string }
    )[];
    cases.forEach((c, k) => {
      const r = ref[k]!;
      if ('error' in r) throw new Error(`rasterio failed on ${c.name}: ${r.error}`);
      expect([c.expected.width, c.expected.height], c.name).toEqual([r.width, r.height]);
      c.expected.transform.forEach((v, i) =>
        expect(v, `${c.name} level ${c.level} [${i}]`).toBeCloseTo(r.transform[i]!, 12),
      );
    });
  });
});
