import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { TestFileSource } from '../../test/support/file.source.js';
import { isAppError } from '../errors.js';
import { createBlockCache } from './block.cache.js';
import { openCog } from './cog.js';
import type { OpenCogOptions } from './cog.js';
import { COGS, fixtureNames } from '../../test/support/cog.fixtures.js';
import { createDecodePool } from './decode.pool.js';
import type { Cog, PixelWindow, TypedArray } from './types.js';

// minBlocks 1: every read of a DEFLATE/LZW/PackBits fixture goes through the pool.
const pool = createDecodePool({ threads: 1, minBlocks: 1 });
afterAll(() => pool.close());

function open(name: string, options: OpenCogOptions = {}): Promise<Cog> {
  return openCog(new TestFileSource(join(COGS, name)), options);
}

/** Raw bytes of a read, so NaNs compare equal and dtypes compare exactly. */
function bytes(a: TypedArray): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

describe('DecodePool', () => {
  it('reads through the pool equal inline reads, for every dtype × codec × interleave fixture', async () => {
    const names = fixtureNames();
    expect(names.length).toBeGreaterThan(80);
    const before = pool.blocksDecoded;
    for (const name of names) {
      const inline = await open(name);
      const pooled = await open(name, { decodePool: pool });
      const { width, height, bands: n } = inline.metadata;
      const bands = Array.from({ length: n }, (_, i) => n - i);
      const windows: PixelWindow[] = [
        { col: -2, row: -1, width: width + 4, height: height + 3 }, // whole raster, boundless
        { col: 3, row: 1, width: Math.max(1, width - 7), height: Math.max(1, Math.floor(height / 3)) }, // top part
        { col: 1, row: Math.floor(height / 2), width: Math.max(1, width - 2), height: Math.ceil(height / 2) },
      ];
      for (const window of windows) {
        const a = await inline.read({ bands, window });
        const b = await pooled.read({ bands, window });
        expect(b.dtype, name).toBe(a.dtype);
        expect(bytes(b.data), `${name} ${JSON.stringify(window)}`).toEqual(bytes(a.data));
      }
      await inline.close();
      await pooled.close();
    }
    expect(pool.blocksDecoded - before).toBeGreaterThan(500);
  });

  it('equals inline reads through a shared block cache (rows finished by the worker are not finished twice)', async () => {
    const cache = createBlockCache(64 * 1024 * 1024);
    const name = 'uint16_deflate_band.tif';
    const inline = await open(name);
    const pooled = await open(name, { decodePool: pool, blockCache: cache });
    const { width, height } = inline.metadata;
    const bands = [1, 2, 3];
    // The first read finishes rows 0..4 of the top blocks on the worker; the second needs rows the worker skipped.
    for (const window of [
      { col: 0, row: 0, width, height: 5 },
      { col: 0, row: 0, width, height },
      { col: 2, row: 3, width: 20, height: 20 },
    ]) {
      const a = await inline.read({ bands, window });
      const b = await pooled.read({ bands, window });
      expect(bytes(b.data), JSON.stringify(window)).toEqual(bytes(a.data));
    }
    await inline.close();
    await pooled.close();
  });

  it('small reads (fewer blocks than minBlocks) decode inline and never touch the pool', async () => {
    const small = createDecodePool({ threads: 1, minBlocks: 16 });
    try {
      const cog = await open('uint16_deflate_band.tif', { decodePool: small });
      const { width, height } = cog.metadata;
      await cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width: 4, height: 4 } }); // 3 blocks
      await cog.read({ bands: [2], window: { col: 0, row: 0, width, height } }); // one band: < 16 blocks
      expect(small.blocksDecoded).toBe(0);
      expect(small.liveThreads).toBe(0); // threads start with the first batch
      const all = await cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width, height } });
      expect(small.blocksDecoded).toBeGreaterThan(0);
      expect(small.liveThreads).toBe(1);
      const inline = await open('uint16_deflate_band.tif');
      const ref = await inline.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width, height } });
      expect(bytes(all.data)).toEqual(bytes(ref.data));
      await inline.close();
      await cog.close();
    } finally {
      await small.close();
    }
  });

  it('an abort during a pooled read rejects with `aborted`', async () => {
    const cog = await open('float64_deflate_band.tif', { decodePool: pool });
    const { width, height } = cog.metadata;
    // The calling thread decodes beside the pool, so on a busy machine a read may finish before a batch reaches a
    // worker: try again until the abort lands while the pool holds a batch.
    let caught = false;
    for (let attempt = 0; attempt < 50 && !caught; attempt++) {
      const controller = new AbortController();
      const read = cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width, height }, signal: controller.signal });
      let settled = false;
      const outcome = read.then(
        () => null,
        (e: unknown) => e,
      );
      void outcome.then(() => (settled = true));
      while (!settled && pool.busy === 0) await new Promise((r) => setImmediate(r));
      if (pool.busy === 0) continue;
      controller.abort();
      const err = await outcome;
      expect(isAppError(err, 'aborted')).toBe(true);
      caught = true;
    }
    expect(caught).toBe(true);
    await cog.close();
  });

  it('a corrupt block read through the pool is raster_invalid naming the file', async () => {
    const { mkdtemp, readFile, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const name = 'uint16_deflate_band.tif';
    const good = await open(name);
    const { width, height } = good.metadata;
    const bytesOf = await readFile(join(COGS, name));
    // Overwrite the data after the header (IFDs, offsets) with garbage: blocks no longer inflate.
    const bad = Buffer.from(bytesOf);
    bad.fill(0xab, Math.floor(bad.length * 0.6));
    const dir = await mkdtemp(join(tmpdir(), 'skope-pool-'));
    const path = join(dir, 'bad.tif');
    await writeFile(path, bad);
    const cog = await openCog(new TestFileSource(path), { decodePool: pool });
    const err: unknown = await cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width, height } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(err, 'raster_invalid')).toBe(true);
    expect((err as Error).message).toContain('bad.tif');
    await cog.close();
    await good.close();
  });

  it('close() terminates the workers; later batches reject', async () => {
    const p = createDecodePool({ threads: 2, minBlocks: 1 });
    expect(p.liveThreads).toBe(0);
    await p.warm();
    expect(p.liveThreads).toBe(2);
    const cog = await open('uint8_deflate_band.tif', { decodePool: p });
    const { width, height } = cog.metadata;
    await cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width, height } });
    expect(p.liveThreads).toBe(2);
    await p.close();
    expect(p.liveThreads).toBe(0);
    const err: unknown = await cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width, height } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(err, 'raster_invalid')).toBe(true);
    await cog.close();
  });
});
