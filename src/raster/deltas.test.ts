/**
 * Counting rows of horizontal deltas: the JavaScript loop against the predictor undone the plain way, and the
 * native loop (native/inflate/count.c) against the JavaScript one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../test/support/env.js';
import { libdeflateStatus, nativeDeltaCount } from './codecs/libdeflate.js';
import { countDeltaRows } from './deltas.js';

/** The counts of the same rows with the predictor undone one row at a time (the TIFF definition) and then counted. */
function plainCounts(
  samples: Uint16Array | Uint8Array,
  first: number,
  stride: number,
  cols: Int32Array,
  bins: number,
): Uint32Array {
  const counts = new Uint32Array(bins);
  for (let i = 0; i < cols.length / 2; i++) {
    const s0 = cols[2 * i] as number;
    const s1 = cols[2 * i + 1] as number;
    let v = 0;
    for (let k = 0; k < s1; k++) {
      v = (v + (samples[first + i * stride + k] as number)) % bins;
      if (k >= s0) counts[v]!++;
    }
  }
  return counts;
}

/** The first bin where two histograms differ, or -1 (65 536 bins compared as bytes: `toEqual` takes ~50 ms each). */
function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)))
    return -1;
  return a.findIndex((c, i) => c !== b[i]);
}

/** Random rows of deltas and the column range of each (some empty, many equal to the next row's). */
const rowsArb = fc
  .record({
    wide: fc.boolean(),
    stride: fc.integer({ min: 1, max: 300 }),
    rows: fc.integer({ min: 0, max: 12 }),
    first: fc.integer({ min: 0, max: 50 }),
    seed: fc.integer(),
    ranges: fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 })), {
      minLength: 12,
      maxLength: 12,
    }),
    repeat: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    // Rows of one value (a nodata block's): every delta after the first 0.
    flat: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  })
  .map(({ wide, stride, rows, first, seed, ranges, repeat, flat }) => {
    const length = first + rows * stride;
    const samples = wide ? new Uint16Array(length) : new Uint8Array(length);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // Small deltas mostly (smooth data), a wrap-around now and then.
      samples[i] = x >>> 28 === 0 ? x >>> 16 : (x >>> 24) % 7;
    }
    for (let r = 0; r < rows; r++)
      if (flat[r] === true) samples.fill(0, first + r * stride + 1, first + (r + 1) * stride);
    const cols = new Int32Array(2 * rows);
    for (let i = 0; i < rows; i++) {
      const [a, b] = ranges[i] as [number, number];
      const same = i > 0 && repeat[i] === true;
      cols[2 * i] = same ? (cols[2 * i - 2] as number) : Math.min(a, stride);
      cols[2 * i + 1] = same ? (cols[2 * i - 1] as number) : Math.min(b, stride);
    }
    return { samples, first, stride, cols, bins: wide ? 65536 : 256 };
  });

describe('countDeltaRows', () => {
  it('counts the values of a worked row: deltas 10, 1, 65535, 2 are the values 10, 11, 10, 12', () => {
    const counts = new Uint32Array(65536);
    const n = countDeltaRows(Uint16Array.of(10, 1, 65535, 2), 0, 4, Int32Array.of(1, 4), counts);
    expect(n).toBe(3);
    expect([counts[10], counts[11], counts[12]]).toEqual([1, 1, 1]);
  });
  it('equals undoing the predictor and counting, for 8- and 16-bit rows, pairs and single rows', () => {
    fc.assert(
      fc.property(rowsArb, ({ samples, first, stride, cols, bins }) => {
        const counts = new Uint32Array(bins);
        const n = countDeltaRows(samples, first, stride, cols, counts);
        const want = plainCounts(samples, first, stride, cols, bins);
        expect(firstDifference(counts, want)).toBe(-1);
        expect(n).toBe(want.reduce((a, c) => a + c, 0));
      }),
      { numRuns: 300 },
    );
  });
});

const native = nativeDeltaCount();
const ready = requireTool('libdeflate binding', native !== null, libdeflateStatus());

describe.runIf(ready)('the native deltaCount', () => {
  const count = native as NonNullable<typeof native>;
  it('counts exactly what the JavaScript loop counts', () => {
    fc.assert(
      fc.property(rowsArb, ({ samples, first, stride, cols, bins }) => {
        const ours = new Uint32Array(bins);
        const js = new Uint32Array(bins);
        expect(count(samples, first, stride, cols, ours)).toBe(countDeltaRows(samples, first, stride, cols, js));
        expect(firstDifference(ours, js)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });
  it('reads from the start of a view, not of its buffer', () => {
    const whole = Uint16Array.of(500, 500, 7, 1, 1);
    const counts = new Uint32Array(65536);
    expect(count(whole.subarray(2), 0, 3, Int32Array.of(0, 3), counts)).toBe(3);
    expect([counts[7], counts[8], counts[9]]).toEqual([1, 1, 1]);
  });
  it('refuses rows outside the samples, short histograms and wrong types, counting nothing', () => {
    const counts = new Uint32Array(65536);
    const samples = new Uint16Array(8);
    // Row 1 would end at 4 + 4 + 1 = 9 > 8.
    expect(() => count(samples, 4, 4, Int32Array.of(0, 1, 0, 1), counts)).toThrow(RangeError);
    expect(() => count(samples, 0, 4, Int32Array.of(-1, 2), counts)).toThrow(RangeError);
    expect(() => count(samples, 0, 2 ** 52, Int32Array.of(0, 1, 0, 1), counts)).toThrow(RangeError);
    expect(() => count(samples, 0, 4, Int32Array.of(0, 4), new Uint32Array(256))).toThrow(RangeError);
    expect(counts.every((c) => c === 0)).toBe(true);
    const loose = count as unknown as (...a: unknown[]) => number;
    expect(() => loose(new Float64Array(4), 0, 4, Int32Array.of(0, 4), counts)).toThrow(TypeError);
    expect(() => loose(samples, -1, 4, Int32Array.of(0, 4), counts)).toThrow(TypeError);
    expect(() => loose(samples, 0.5, 4, Int32Array.of(0, 4), counts)).toThrow(TypeError);
    expect(() => loose(samples, 0, 4, Int32Array.of(0, 4, 1), counts)).toThrow(TypeError);
    expect(() => loose(samples, 0, 4, Int32Array.of(0, 4))).toThrow(TypeError);
  });
});
