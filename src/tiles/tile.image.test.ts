import fc from 'fast-check';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { testLut } from '../../test/support/colour.lut.js';
import { TRANSPARENT, codesToRgba } from './colorize.js';
import { encodePalettePng, encodeRgbaPng, upFilter } from './png.encode.js';
import { TransparentTiles, encodeTile } from './tile.image.js';

function decode(buf: Buffer): PNG {
  return PNG.sync.read(buf);
}

describe('PNG encoding', () => {
  it('writes a palette PNG with PLTE + tRNS that decodes to the same pixels', () => {
    const codes = new Uint16Array(256 * 256);
    for (let k = 0; k < codes.length; k++) codes[k] = k % 7 === 0 ? TRANSPARENT : (k * 31) % 200;
    const lut = testLut();
    const buf = encodePalettePng(codes, 256, 256, lut);
    expect(buf[25]).toBe(3); // IHDR colour type: palette
    expect(buf.includes(Buffer.from('PLTE'))).toBe(true);
    expect(buf.includes(Buffer.from('tRNS'))).toBe(true);
    const png = decode(buf);
    expect([png.width, png.height]).toEqual([256, 256]);
    expect(Buffer.from(png.data).equals(Buffer.from(codesToRgba(codes, lut)))).toBe(true);
  });

  it('omits tRNS for a fully opaque tile and falls back to RGBA for 257 entries', () => {
    const lut = testLut();
    const opaque = new Uint16Array(128 * 128).map((_, k) => k % 256);
    const a = encodePalettePng(opaque, 128, 128, lut);
    expect(a.includes(Buffer.from('tRNS'))).toBe(false);
    expect(Buffer.from(decode(a).data).equals(Buffer.from(codesToRgba(opaque, lut)))).toBe(true);
    const full = new Uint16Array(128 * 128).map((_, k) => (k % 257 === 256 ? TRANSPARENT : k % 257));
    const b = encodePalettePng(full, 128, 128, lut);
    expect(b[25]).toBe(6); // RGBA
    expect(Buffer.from(decode(b).data).equals(Buffer.from(codesToRgba(full, lut)))).toBe(true);
  });

  it('palette PNGs of any size, with repeated rows and transparency, decode (pngjs) to the same pixels', () => {
    const lut = testLut();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 1, max: 257 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (w, h, colours, seed) => {
          // Rows repeat in runs (as zoomed-in tiles do); codes drawn from `colours` values, the last one transparent.
          const codes = new Uint16Array(w * h);
          for (let j = 0; j < h; j++) {
            const src = ((j * 2654435761 + seed) >>> 0) % 3 === 0 && j > 0 ? j - 1 : j;
            for (let i = 0; i < w; i++) {
              const c = ((src * w + i) * 40503 + seed) % colours;
              codes[j * w + i] = src === j ? (c === colours - 1 && colours > 1 ? TRANSPARENT : c) : codes[src * w + i]!;
            }
          }
          const png = decode(encodePalettePng(codes, w, h, lut));
          expect([png.width, png.height]).toEqual([w, h]);
          expect(Buffer.from(png.data).equals(Buffer.from(codesToRgba(codes, lut)))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the "up" filter subtracts bytewise modulo 256, four at a time', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (a, b) => {
          const diff = new Uint32Array(2);
          upFilter(a, b, diff, 2);
          expect(Array.from(new Uint8Array(diff.buffer))).toEqual(Array.from(a, (v, i) => (v - b[i]!) & 255));
        },
      ),
    );
  });

  it('writes RGBA PNGs', () => {
    const rgba = new Uint8Array(4 * 4 * 4).map((_, k) => (k * 13) & 255);
    const png = decode(encodeRgbaPng(rgba, 4, 4));
    expect(Buffer.from(png.data).equals(Buffer.from(rgba))).toBe(true);
  });

  it('encodes lossless WebP through sharp', async () => {
    const codes = new Uint16Array(512 * 512).map((_, k) => (k % 5 === 0 ? TRANSPARENT : k % 256));
    const buf = await encodeTile(codes, 512, 'webp', testLut());
    const meta = await sharp(buf).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 512, height: 512, hasAlpha: true });
    const { data } = await sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.from(data).equals(Buffer.from(codesToRgba(codes, testLut())))).toBe(true);
  });

  it('shares one transparent tile per size and format', async () => {
    const t = new TransparentTiles();
    const a = await t.get(256, 'png');
    expect(await t.get(256, 'png')).toBe(a);
    const png = decode(a);
    expect([png.width, png.height]).toEqual([256, 256]);
    expect(png.data.every((v) => v === 0)).toBe(true);
    expect((await sharp(await t.get(128, 'webp')).metadata()).width).toBe(128);
  });
});
