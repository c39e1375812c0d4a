import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInflater } from './inflate.into.js';
import { compressibleBytes } from '../../../test/support/compressible.js';

/** Bytes that compress a little (runs and noise), like predictor-2 raster rows. */
/** The streams' content: runs, a new value at about one position in 7. */
const sample = (n: number, seed: number): Uint8Array => compressibleBytes(n, seed, 7);

describe.each([
  ['zlib binding', false],
  ['inflateSync fallback', true],
] as const)('createInflater (%s)', (_name, fallback) => {
  const inflater = createInflater({ fallback });

  it('uses the binding unless told not to (the fallback exists for a Node without it)', () => {
    expect(inflater.direct).toBe(!fallback);
  });

  it('inflates whole streams exactly, reusing one stream for many', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }),
        fc.integer(),
        fc.integer({ min: 1, max: 9 }),
        (n, seed, level) => {
          const raw = sample(n, seed);
          const packed = deflateSync(raw, { level });
          const dst = new Uint8Array(n);
          expect(inflater.inflateInto(packed, dst)).toBe(n);
          expect(Buffer.from(dst).equals(Buffer.from(raw))).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('stops when the output is full: a prefix decodes to exactly the first bytes', () => {
    const raw = sample(131_072, 7);
    const packed = deflateSync(raw, { level: 1 });
    for (const k of [1, 512, 4096, 65_536, 131_071]) {
      const dst = new Uint8Array(k);
      expect(inflater.inflateInto(packed, dst)).toBe(k);
      expect(Buffer.from(dst).equals(Buffer.from(raw.subarray(0, k)))).toBe(true);
    }
  });

  it('a stream shorter than the buffer returns the count it holds', () => {
    const packed = deflateSync(sample(1000, 3));
    expect(inflater.inflateInto(packed, new Uint8Array(5000))).toBe(1000);
  });

  it('corrupt or cut streams throw (or come back short), and the inflater works afterwards', () => {
    const raw = sample(50_000, 11);
    const packed = deflateSync(raw);
    const bad = new Uint8Array(packed); // a copy (Buffer.slice would be a view)
    bad[2] = 0xff;
    bad[3] = 0xff;
    expect(() => inflater.inflateInto(bad, new Uint8Array(raw.length))).toThrow(/DEFLATE stream is corrupt/);
    let cut: number;
    try {
      cut = inflater.inflateInto(packed.subarray(0, packed.length >> 1), new Uint8Array(raw.length));
    } catch (err) {
      expect(String(err)).toMatch(/DEFLATE stream is corrupt/);
      cut = -1;
    }
    expect(cut).toBeLessThan(raw.length);
    const dst = new Uint8Array(raw.length);
    expect(inflater.inflateInto(packed, dst)).toBe(raw.length);
    expect(Buffer.from(dst).equals(inflateSync(packed))).toBe(true);
  });
});

describe('inflatePrefix + resume (zlib binding)', () => {
  const inflater = createInflater();

  it('a stream split anywhere inflates to the same bytes; the rest is asked for only when needed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (n, seed, cut, wanted) => {
          const raw = sample(n, seed);
          const packed = deflateSync(raw, { level: 1 });
          const k = Math.floor(cut * packed.length);
          const m = Math.max(1, Math.floor(wanted * n));
          const dst = new Uint8Array(m);
          let written = (inflater.inflatePrefix as NonNullable<typeof inflater.inflatePrefix>)(
            packed.subarray(0, k),
            dst,
          );
          if (written < m) {
            expect(inflater.starved).toBe(true);
            written = (inflater.resume as NonNullable<typeof inflater.resume>)(packed.subarray(k), dst, written);
          } else {
            expect(inflater.starved).toBe(false);
          }
          expect(written).toBe(m);
          expect(Buffer.from(dst).equals(Buffer.from(raw.subarray(0, m)))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a stream that ends short of the buffer with input left over is not starved, and resume refuses it', () => {
    const packed = Buffer.concat([deflateSync(sample(1000, 3)), Buffer.alloc(16, 7)]);
    const dst = new Uint8Array(2000);
    expect(inflater.inflatePrefix?.(packed, dst)).toBe(1000);
    expect(inflater.starved).toBe(false);
    expect(() => inflater.resume?.(new Uint8Array(10), dst, 1000)).toThrow(/cannot be resumed/);
  });

  it('a prefix cut at the very end of the stream resumes to a short count (the caller reports it)', () => {
    const packed = deflateSync(sample(1000, 4));
    const dst = new Uint8Array(1500);
    const n = inflater.inflatePrefix?.(packed, dst) ?? 0;
    expect(n).toBe(1000);
    // All input used and the buffer not full: indistinguishable from want of input until more comes.
    if (inflater.starved) expect(inflater.resume?.(new Uint8Array(0), dst, n)).toBeLessThan(1500);
  });

  it('corrupt bytes in the prefix throw', () => {
    const packed = Buffer.from(deflateSync(sample(50_000, 5), { level: 1 }));
    const dst = new Uint8Array(50_000);
    const bad = Buffer.from(packed);
    bad.fill(0xff, 2, 40);
    expect(() => inflater.inflatePrefix?.(bad.subarray(0, 100), dst)).toThrow(/corrupt/);
    // And the inflater works afterwards.
    expect(inflater.inflatePrefix?.(packed, dst)).toBe(50_000);
  });
});
