import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConvolutionDownsampler,
  KERNELS,
  axisTaps,
  bilinearWeight,
  cubicWeight,
  lanczosWeight,
  lanczosWeight4,
  nodataReplacement,
  storeWork,
} from './overview.convolve.js';
import type { ConvolutionMethod } from './overview.convolve.js';

const METHODS: ConvolutionMethod[] = ['bilinear', 'cubic', 'lanczos'];

/** Whole-raster overview of `src` (w×h → ceil(w/2)×ceil(h/2)), fed in strips of `strip` rows. */
function overview(
  src: Float32Array | Uint16Array,
  w: number,
  h: number,
  method: ConvolutionMethod,
  nodata: number | null,
  strip = h,
): Float32Array | Uint16Array {
  const dw = Math.ceil(w / 2);
  const dh = Math.ceil(h / 2);
  const dtype = src instanceof Float32Array ? 'float32' : 'uint16';
  const ds = new ConvolutionDownsampler(w, h, dw, dh, method, dtype, nodata);
  const out = src instanceof Float32Array ? new Float32Array(dw * dh) : new Uint16Array(dw * dh);
  for (let y = 0; y < h; y += strip) {
    const n = Math.min(strip, h - y);
    const done = ds.push(src.slice(y * w, (y + n) * w), n);
    if (done) out.set(done.data, done.row * dw);
  }
  expect(ds.done).toBe(true);
  return out;
}

const size = fc.integer({ min: 1, max: 23 });
const method = fc.constantFrom(...METHODS);

describe('kernels', () => {
  it('have GDAL 3.6 values at known points (Keys a = −0.5, 3-lobe Lanczos, triangle)', () => {
    expect([bilinearWeight(0), bilinearWeight(0.25), bilinearWeight(-0.75), bilinearWeight(1.5)]).toEqual([
      1, 0.75, 0.25, 0,
    ]);
    // Catmull-Rom at ±0.5: 0.5²·(1.5·0.5 − 2.5) + 1 = 0.5625; at 1.5: 2.25·1.75 − 6 + 2 = −0.0625.
    expect([cubicWeight(0), cubicWeight(0.5), cubicWeight(-1.5), cubicWeight(1), cubicWeight(2.5)]).toEqual([
      1, 0.5625, -0.0625, 0, 0,
    ]);
    expect(lanczosWeight(0)).toBe(1);
    expect(lanczosWeight(1)).toBeCloseTo(0, 15);
    expect(lanczosWeight(0.5)).toBeCloseTo(
      (Math.sin(Math.PI / 2) * Math.sin(Math.PI / 6)) / ((Math.PI / 2) * (Math.PI / 6)),
      15,
    );
  });

  // Tap distances are multiples of a step ≥ 1/ratio away from tiny values (where sin² would underflow).
  it("GDAL's four-at-a-time Lanczos formula (sin 3a = 3 sin a − 4 sin³ a) is the same function up to rounding", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }).filter((x) => Math.abs(x) > 1e-6),
        (x) => {
          expect(Math.abs(lanczosWeight4(x) - lanczosWeight(x))).toBeLessThan(1e-14);
        },
      ),
    );
  });

  it('a 2× bilinear axis reads 4 cells with weights 1/8, 3/8, 3/8, 1/8, clipped and renormalised at the edges', () => {
    const t = axisTaps(8, 4, KERNELS.bilinear);
    expect(Array.from(t.start)).toEqual([0, 1, 3, 5]);
    expect(Array.from(t.count)).toEqual([3, 4, 4, 3]);
    expect(Array.from(t.normalized.subarray(t.stride, t.stride + 4))).toEqual([0.125, 0.375, 0.375, 0.125]);
    // First cell: taps −1…2 cut to 0…2, weights 0.75, 0.75, 0.25 over 1.75.
    expect(t.sum[0]).toBe(1.75);
  });

  it('hand-computed 4×1 → 2×1 bilinear: [0, 0, 7, 7] → [1, 6]', () => {
    expect(Array.from(overview(new Float32Array([0, 0, 7, 7]), 4, 1, 'bilinear', null))).toEqual([1, 6]);
  });

  it('nodata replacement as GDAL 3.6 (measured: uint8 255 → 254, float32 −9999 → −9999.0009765625, 0 → FLT_MIN)', () => {
    expect(nodataReplacement(255, 'uint8')).toBe(254);
    expect(nodataReplacement(0, 'uint16')).toBe(1);
    expect(nodataReplacement(-9999, 'float32')).toBe(-9999.0009765625);
    expect(nodataReplacement(1000, 'float32')).toBe(1000.0001220703125);
    expect(nodataReplacement(0, 'float32')).toBe(2 ** -126);
  });

  it('float results are stored as they are, integers rounded and clamped as GDALCopyWords', () => {
    expect(storeWork(2.5, 'uint16')).toBe(3);
    expect(storeWork(-0.7, 'uint16')).toBe(0);
    expect(storeWork(70000, 'uint16')).toBe(65535);
    expect(storeWork(-2.5, 'int16')).toBe(-3);
    expect(storeWork(NaN, 'int32')).toBe(0);
    expect(storeWork(-1.25, 'float32')).toBe(-1.25);
  });
});

describe('convolution overviews (properties)', () => {
  it('a constant raster stays constant', () => {
    fc.assert(
      fc.property(size, size, method, fc.integer({ min: 0, max: 60000 }), (w, h, m, c) => {
        const out = overview(new Uint16Array(w * h).fill(c), w, h, m, null);
        expect(Array.from(out).every((v) => v === c)).toBe(true);
      }),
    );
  });

  it('bilinear stays within the range of the valid input (no negative weights)', () => {
    fc.assert(
      fc.property(size, size, fc.integer({ min: 1, max: 2 ** 31 }), (w, h, seed) => {
        let s = seed;
        const src = new Float32Array(w * h).map(() => ((s = (s * 48271) % 2147483647) / 2147483647) * 200 - 100);
        src[0] = -9999;
        const valid = Array.from(src).filter((v) => v !== -9999);
        const out = overview(src, w, h, 'bilinear', -9999);
        for (const v of out) {
          if (v === -9999) continue;
          expect(v).toBeGreaterThanOrEqual(Math.fround(Math.min(...valid)));
          expect(v).toBeLessThanOrEqual(Math.fround(Math.max(...valid)));
        }
      }),
    );
  });

  it('an all-nodata raster stays nodata', () => {
    fc.assert(
      fc.property(size, size, method, (w, h, m) => {
        const out = overview(new Uint16Array(w * h).fill(65535), w, h, m, 65535);
        expect(Array.from(out).every((v) => v === 65535)).toBe(true);
      }),
    );
  });

  it('the strip height does not change the result (the streaming keeps the overlap rows)', () => {
    fc.assert(
      fc.property(size, size, method, fc.integer({ min: 1, max: 9 }), (w, h, m, strip) => {
        const src = new Uint16Array(w * h).map((_, i) => (i * 7919) % 1000);
        src[Math.floor((w * h) / 2)] = 65535;
        expect(Array.from(overview(src, w, h, m, 65535, strip))).toEqual(Array.from(overview(src, w, h, m, 65535)));
      }),
    );
  });

  it('a valid cell never reads as nodata', () => {
    fc.assert(
      fc.property(size, size, method, (w, h, m) => {
        // Values both sides of the nodata 100: averages land on 100 and must be replaced by 101.
        const src = new Uint16Array(w * h).map((_, i) => (i % 2 === 0 ? 99 : 101));
        const out = overview(src, w, h, m, 100);
        expect(Array.from(out).includes(100)).toBe(false);
      }),
    );
  });
});
