import fc from 'fast-check';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { TRANSPARENT, codesToRgba, colormapIndex, rescaleToCodes } from './render.js';
import { encodePalettePng, encodeRgbaPng } from './png.js';
import { TransparentTiles, encodeTile } from './encode.js';

/** A test table: entry i = (i, 255 − i, i >> 1, 255). */
function testLut(): Uint8Array {
  const lut = new Uint8Array(1024);
  for (let i = 0; i < 256; i++) lut.set([i, 255 - i, i >> 1, 255], 4 * i);
  return lut;
}

function decode(buf: Buffer): PNG {
  return PNG.sync.read(buf);
}

describe('rescale to colormap indices (CONTRACT §8)', () => {
  it('truncates (clip(v) − lo)/(hi − lo) × 255', () => {
    const r = { lo: 0, hi: 100 };
    expect(colormapIndex(50, r)).toBe(127); // 127.5 → 127
    expect(colormapIndex(-5, r)).toBe(0);
    expect(colormapIndex(100, r)).toBe(255);
    expect(colormapIndex(1e9, r)).toBe(255);
    expect(colormapIndex(99.99, r)).toBe(254);
    expect(colormapIndex(0.3921, r)).toBe(0); // 0.99986 → 0
    expect(colormapIndex(0.3922, r)).toBe(1);
    const codes = rescaleToCodes(Float64Array.of(NaN, 0, 50, 100, 200, -1), r);
    expect(Array.from(codes)).toEqual([TRANSPARENT, 0, 127, 255, 255, 0]);
  });

  it('matches the scalar rule for any value', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        (v, lo, span) => {
          const r = { lo, hi: lo + span };
          const [code] = rescaleToCodes(Float64Array.of(v), r);
          expect(code).toBe(colormapIndex(v, r));
          expect(code).toBeGreaterThanOrEqual(0);
          expect(code).toBeLessThanOrEqual(255);
        },
      ),
    );
  });

  it('maps codes to RGBA through the table, transparent as 0,0,0,0', () => {
    const rgba = codesToRgba(Uint16Array.of(0, 255, TRANSPARENT, 10), testLut());
    expect(Array.from(rgba)).toEqual([0, 255, 0, 255, 255, 0, 127, 255, 0, 0, 0, 0, 10, 245, 5, 255]);
  });
});

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
