/**
 * Synchronous reads fetch only the start of a DEFLATE block when a window needs only its top rows, and fall back to
 * the whole block when that start does not hold them (rows that compress worse than the block's average).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestFileSource } from '../../test/support/file.source.js';
import { blockRange as blockRangeOf } from '../../test/support/cog.blocks.js';
import { FileSource } from '../storage/source.file.js';
import type { ByteSource } from '../storage/source.js';
import { openCog } from './cog.js';
import { prefixBytes } from './read/scratch.js';
import { writeCog } from './writer/cog.writer.js';
import type { PixelWindow } from './types.js';

const SIZE = 512;
const BLOCK = 256;
let dir = '';
let path = '';

/** Band 1: noise everywhere. Band 2: noise in the top 32 rows of each block row, a constant below. */
function value(band: number, row: number, col: number): number {
  // A 32-bit integer hash (lowbias32): incompressible, even after the horizontal predictor.
  let h = (row * SIZE + col + band * 0x100000) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  const noise = ((h ^ (h >>> 16)) >>> 0) % 60000;
  return band === 2 && row % BLOCK >= 32 ? 7 : noise;
}

let padded = '';
/** Rows of `padded.tif`: its second block row holds 44 rows of data and 212 of padding. */
const PADDED_HEIGHT = 300;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skope-prefix-'));
  path = join(dir, 'prefix.tif');
  padded = join(dir, 'padded.tif');
  // band-interleaved, 256² blocks, zlib level 1, predictor 2 (the default for integers), no overviews.
  const write = (file: string, height: number, bands: number): Promise<unknown> =>
    writeCog(file, {
      width: SIZE,
      height,
      bands,
      dtype: 'uint16',
      crs: 'EPSG:4326',
      transform: [0.01, 0, 0, 0, -0.01, 0],
      interleave: 'band',
      blockSize: BLOCK,
      deflateLevel: 1,
      overviews: [],
      readRows: (band, row, rows) => {
        const out = new Uint16Array(SIZE * rows);
        for (let r = 0; r < rows; r++) for (let c = 0; c < SIZE; c++) out[r * SIZE + c] = value(band, row + r, c);
        return out;
      },
    });
  await write(padded, PADDED_HEIGHT, 1);
  await write(path, SIZE, 2);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A synchronous file source that records every `readSync` as [offset, length]. */
function recording(file = path): ByteSource & { reads: [number, number][] } {
  const inner = new FileSource(file, { syncReads: true });
  const reads: [number, number][] = [];
  return {
    url: inner.url,
    reads,
    fetch: (o, l, opt) => inner.fetch(o, l, opt),
    head: (opt) => inner.head(opt),
    close: () => inner.close(),
    readSync(offset, length, dst) {
      reads.push([offset, length]);
      return (inner.readSync as NonNullable<ByteSource['readSync']>)(offset, length, dst);
    },
  };
}

/** Offset and stored size of the block at (bx, by) of `band` (from the file's index, read with @cogeotiff/core). */
function blockRange(band: number, bx: number, by: number, file = path): Promise<[number, number]> {
  return blockRangeOf(file, band, bx, by);
}

describe('prefix reads of DEFLATE blocks (synchronous sources)', () => {
  const TOP: PixelWindow = { col: 10, row: 0, width: 400, height: 20 };

  /**
   * Reads the top 20 rows of `band` synchronously, checks them against a whole-block read, and returns the reads
   * made of the band's first block, with its offset and stored size.
   */
  async function readTop(band: number): Promise<{ reads: [number, number][]; offset: number; count: number }> {
    const src = recording();
    const cog = await openCog(src);
    src.reads.length = 0;
    const got = await cog.read({ bands: [band], window: TOP, cache: false });
    await src.close?.();
    const want = await (await openCog(new TestFileSource(path))).read({ bands: [band], window: TOP });
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    const [offset, count] = await blockRange(band, 0, 0);
    return { reads: src.reads.filter(([o]) => o >= offset && o < offset + count), offset, count };
  }

  it('reads only the start of blocks whose top rows suffice, with the same values as a whole-block read', async () => {
    const { reads, offset, count } = await readTop(1);
    // One read of the block, of about (1.25 · 20/256 + 0.02) of its bytes, never the whole block.
    expect(reads).toEqual([[offset, prefixBytes(count, 20, BLOCK)]]);
    expect(reads[0]?.[1]).toBeLessThan(0.15 * count);
  });

  it('reads the rest of the block when its start does not hold the rows (dense top, constant bottom)', async () => {
    const { reads, offset, count } = await readTop(2);
    // The prefix fell short (the top 20 rows hold most of the block's bytes): the rest was read, and inflating went on
    // from where it stopped.
    const first = prefixBytes(count, 20, BLOCK);
    expect(first).toBeLessThan(count);
    expect(reads).toEqual([
      [offset, first],
      [offset + first, count - first],
    ]);
  });

  it("takes the rows' share of the rows that hold data in a padded last block row", async () => {
    const src = recording(padded);
    const cog = await openCog(src);
    src.reads.length = 0;
    const window = { col: 0, row: BLOCK, width: 300, height: 12 };
    const got = await cog.read({ bands: [1], window, cache: false });
    const want = await (await openCog(new TestFileSource(padded))).read({ bands: [1], window });
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    const [offset, count] = await blockRange(1, 0, 1, padded);
    // 12 of the 44 rows of data: ~36 % of the bytes (the padding compresses to almost nothing), read once. (Under
    // 40 % of the rows, so a prefix read with or without libdeflate.)
    const first = prefixBytes(count, 12, PADDED_HEIGHT - BLOCK);
    expect(first).toBeLessThan(count);
    expect(src.reads.filter(([o]) => o >= offset && o < offset + count)).toEqual([[offset, first]]);
    await src.close?.();
  });

  it('equals whole-block reads for any window and bands', async () => {
    const sync = await openCog(new FileSource(path, { syncReads: true }));
    const whole = await openCog(new TestFileSource(path));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: SIZE - 1 }),
        fc.integer({ min: 0, max: SIZE - 1 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom([1], [2], [2, 1]),
        async (col, row, width, height, bands) => {
          const window = { col, row, width: Math.min(width, SIZE - col), height: Math.min(height, SIZE - row) };
          const a = await sync.read({ bands, window, cache: false });
          const b = await whole.read({ bands, window });
          expect(Array.from(a.data)).toEqual(Array.from(b.data));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('prefixBytes', () => {
  it('whole blocks for small blocks, for windows that reach the last row, and when the share is most of it', () => {
    expect(prefixBytes(4000, 1, 256)).toBe(4000);
    expect(prefixBytes(100_000, 256, 256)).toBe(100_000);
    expect(prefixBytes(100_000, 200, 256)).toBe(100_000);
    expect(prefixBytes(100_000, 32, 256)).toBe(Math.ceil(100_000 * (1.25 / 8 + 0.02)) + 512);
  });
  it('never more than the block, and growing with the rows needed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 24 }), fc.integer({ min: 1, max: 512 }), (count, rows) => {
        const p = prefixBytes(count, rows, 512);
        expect(p).toBeGreaterThan(0);
        expect(p).toBeLessThanOrEqual(count);
        if (rows < 512) expect(prefixBytes(count, rows + 1, 512)).toBeGreaterThanOrEqual(p);
      }),
    );
  });
});
