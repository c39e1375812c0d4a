import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { applySmoother } from './smoothers.js';
import { summarize } from './series.js';
import { applyTransform } from './transforms.js';

const close = (actual: Float64Array, expected: (number | null)[]): void => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    if (e === null) expect(a).toBeNaN();
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e)));
  });
};

const one10 = Float64Array.from({ length: 10 }, (_, i) => i + 1);
const keys10 = Array.from({ length: 10 }, (_, i) => `01${String(i).padStart(2, '0')}`); // 0100…0109
const single = Float64Array.from([...[111.1, 211.1, 311.1, 411.1, 511.1].map(Math.fround)]);

describe('transforms (upstream z-score tests)', () => {
  it('NoTransform and absent are the identity', () => {
    close(applyTransform(one10, keys10, { type: 'NoTransform' }), [...one10]);
    close(applyTransform(one10, keys10, undefined), [...one10]);
  });

  it('moving width 3: first three NaN, index 3 = 2.4494897', () => {
    const z = applyTransform(one10, keys10, { type: 'ZScoreMovingInterval', width: 3 });
    close(z.subarray(0, 4), [null, null, null, 2.4494897]);
  });

  it('fixed without range: (x − 5.5)/2.8722813', () => {
    const z = applyTransform(one10, keys10, { type: 'ZScoreFixedInterval' });
    close(
      z,
      [...one10].map((x) => (x - 5.5) / 2.8722813),
    );
  });

  it('fixed with range 0102–0104: −3.6742346 at 0, −1.2247449 at 2', () => {
    const z = applyTransform(one10, keys10, { type: 'ZScoreFixedInterval', time_range: { gte: '0102', lte: '0104' } });
    expect(z.length).toBe(10);
    close(z.subarray(0, 3), [-3.6742346, -2.4494897, -1.2247449]);
  });

  it('fixed with range 0200–0300 is time_range_empty with the upstream sentence', () => {
    let err: unknown;
    try {
      applyTransform(one10, keys10, { type: 'ZScoreFixedInterval', time_range: { gte: '0200', lte: '0300' } });
    } catch (e) {
      err = e;
    }
    expect(isAppError(err, 'time_range_empty')).toBe(true);
    expect((err as Error).message).toBe(
      'Reference range [0200, 0300] has no overlap with the extracted series [0100, 0109]. ' +
        'Ensure the reference interval falls within the extraction time range.',
    );
  });

  it('constant series → 0.0 for present values, NaN (null) for missing ones (upstream gave NaN)', () => {
    const c = Float64Array.from([5, 5, NaN, 5]);
    close(applyTransform(c, keys10.slice(0, 4), { type: 'ZScoreFixedInterval' }), [0, 0, null, 0]);
  });

  it('annual single cell: fixed z-score and moving w2 (upstream derived values)', () => {
    close(
      applyTransform(single, ['0001', '0002', '0003', '0004', '0005'], { type: 'ZScoreFixedInterval' }),
      [-1.41421358, -0.70710676, 1.08e-8, 0.70710678, 1.41421355],
    );
    close(applyTransform(single, [], { type: 'ZScoreMovingInterval', width: 2 }), [null, null, 3, 3, 3]);
  });

  it('moving: a missing value in the window or std 0 gives NaN', () => {
    const v = Float64Array.from([1, NaN, 3, 4, 4, 4, 4]);
    close(applyTransform(v, [], { type: 'ZScoreMovingInterval', width: 2 }), [null, null, null, null, 1, null, null]);
  });
});

describe('smoothers (upstream smoother tests)', () => {
  it('trailing and centered width 3 on 1..10', () => {
    close(
      applySmoother(one10, { type: 'MovingAverageSmoother', method: 'trailing', width: 3 }),
      [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    close(
      applySmoother(one10, { type: 'MovingAverageSmoother', method: 'centered', width: 3 }),
      [1.5, 2, 3, 4, 5, 6, 7, 8, 9, 9.5],
    );
  });

  it('annual single cell: trailing and centered w3', () => {
    close(
      applySmoother(single, { type: 'MovingAverageSmoother', method: 'trailing', width: 3 }),
      [111.1, 161.1, 211.1, 311.1, 411.1],
    );
    close(
      applySmoother(single, { type: 'MovingAverageSmoother', method: 'centered', width: 3 }),
      [161.1, 211.1, 311.1, 411.1, 461.1],
    );
  });

  it('never fills a missing timestep; skips missing neighbours', () => {
    const v = Float64Array.from([1, NaN, 3, 5]);
    close(applySmoother(v, { type: 'MovingAverageSmoother', method: 'centered', width: 3 }), [1, null, 4, 4]);
  });

  it('an even centered width is rejected', () => {
    expect(() => applySmoother(one10, { type: 'MovingAverageSmoother', method: 'centered', width: 4 })).toThrow(/odd/);
  });

  it('width 1 is the identity (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), fc.constant(NaN))),
        fc.boolean(),
        (vals, trailing) => {
          const v = Float64Array.from(vals);
          const out = applySmoother(v, {
            type: 'MovingAverageSmoother',
            method: trailing ? 'trailing' : 'centered',
            width: 1,
          });
          expect([...out].map((x) => x + 0)).toEqual([...v].map((x) => x + 0));
        },
      ),
    );
  });
});

describe('summary (sample stdev; null, never NaN)', () => {
  it('annual single cell: mean 311.1000046, median 311.1000061, stdev 158.1138854', () => {
    const s = summarize(single);
    expect(s.mean).toBeCloseTo(311.1000046, 6);
    expect(s.median).toBeCloseTo(311.1000061, 6);
    expect(s.stdev).toBeCloseTo(158.1138854, 6);
  });

  it('skips missing values; one value → stdev null; none → all null', () => {
    expect(summarize(Float64Array.from([10, NaN, 30]))).toEqual({ mean: 20, median: 20, stdev: Math.SQRT2 * 10 });
    expect(summarize(Float64Array.from([NaN, 7]))).toEqual({ mean: 7, median: 7, stdev: null });
    expect(summarize(Float64Array.from([NaN]))).toEqual({ mean: null, median: null, stdev: null });
    expect(summarize(new Float64Array(0))).toEqual({ mean: null, median: null, stdev: null });
  });
});
