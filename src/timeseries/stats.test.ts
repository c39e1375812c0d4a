import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, DTypeArrays, RasterBlock } from '../raster/types.js';
import { createZonalReducer } from './stats.js';
import { medianInPlace, weightedQuantile } from './stats.median.js';
import { cellRuns, createStripAccumulator } from './stats.strips.js';
import type { BlockSpan } from '../raster/types.js';

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

function block<T extends DType>(dtype: T, w: number, h: number, bands: number[][], nodata: number | null): RasterBlock {
  const data = new ARRAYS[dtype](w * h * bands.length) as DTypeArrays[T];
  bands.forEach((b, i) => data.set(b, i * w * h));
  return { dtype, width: w, height: h, bands: bands.map((_, i) => i + 1), data, nodata };
}

/**
 * The upstream annual float32 fixture (test/fixtures/upstream-5x5): 100·b + 10·r + 1.1·c, NaN at (3,4) and (2,4) in
 * band 3.
 */
function annualFixture(): number[][] {
  const bands: number[][] = [];
  for (let b = 1; b <= 5; b++) {
    const band: number[] = [];
    for (let r = 0; r < 5; r++)
      for (let c = 0; c < 5; c++) {
        const missing = (r === 3 && c === 4) || (b === 3 && r === 2 && c === 4);
        band.push(missing ? NaN : Math.fround(100 * b + 10 * r + 1.1 * c));
      }
    bands.push(band);
  }
  return bands;
}

const rel = (a: number | null | undefined, b: number): void => {
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(1e-6 * Math.abs(b) + 1e-12);
};

describe('zonal reducer: worked numbers of the original service', () => {
  it('full grid of the annual float32 fixture: nanmean and nanmedian per band', () => {
    const r = createZonalReducer(new Float64Array(25).fill(1), 5, 5, { weighted: false });
    const s = r.reduce(block('float32', 5, 5, annualFixture(), NaN));
    [121.691658, 221.691666, 321.573914, 421.691681, 521.691711].forEach((v, i) => rel(s.mean[i], v));
    [121.65, 221.65, 321.1, 421.65, 521.65].forEach((v, i) => rel(s.median[i], v));
    expect(r.cellCount).toBe(25);
  });

  it('single cell (col 1, row 1) gives float32(111.1 + 100(b−1))', () => {
    const w = new Float64Array(25);
    w[6] = 1;
    const s = createZonalReducer(w, 5, 5, { weighted: false }).reduce(block('float32', 5, 5, annualFixture(), NaN));
    expect(s.mean).toEqual([...[111.1, 211.1, 311.1, 411.1, 511.1].map(Math.fround)]);
    expect(s.median).toEqual(s.mean);
  });

  it('a cell that is missing in every band gives null statistics', () => {
    const w = new Float64Array(25);
    w[3 * 5 + 4] = 1;
    const s = createZonalReducer(w, 5, 5, { weighted: false }).reduce(block('float32', 5, 5, annualFixture(), NaN));
    expect(s.mean).toEqual([null, null, null, null, null]);
    expect(s.median).toEqual([null, null, null, null, null]);
  });

  it('uint16 with nodata 65535 (histogram path for large areas) matches the float path', () => {
    // 80×80 so the histogram path is taken; values 100·b + (i mod 997), every 7th cell nodata.
    const n = 6400;
    const bands = [1, 2].map((b) => Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 65535 : 100 * b + (i % 997))));
    const u16 = createZonalReducer(new Float64Array(n).fill(1), 80, 80, { weighted: false }).reduce(
      block('uint16', 80, 80, bands, 65535),
    );
    const f64 = createZonalReducer(new Float64Array(n).fill(1), 80, 80, { weighted: false }).reduce(
      block(
        'float64',
        80,
        80,
        bands.map((b) => b.map((v) => (v === 65535 ? NaN : v))),
        null,
      ),
    );
    expect(u16.mean).toEqual(f64.mean);
    expect(u16.median).toEqual(f64.median);
  });

  it('int16 histogram handles negative values and an even count', () => {
    const n = 4096;
    const band = Array.from({ length: n }, (_, i) => i - 3000); // −3000 … 1095, median (−953 + −952)/2
    const s = createZonalReducer(new Float64Array(n).fill(1), 64, 64, { weighted: false }).reduce(
      block('int16', 64, 64, [band], -9999),
    );
    expect(s.median).toEqual([-952.5]);
    expect(s.mean).toEqual([-952.5]);
  });
});

describe('weighted statistics (fractional coverage, exactextract semantics)', () => {
  it('weighted mean Σwx/Σw and weighted median', () => {
    const w = Float64Array.from([1, 0.5, 0.25, 0]);
    const s = createZonalReducer(w, 2, 2, { weighted: true }).reduce(block('float64', 2, 2, [[1, 2, 4, 100]], null));
    rel(s.mean[0], (1 + 1 + 1) / 1.75);
    // n = 3 sorted x = 1,2,4 w = 1,.5,.25: s = 0, 1·.5 + 2·1 = 2.5, 2·.25 + 2·1.5 = 3.5; S = 2·1.75 = 3.5,
    // q·S = 1.75 → between s0 = 0 and s1 = 2.5: 1 + 1.75·(2 − 1)/2.5 = 1.7
    rel(s.median[0], 1.7);
  });

  it('equal weights give the ordinary median', () => {
    expect(weightedQuantile([3, 1, 2, 4], [2, 2, 2, 2], 0.5)).toBe(2.5);
    expect(weightedQuantile([5], [0.3], 0.5)).toBe(5);
  });
});

describe('properties', () => {
  const values = fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(NaN)), {
    minLength: 1,
    maxLength: 60,
  });

  it('order invariance: permuting cells never changes mean or median', () => {
    fc.assert(
      fc.property(values, fc.integer(), (vals, seed) => {
        const shuffled = [...vals];
        let s = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
        }
        const n = vals.length;
        const a = createZonalReducer(new Float64Array(n).fill(1), n, 1, { weighted: false });
        const x = a.reduce(block('float64', n, 1, [vals], null));
        const y = a.reduce(block('float64', n, 1, [shuffled], null));
        expect(y.median).toEqual(x.median);
        const xm = x.mean[0] ?? null;
        if (xm === null) expect(y.mean[0]).toBeNull();
        else expect(Math.abs((y.mean[0] as number) - xm)).toBeLessThan(1e-9);
      }),
    );
  });

  it('nodata cells never change a result', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60000 }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (vals, extra) => {
          const withNodata = [...vals, ...extra.map(() => 65535)];
          const n1 = vals.length;
          const n2 = withNodata.length;
          const a = createZonalReducer(new Float64Array(n1).fill(1), n1, 1, { weighted: false }).reduce(
            block('uint16', n1, 1, [vals], 65535),
          );
          const b = createZonalReducer(new Float64Array(n2).fill(1), n2, 1, { weighted: true }).reduce(
            block('uint16', n2, 1, [withNodata], 65535),
          );
          expect(b.median[0]).toBeCloseTo(a.median[0] as number, 9);
          expect(b.mean[0]).toBeCloseTo(a.mean[0] as number, 9);
        },
      ),
    );
  });

  it('weights of 1 give the plain mean and median', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (vals) => {
          const n = vals.length;
          const ones = new Float64Array(n).fill(1);
          const w = createZonalReducer(ones, n, 1, { weighted: true }).reduce(block('float64', n, 1, [vals], null));
          const p = createZonalReducer(ones, n, 1, { weighted: false }).reduce(block('float64', n, 1, [vals], null));
          const scale = Math.max(1, ...vals.map(Math.abs));
          expect(Math.abs((w.mean[0] as number) - (p.mean[0] as number))).toBeLessThanOrEqual(1e-9 * scale);
          expect(Math.abs((w.median[0] as number) - (p.median[0] as number))).toBeLessThanOrEqual(1e-9 * scale);
        },
      ),
    );
  });

  it('median agrees with a sort-based median', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 80 }),
        (vals) => {
          const sorted = [...vals].sort((a, b) => a - b);
          const n = sorted.length;
          const expected = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
          expect(medianInPlace(Float64Array.from(vals), n)).toBe(expected);
        },
      ),
    );
  });
});

describe('strip accumulator fed rows of deltas', () => {
  it('gives the statistics of the values (any coverage shape, clip and block position; uint8 and uint16)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('uint8' as const, 'uint16' as const),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        fc.boolean(),
        (dtype, width, height, origin, seed, box) => {
          // A 16×12 block at pixel (4, 2); the coverage grid (width × height) starts at (4 + origin, 2 + origin/2).
          const bw = 16;
          const bh = 12;
          const [x0, y0] = [4, 2];
          const col0 = x0 + origin;
          const row0 = y0 + (origin >> 1);
          const max = dtype === 'uint8' ? 256 : 65536;
          let x = seed >>> 0 || 1;
          const rnd = (): number => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
          const values = dtype === 'uint8' ? new Uint8Array(bw * bh) : new Uint16Array(bw * bh);
          for (let i = 0; i < values.length; i++) values[i] = Math.floor(rnd() * Math.min(max - 1, 600)); // nodata max−1 unused
          const diffs = dtype === 'uint8' ? new Uint8Array(bw * bh) : new Uint16Array(bw * bh);
          for (let r = 0; r < bh; r++)
            for (let c = 0; c < bw; c++) {
              const i = r * bw + c;
              diffs[i] = c === 0 ? values[i]! : (values[i]! - values[i - 1]! + max) % max;
            }
          // Coverage: a full box (rows of one equal run: the paired loop) or a random mask (several runs per row).
          const weights = new Float64Array(width * height).map(() => (box || rnd() < 0.6 ? 1 : 0));
          const clip = {
            c0: col0,
            c1: Math.min(x0 + bw, col0 + width),
            r0: row0,
            r1: Math.min(y0 + bh, row0 + height),
          };
          const plain = createStripAccumulator(weights, width, height, 1, dtype, max - 1);
          const summed = createStripAccumulator(weights, width, height, 1, dtype, max - 1);
          const span: BlockSpan = { x0, y0, rowStride: bw, step: 1, offset: 0, clip, rows: 'values' };
          plain.addSpan(0, values, span, col0, row0);
          summed.addSpan(0, diffs, { ...span, rows: 'deltas' }, col0, row0);
          const a = plain.finish();
          expect(summed.finish()).toEqual(a);
          // And the plain path counted exactly the covered cells inside the block.
          let n = 0;
          let sum = 0;
          for (let r = clip.r0; r < clip.r1; r++)
            for (let c = clip.c0; c < clip.c1; c++) {
              if (weights[(r - row0) * width + (c - col0)] === 0) continue;
              n++;
              sum += values[(r - y0) * bw + (c - x0)]!;
            }
          expect(a.mean[0]).toBe(n === 0 ? null : sum / n);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('strip accumulator equals the window reducer', () => {
  it('for any 8/16-bit values (extremes included), nodata, coverage mask and strip split', () => {
    const RANGE = { uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767] } as const;
    fc.assert(
      fc.property(
        fc.constantFrom('uint8' as const, 'int8' as const, 'uint16' as const, 'int16' as const),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('none', 'min', 'max', 'mid', 'nan'),
        fc.integer(),
        (dtype, width, height, nBands, nodataKind, seed) => {
          const [min, max] = RANGE[dtype];
          let x = seed >>> 0 || 1;
          const rnd = (): number => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
          const nodata =
            nodataKind === 'none'
              ? null
              : nodataKind === 'nan'
                ? NaN
                : nodataKind === 'min'
                  ? min
                  : nodataKind === 'max'
                    ? max
                    : 7;
          // Values pile up at both ends of the type and around the nodata value (the bins a bounded scan could miss).
          const pick = (): number => {
            const u = rnd();
            if (u < 0.15) return min;
            if (u < 0.3) return max;
            if (u < 0.4 && nodata !== null && !Number.isNaN(nodata)) return nodata;
            return min + Math.floor(rnd() * (max - min + 1));
          };
          const bands = Array.from({ length: nBands }, () => Array.from({ length: width * height }, pick));
          const b = block(dtype, width, height, bands, nodata);
          const weights = new Float64Array(width * height).map(() => (rnd() < 0.7 ? 1 : 0));
          const expected = createZonalReducer(weights, width, height, { weighted: false }).reduce(b);
          // Fed in row strips of random heights.
          const acc = createStripAccumulator(weights, width, height, nBands, dtype, nodata);
          for (let r = 0; r < height;) {
            const h = Math.min(height - r, 1 + Math.floor(rnd() * height));
            const strip = block(
              dtype,
              width,
              h,
              bands.map((v) => v.slice(r * width, (r + h) * width)),
              nodata,
            );
            acc.add(strip, r);
            r += h;
          }
          expect(acc.finish()).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('cell runs', () => {
  it('worked example: the runs of a 4 × 3 coverage, row by row; shared memory on request', () => {
    // prettier-ignore
    const weights = [
      0, 1, 1, 0,
      0, 0, 0, 0,
      1, 0.5, 0, 1,
    ];
    const cells = cellRuns(weights, 4, 3);
    expect(Array.from(cells.runs)).toEqual([1, 3, 8, 10, 11, 12]);
    expect(Array.from(cells.rowRun)).toEqual([0, 1, 1, 3]);
    expect(cells.runs.buffer).toBeInstanceOf(ArrayBuffer);
    const shared = cellRuns(weights, 4, 3, true);
    expect(shared.runs.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.rowRun.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(shared.runs)).toEqual(Array.from(cells.runs));
    expect(() => cellRuns(weights, 5, 3)).toThrow(/12 weights for a 5×3 window/);
  });
  it('an accumulator given the runs counts what one given the weights does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        (width, height, seed) => {
          const weights = Array.from({ length: width * height }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 0 : 1));
          const data = Uint16Array.from({ length: width * height }, (_, i) => (i * 31 + seed) & 0xff);
          const block: RasterBlock = { dtype: 'uint16', width, height, bands: [1], data, nodata: 255 };
          const a = createStripAccumulator(weights, width, height, 1, 'uint16', 255);
          const b = createStripAccumulator(cellRuns(weights, width, height, true), width, height, 1, 'uint16', 255);
          a.add(block, 0);
          b.add(block, 0);
          expect(b.finish()).toEqual(a.finish());
        },
      ),
    );
    expect(() => createStripAccumulator(cellRuns([1, 1], 2, 1), 1, 2, 1, 'uint16')).toThrow(/2×1 grid for 1×2/);
  });
});
