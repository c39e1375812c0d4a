import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { TestFileSource } from '../../test/support/file.source.js';
import { createBlockCache } from './block.cache.js';
import { openCog } from './cog.js';
import { COGS } from '../../test/support/cog.fixtures.js';

const arr = (n: number): Uint8Array => new Uint8Array(n).fill(n & 0xff);

describe('createBlockCache', () => {
  it('evicts the least recently used blocks by bytes', async () => {
    const cache = createBlockCache(100);
    let loads = 0;
    const load = (n: number) => (): Promise<Uint8Array> => {
      loads++;
      return Promise.resolve(arr(n));
    };
    await cache.getOrLoad('a', 40, load(40));
    await cache.getOrLoad('b', 40, load(40));
    await cache.getOrLoad('a', 40, load(40)); // hit: a is now most recent
    expect(loads).toBe(2);
    await cache.getOrLoad('c', 40, load(40)); // evicts b
    expect(cache.count).toBe(2);
    expect(cache.size).toBe(80);
    await cache.getOrLoad('a', 40, load(40));
    expect(loads).toBe(3);
    await cache.getOrLoad('b', 40, load(40));
    expect(loads).toBe(4);
    // Larger than the whole budget: returned, not cached.
    expect((await cache.getOrLoad('big', 500, load(5))).length).toBe(5);
    expect(cache.count).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('decodes a block once for concurrent readers', async () => {
    const cache = createBlockCache(1000);
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async (): Promise<Uint8Array> => {
      loads++;
      await gate;
      return arr(10);
    };
    const all = Promise.all([1, 2, 3].map(() => cache.getOrLoad('k', 10, load)));
    release();
    const results = await all;
    expect(loads).toBe(1);
    expect(results[0]).toBe(results[2]);
  });

  it('evicts a rejected load so the next reader retries', async () => {
    const cache = createBlockCache(1000);
    await expect(cache.getOrLoad('k', 10, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cache.count).toBe(0);
    expect(await cache.getOrLoad('k', 10, () => Promise.resolve(arr(3)))).toEqual(arr(3));
  });

  it('rejects a non-positive budget', () => {
    expect(() => createBlockCache(0)).toThrow(RangeError);
  });
});

describe('openCog with a block cache', () => {
  it('a second band of a pixel-interleaved block needs no fetch and no decode', async () => {
    const cache = createBlockCache(8 * 1024 * 1024);
    const src = new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif'));
    const cog = await openCog(src, { blockCache: cache });
    const window = { col: 2, row: 3, width: 6, height: 4 };
    const b1 = await cog.read({ bands: [1], window });
    const fetched = src.fetches.length;
    expect(cache.count).toBe(1);
    // 16×16 pixels × 3 bands × 2 bytes.
    expect(cache.size).toBe(16 * 16 * 3 * 2);
    const b2 = await cog.read({ bands: [2], window });
    expect(src.fetches.length).toBe(fetched);
    // Another Cog over the same file (same URL and version) shares the decoded block.
    const src2 = new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif'));
    const cog2 = await openCog(src2, { blockCache: cache });
    const opened = src2.fetches.length;
    const b3 = await cog2.read({ bands: [3, 1], window });
    expect(src2.fetches.length).toBe(opened);
    // Same values as an uncached read.
    const plain = await openCog(new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif')));
    const ref = await plain.read({ bands: [1, 2, 3], window });
    const n = window.width * window.height;
    expect(Array.from(b1.data)).toEqual(Array.from(ref.data.subarray(0, n)));
    expect(Array.from(b2.data)).toEqual(Array.from(ref.data.subarray(n, 2 * n)));
    expect(Array.from(b3.data)).toEqual([...ref.data.subarray(2 * n, 3 * n), ...ref.data.subarray(0, n)]);
    await Promise.all([cog.close(), cog2.close(), plain.close()]);
  });
});

describe('rows of a cached block are finished once, on demand', () => {
  it('partial then overlapping then full reads equal uncached reads (predictor 2 and 3, big-endian)', async () => {
    for (const name of [
      'float32_zstd_pixel.tif',
      'int16_bigendian.tif',
      'uint16_lzw_band.tif',
      'float64_deflate_band.tif',
    ]) {
      const cache = createBlockCache(1024 * 1024);
      const cached = await openCog(new TestFileSource(join(COGS, name)), { blockCache: cache });
      const plain = await openCog(new TestFileSource(join(COGS, name)));
      const windows = [
        { col: 3, row: 2, width: 9, height: 3 },
        { col: 0, row: 4, width: 20, height: 6 },
        { col: -1, row: -1, width: 39, height: 31 },
        { col: 3, row: 2, width: 9, height: 3 },
      ];
      for (const window of windows) {
        const a = await cached.read({ bands: [3, 1], window });
        const b = await plain.read({ bands: [3, 1], window });
        expect(Array.from(a.data), `${name} ${JSON.stringify(window)}`).toEqual(Array.from(b.data));
      }
      await Promise.all([cached.close(), plain.close()]);
    }
  });
});
