/** Streamed band statistics: worked example, and equal to a two-pass computation however the band is cut. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accumulate, finish, newAccumulator } from './band.stats.js';

function direct(values: readonly number[], nodata: number | null): ReturnType<typeof finish> {
  const v = values.filter((x) => x !== nodata && !Number.isNaN(x));
  if (v.length === 0) return { valid_percent: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return {
    minimum: Math.min(...v),
    maximum: Math.max(...v),
    mean,
    stddev: Math.sqrt(variance),
    valid_percent: (100 * v.length) / values.length,
  };
}

describe('band statistics', () => {
  it('worked example: [1, 2, 3, 4, nodata] → mean 2.5, population stddev √1.25, 80 % valid', () => {
    const acc = newAccumulator();
    accumulate(acc, Uint16Array.of(1, 2), 9);
    accumulate(acc, Uint16Array.of(3, 4, 9), 9);
    expect(finish(acc)).toEqual({ minimum: 1, maximum: 4, mean: 2.5, stddev: Math.sqrt(1.25), valid_percent: 80 });
  });
  it('a band without a valid cell has only valid_percent 0; NaN never counts', () => {
    const acc = newAccumulator();
    accumulate(acc, Float32Array.of(NaN, -1, NaN), -1);
    expect(finish(acc)).toEqual({ valid_percent: 0 });
  });
  it('equals the two-pass statistics for any cut into strips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constant(65535)), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        (values, cuts) => {
          const acc = newAccumulator();
          const data = Uint16Array.from(values);
          let at = 0;
          for (let i = 0; at < data.length; i++) {
            const n = cuts[i % cuts.length] as number;
            accumulate(acc, data.subarray(at, at + n), 65535);
            at += n;
          }
          const got = finish(acc);
          const want = direct(values, 65535);
          expect(got.valid_percent).toBeCloseTo(want.valid_percent, 10);
          if (want.valid_percent === 0) {
            expect(got).toEqual(want);
            return;
          }
          expect([got.minimum, got.maximum]).toEqual([want.minimum, want.maximum]);
          expect(Math.abs((got.mean as number) - (want.mean as number))).toBeLessThanOrEqual(
            1e-9 * Math.abs(want.mean as number) + 1e-12,
          );
          expect(Math.abs((got.stddev as number) - (want.stddev as number))).toBeLessThanOrEqual(
            1e-9 * (want.stddev as number) + 1e-9,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
