import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyMoments, finishStatistics, formatG, mergeMoments, stripMoments, statisticsItems } from './band.stats.js';
import type { BandStatistics } from './band.stats.js';

/**
 * Exact statistics of integer samples with BigInt sums: mean = S/n, population variance = (n·Q − S²)/n², both
 * rounded once at the end, so the kernel (float, strip-merged) can be held to a tight relative error.
 */
function exact(values: readonly number[], nodata: number | null): BandStatistics {
  const valid = values.filter((v) => v !== nodata);
  const n = BigInt(valid.length);
  if (valid.length === 0) {
    return {
      validCount: 0,
      totalCount: values.length,
      validPercent: 0,
      min: null,
      max: null,
      mean: null,
      stddev: null,
    };
  }
  let s = 0n;
  let q = 0n;
  for (const v of valid) {
    s += BigInt(v);
    q += BigInt(v) * BigInt(v);
  }
  const varNum = n * q - s * s; // variance · n²
  return {
    validCount: valid.length,
    totalCount: values.length,
    validPercent: (100 * valid.length) / values.length,
    min: Math.min(...valid),
    max: Math.max(...valid),
    mean: Number(s) / Number(n),
    stddev: Math.sqrt(Number(varNum) / Number(n * n)),
  };
}

const close = (a: number | null, b: number | null, rel: number): boolean =>
  a === b || (a !== null && b !== null && Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300));

describe('band statistics kernel', () => {
  it('uint32 strips merged in any split equal exact BigInt statistics (mean, stddev to 1e-12; min/max exact)', () => {
    const NODATA = 4294967295;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 4294967294 }),
            fc.constant(NODATA),
            fc.integer({ min: 4e9, max: 4294967294 }),
          ),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 5 }),
        (values, cuts) => {
          const data = Uint32Array.from(values);
          const bounds = [...new Set([0, ...cuts.filter((c) => c < values.length), values.length])].sort(
            (a, b) => a - b,
          );
          let m = emptyMoments();
          for (let i = 0; i + 1 < bounds.length; i++) {
            m = mergeMoments(m, stripMoments(data.subarray(bounds[i], bounds[i + 1]), NODATA));
          }
          const got = finishStatistics(m);
          const want = exact(values, NODATA);
          expect(got.validCount).toBe(want.validCount);
          expect(got.totalCount).toBe(values.length);
          expect(got.min).toBe(want.min);
          expect(got.max).toBe(want.max);
          expect(got.validPercent).toBe(want.validPercent);
          expect(close(got.mean, want.mean, 1e-12)).toBe(true);
          if (want.stddev !== null) {
            expect(Math.abs((got.stddev as number) - want.stddev)).toBeLessThanOrEqual(1e-10 * want.stddev + 1e-6);
          }
        },
      ),
    );
  });

  it('floats skip NaN and nodata; worked example (population stddev)', () => {
    const m = stripMoments(Float32Array.from([2, 4, 4, 4, 5, 5, 7, 9, NaN, -9999]), -9999);
    expect(finishStatistics(m)).toEqual({
      validCount: 8,
      totalCount: 10,
      validPercent: 80,
      min: 2,
      max: 9,
      mean: 5,
      stddev: 2,
    });
  });

  it('an all-nodata band has only a valid percent of 0', () => {
    const s = finishStatistics(stripMoments(new Uint16Array(5).fill(7), 7));
    expect(s).toMatchObject({ validCount: 0, validPercent: 0, min: null, mean: null });
    expect(statisticsItems(s)).toEqual([['STATISTICS_VALID_PERCENT', '0']]);
  });
});

describe('formatG (C printf %g, as GDAL writes metadata)', () => {
  it('matches printf on worked examples', () => {
    // Values and texts from `python3 -c "print('%.14g' % v)"` and GDAL's own output (28.866070047722 for 0..99).
    expect(formatG(28.86607004772212, 14)).toBe('28.866070047722');
    expect(formatG(49.5, 14)).toBe('49.5');
    expect(formatG(4294967294, 14)).toBe('4294967294');
    expect(formatG(123456789012345680, 14)).toBe('1.2345678901235e+17');
    expect(formatG(0.00001234, 14)).toBe('1.234e-05');
    expect(formatG(0.0001234, 14)).toBe('0.0001234');
    expect(formatG(-3.5, 14)).toBe('-3.5');
    expect(formatG(0, 14)).toBe('0');
    expect(formatG(62.96654, 4)).toBe('62.97');
    expect(formatG(100, 4)).toBe('100');
    expect(formatG(99.99999, 4)).toBe('100');
    expect(formatG(0.004, 4)).toBe('0.004');
    expect(formatG(1e100, 4)).toBe('1e+100');
  });
});
