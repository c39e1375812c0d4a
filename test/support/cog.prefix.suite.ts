/**
 * The reads of a DEFLATE block whose top rows are all a window needs (synchronous sources), in both of the reader's
 * ways: with the libdeflate binding the whole block is read and only its head inflated (`zlibInflateHead`); without it
 * (`src/raster/cog.prefix.zlib.test.ts` takes the binding away) only the start of the block is read and inflated with
 * zlib, and the rest read when that start does not hold the rows (rows that compress worse than the block's average).
 * Either way the values equal a whole-block read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestFileSource } from './file.source.js';
import { blockRange as blockRangeOf } from './cog.blocks.js';
import { FileSource } from '../../src/storage/source.file.js';
import type { ByteSource } from '../../src/storage/source.js';
import { openCog } from '../../src/raster/cog.js';
import { prefixBytes } from '../../src/raster/read/scratch.js';
import { writeCog } from '../../src/raster/writer/cog.writer.js';
import type { PixelWindow } from '../../src/raster/types.js';

/** How the reader inflates: 'libdeflate' (the binding is built) or 'zlib' (the test file took it away). */
export type PrefixInflater = 'libdeflate' | 'zlib';

/**
 * The suite, for the inflater the calling test file runs with; with libdeflate, `heads` collects what each call of
 * the binding's `zlibInflateHead` answered (the test file wraps the real binding).
 */
export function prefixSuite(inflater: PrefixInflater, heads: number[] = []): void {
  const head = inflater === 'libdeflate';

  const SIZE = 512;
  const BLOCK = 256;
  let dir = '';
  let path = '';

  /**
   * Band 1: noise everywhere. Band 2: noise in the top 32 rows of each block row, a constant below. Band 3: a smooth
   * field (compresses well: no stored DEFLATE blocks).
   */
  function value(band: number, row: number, col: number): number {
    if (band === 3) return 1000 + Math.round(300 * Math.sin(row / 40) * Math.cos(col / 55));
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
    await write(path, SIZE, 3);
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

    it(
      head
        ? 'reads blocks whose top rows suffice whole, once, and inflates their head to the same values'
        : 'reads only the start of blocks whose top rows suffice, with the same values as a whole-block read',
      async () => {
        const { reads, offset, count } = await readTop(1);
        if (head) {
          // Band 1 is noise, which zlib stores uncompressed: the head cannot be proven and the whole block inflates.
          expect(reads).toEqual([[offset, count]]);
          return;
        }
        // One read of the block, of about (1.25 · 20/256 + 0.02) of its bytes, never the whole block.
        expect(reads).toEqual([[offset, prefixBytes(count, 20, BLOCK)]]);
        expect(reads[0]?.[1]).toBeLessThan(0.15 * count);
      },
    );

    it(
      head
        ? 'a dense top and a constant bottom: one read of the whole block'
        : 'reads the rest of the block when its start does not hold the rows (dense top, constant bottom)',
      async () => {
        const { reads, offset, count } = await readTop(2);
        if (head) {
          expect(reads).toEqual([[offset, count]]);
          return;
        }
        // The prefix fell short (the top 20 rows hold most of the block's bytes): the rest was read, and inflating went
        // on from where it stopped.
        const first = prefixBytes(count, 20, BLOCK);
        expect(first).toBeLessThan(count);
        expect(reads).toEqual([
          [offset, first],
          [offset + first, count - first],
        ]);
      },
    );

    it('a smooth band: its head alone is inflated (proven written), to the same values', async () => {
      heads.length = 0;
      const { reads, offset, count } = await readTop(3);
      if (head) {
        expect(reads).toEqual([[offset, count]]);
        // 20 rows of a 256-row block asked for: every block of the window answered with its head (20 rows × 512 B).
        expect(heads.length).toBeGreaterThan(0);
        expect(heads.every((n) => n === 20 * BLOCK * 2)).toBe(true);
      } else {
        expect(reads).toEqual([[offset, prefixBytes(count, 20, BLOCK)]]);
      }
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
      // 12 of the 44 rows of data: ~36 % of the bytes (the padding compresses to almost nothing), read once; with
      // libdeflate the whole block is read (its head inflates faster than zlib's prefix).
      const first = prefixBytes(count, 12, PADDED_HEIGHT - BLOCK);
      expect(first).toBe(head ? count : Math.ceil(count * ((1.25 * 12) / 44 + 0.02)) + 512);
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
          fc.constantFrom([1], [2], [3], [2, 1], [3, 1, 2]),
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
      expect(prefixBytes(100_000, 32, 256)).toBe(head ? 100_000 : Math.ceil(100_000 * (1.25 / 8 + 0.02)) + 512);
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
}
