import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testLut } from '../../test/support/colour.lut.js';
import { setLut } from '../registry/colormaps.js';
import { TRANSPARENT, categoryCodes, codesToRgba, colormapIndex, rescaleToCodes, toPhysical } from './colorize.js';

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

describe('release display colouring', () => {
  it('categorical: codes are positions in the ascending category values; others and NaN transparent', () => {
    const codes = categoryCodes(Float64Array.of(0, 1, 7, NaN, 1), [0, 1]);
    expect(Array.from(codes)).toEqual([0, 1, TRANSPARENT, TRANSPARENT, 1]);
    // The spec's niche-binary set: 0 Outside #e8e8e8, 1 Inside #2b8c3e.
    const rgba = codesToRgba(codes, setLut(['#e8e8e8', '#2b8c3e']));
    expect(Array.from(rgba.subarray(0, 8))).toEqual([0xe8, 0xe8, 0xe8, 255, 0x2b, 0x8c, 0x3e, 255]);
    expect(Array.from(rgba.subarray(8, 16))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('physical values: stored × scale + offset, NaN kept, identity untouched', () => {
    expect(Array.from(toPhysical(Float64Array.of(10, NaN, -2), 0.1, 5))).toEqual([6, NaN, 4.8]);
    const same = Float64Array.of(1, 2);
    expect(toPhysical(same, 1, 0)).toBe(same);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (stored) => {
        const [v] = toPhysical(Float64Array.of(stored), 0.01, -100);
        expect(v).toBeCloseTo(stored / 100 - 100, 9);
      }),
    );
  });
});
