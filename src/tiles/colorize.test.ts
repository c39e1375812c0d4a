import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testLut } from '../../test/support/colour.lut.js';
import { TRANSPARENT, codesToRgba, colormapIndex, rescaleToCodes } from './colorize.js';

describe("rescale to colormap indices (rio-tiler's linear_rescale)", () => {
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
