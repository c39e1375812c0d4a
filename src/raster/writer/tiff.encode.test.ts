import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
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

describe('writeCog memory bound', () => {
  it('asks readRows for one strip of one band at a time, in file order, each row once', async () => {
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
      expect(calls, interleave).toEqual(
        interleave === 'pixel'
          ? strips.flatMap((s) => [`1:${s}`, `2:${s}`])
          : [1, 2].flatMap((b) => ['0+64', '64+6'].map((s) => `${b}:${s}`)),
      );
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

  it('average overview skips nodata and rounds integers half up; nearest takes floor((i+0.5)·2)', () => {
    const src = Uint16Array.from([1, 2, 9, 65535, 3, 4, 65535, 65535, 5, 6, 7, 8]);
    expect([...downsample(src, 4, 3, 2, 'uint16', 65535, 'average')]).toEqual([3, 9, 6, 8]);
    expect([...downsample(src, 4, 3, 2, 'uint16', 65535, 'nearest')]).toEqual([4, 65535, 6, 8]);
  });
});
