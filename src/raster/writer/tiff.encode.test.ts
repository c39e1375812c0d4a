import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { isAppError } from '../../errors.js';
import { writeCog } from './cog.writer.js';
import type { CogWriteSpec } from './cog.spec.js';
import { downsample, encodePredictor2, encodePredictor3 } from './tiff.encode.pixels.js';

// Writer pieces that need no GDAL: spec validation, the strip order (memory bound), the pixel kernels.
const dir = useTempDir('tiffenc-');

describe('writeCog errors', () => {
  const ok = (): CogWriteSpec => ({
    width: 20,
    height: 20,
    bands: 1,
    dtype: 'uint8',
    crs: 'EPSG:4326',
    transform: [1, 0, 0, 0, -1, 0],
    blockSize: 16,
    readRows: (_b, _r, n) => new Uint8Array(20 * n),
  });
  const bad: [string, Partial<CogWriteSpec>][] = [
    ['zero width', { width: 0 }],
    ['block size not a multiple of 16', { blockSize: 20 }],
    ['predictor 3 on integers', { predictor: 3 }],
    ['predictor without compression', { compression: 'none', predictor: 2 }],
    ['nodata outside the dtype', { nodata: 300 }],
    ['non-EPSG crs', { crs: 'WGS84' }],
    ['singular transform', { transform: [0, 0, 0, 0, 0, 0] }],
    ['overviews not powers of two', { overviews: [3] }],
    ['readRows of the wrong length', { readRows: () => new Uint8Array(5) }],
    ['readRows of the wrong type', { readRows: (_b, _r, n) => new Uint16Array(20 * n) }],
    ['unknown compression', { compression: 'jpeg' as CogWriteSpec['compression'] }],
    ['zstd level 23', { compression: 'zstd', level: 23 }],
    ['deflate level 0', { compression: 'deflate', level: 0 }],
    ['a level for lzw', { compression: 'lzw', level: 5 }],
    ['unknown resampling', { resampling: 'gauss' as CogWriteSpec['resampling'] }],
    ['fewer descriptions than bands', { bandDescriptions: [] }],
    ['zero scale', { scale: 0 }],
    ['infinite offset', { offset: Infinity }],
  ];
  it.each(bad)('%s → invalid_request, nothing left behind', async (_name, patch) => {
    const d = await mkdtemp(join(dir(), 'err-'));
    const err = await writeCog(join(d, 'x.tif'), { ...ok(), ...patch }).catch((e: unknown) => e);
    expect(isAppError(err, 'invalid_request')).toBe(true);
    expect(await readdir(d)).toEqual([]);
  });

  it('a throwing readRows propagates and cleans up', async () => {
    const d = await mkdtemp(join(dir(), 'err-'));
    const boom = new Error('boom');
    await expect(writeCog(join(d, 'x.tif'), { ...ok(), readRows: () => Promise.reject(boom) })).rejects.toBe(boom);
    expect(await readdir(d)).toEqual([]);
    expect(existsSync(join(d, 'x.tif'))).toBe(false);
  });
});

describe('writeCog determinism', () => {
  it('the same spec and pixels give byte-identical files (zstd, deflate, lzw; statistics and descriptions)', async () => {
    const w = 300;
    const h = 200;
    const data = [1, 2].map((b) => Uint32Array.from({ length: w * h }, (_, i) => (i * 2654435761 * b) % 100000));
    for (const compression of ['zstd', 'deflate', 'lzw'] as const) {
      const write = async (name: string): Promise<Buffer> => {
        const path = join(dir(), `${compression}-${name}.tif`);
        await writeCog(path, {
          width: w,
          height: h,
          bands: 2,
          dtype: 'uint32',
          crs: 4326,
          transform: [1, 0, 0, 0, -1, 0],
          blockSize: 64,
          interleave: 'band',
          compression,
          statistics: true,
          bandDescriptions: ['0103', '0104'],
          // Small strips and few blocks in flight, then the defaults: the bytes must not depend on either.
          ...(name === 'a' ? { maxStripBytes: 1, concurrency: 1 } : {}),
          readRows: (b, r, n) => (data[b - 1] as Uint32Array).slice(r * w, (r + n) * w),
        });
        return readFile(path);
      };
      const a = await write('a');
      expect((await write('b')).equals(a), compression).toBe(true);
    }
  });
});

describe('writeCog memory bound', () => {
  it('asks readRows for one strip of one band at a time, strip by strip and band after band, each row once', async () => {
    const w = 50;
    const h = 70;
    const calls: string[] = [];
    const path = join(dir(), 'strips.tif');
    for (const interleave of ['pixel', 'band'] as const) {
      calls.length = 0;
      await writeCog(path, {
        width: w,
        height: h,
        bands: 2,
        dtype: 'uint8',
        crs: 4326,
        transform: [1, 0, 0, 0, -1, 0],
        blockSize: 16,
        interleave,
        // 2 rows of blocks of both bands: 2 × 16 × 50 × 2 = 3200 bytes.
        maxStripBytes: 3200,
        readRows: (b, r, n) => {
          calls.push(`${b}:${r}+${n}`);
          return new Uint8Array(w * n).fill(b);
        },
      });
      const strips = ['0+32', '32+32', '64+6'];
      expect(calls, interleave).toEqual(strips.flatMap((s) => [`1:${s}`, `2:${s}`]));
    }
  });
});

describe('writer kernels', () => {
  it('predictor 2 undone by a running sum gives the input back (any width, spp)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (w, spp, rows, seed) => {
          const a = Int16Array.from({ length: w * spp * rows }, (_, i) => ((i + 1) * (seed | 1) * 2654435761) % 32768);
          const enc = a.slice();
          encodePredictor2(enc, w, spp);
          for (let r = 0; r < rows; r++)
            for (let i = r * w * spp + spp; i < (r + 1) * w * spp; i++)
              enc[i] = (enc[i] as number) + (enc[i - spp] as number);
          expect(enc).toEqual(a);
        },
      ),
    );
  });

  it('predictor 3 matches libtiff byte planes: [1.0, 2.0] float32 one row', () => {
    // 1.0 = 3f800000, 2.0 = 40000000 → planes [3f 40][80 00][00 00][00 00] → differenced with stride 1 (mod 256).
    expect([...encodePredictor3(new Float32Array([1, 2]), 2, 1)]).toEqual([
      0x3f, 0x01, 0x40, 0x80, 0x00, 0x00, 0x00, 0x00,
    ]);
  });

  it('average overview skips nodata and rounds integers half up; nearest takes the top-left cell (GDAL 3.6)', () => {
    const src = Uint16Array.from([1, 2, 9, 65535, 3, 4, 65535, 65535, 5, 6, 7, 8]);
    expect([...downsample(src, 4, 3, 2, 'uint16', 65535, 'average')]).toEqual([3, 9, 6, 8]);
    expect([...downsample(src, 4, 3, 2, 'uint16', 65535, 'nearest')]).toEqual([1, 9, 5, 7]);
    // NaN counts as a value unless it is the nodata (GDAL): it spreads through the mean.
    const f = Float32Array.from([1, NaN, 3, 5]);
    expect([...downsample(f, 2, 2, 2, 'float32', -9999, 'average')]).toEqual([NaN]);
    expect([...downsample(f, 2, 2, 2, 'float32', NaN, 'average')]).toEqual([3]);
  });

  it('average property: integer windows average their valid cells, rounded half up, on every edge shape', () => {
    // An independent per-window mean (the fast 2×2 path and the edge cells must both agree with it).
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(2, 4),
        fc.constantFrom(null, 0, 65535),
        fc.array(fc.constantFrom(0, 1, 2, 7, 100, 65534, 65535), { minLength: 81, maxLength: 81 }),
        (w, h, ratio, nodata, pool) => {
          const src = Uint16Array.from({ length: w * h }, (_, i) => pool[i] as number);
          const got = downsample(src, w, h, ratio, 'uint16', nodata, 'average');
          const ow = Math.ceil(w / ratio);
          for (let oy = 0; oy < Math.ceil(h / ratio); oy++)
            for (let ox = 0; ox < ow; ox++) {
              const seen: number[] = [];
              for (let y = oy * ratio; y < Math.min(h, oy * ratio + ratio); y++)
                for (let x = ox * ratio; x < Math.min(w, ox * ratio + ratio); x++)
                  if (src[y * w + x] !== nodata) seen.push(src[y * w + x] as number);
              const want =
                seen.length === 0 ? (nodata ?? 0) : Math.round(seen.reduce((a, b) => a + b, 0) / seen.length);
              expect(got[oy * ow + ox]).toBe(want);
            }
        },
      ),
    );
  });

  it('mode: worked example — most frequent valid value, ties to the value that reached the count first', () => {
    // Windows (2×2): [1 2 / 2 1] tie 1:2 vs 2:2 → 2 reached 2 first (scan 1,2,2 …); [3 9 / 9 9] → 9;
    // [5 nd / nd nd] → 5; [7 8 / nd nd] → 7 (first); the last row's windows are 2×1: [nd nd] → nodata, [4 4] → 4.
    const nd = 65535;
    const src = Uint16Array.from([1, 2, 3, 9, 2, 1, 9, 9, 5, nd, 7, 8, nd, nd, nd, nd, nd, nd, 4, 4]);
    // 4 wide × 5 tall → 2 × 3 overview.
    expect([...downsample(src, 4, 5, 2, 'uint16', nd, 'mode')]).toEqual([2, 9, 5, 7, nd, 4]);
  });

  it('mode property: the result has the largest count in its window and reached it first in row-major order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(2, 4),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 81, maxLength: 81 }),
        (w, h, ratio, pool) => {
          const src = Int8Array.from({ length: w * h }, (_, i) => (pool[i] as number) - 1); // -1 is nodata
          const got = downsample(src, w, h, ratio, 'int8', -1, 'mode');
          const ow = Math.ceil(w / ratio);
          for (let oy = 0; oy < Math.ceil(h / ratio); oy++) {
            for (let ox = 0; ox < ow; ox++) {
              const seen: number[] = [];
              for (let y = oy * ratio; y < Math.min(h, oy * ratio + ratio); y++)
                for (let x = ox * ratio; x < Math.min(w, ox * ratio + ratio); x++) {
                  const v = src[y * w + x] as number;
                  if (v !== -1) seen.push(v);
                }
              const count = (v: number): number => seen.filter((u) => u === v).length;
              const top = Math.max(0, ...seen.map(count));
              // Where each value reaches the top count in scan order; the earliest wins.
              const reach = (v: number): number => {
                let c = 0;
                return seen.findIndex((u) => u === v && ++c === top);
              };
              const want =
                seen.length === 0 ? -1 : seen.filter((v) => count(v) === top).sort((a, b) => reach(a) - reach(b))[0];
              expect(got[oy * ow + ox]).toBe(want);
            }
          }
        },
      ),
    );
  });
});
