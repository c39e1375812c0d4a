/**
 * The libdeflate binding inflates exactly what Node's zlib does; corrupt and oversized streams are told apart; the
 * head of a stream is answered only when it is proven written (stored blocks make that unprovable).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../../test/support/env.js';
import {
  HEAD_MARGIN,
  libdeflateInflate,
  libdeflateInflateAsync,
  libdeflateInflateHead,
  libdeflateStatus,
  type ZlibInflateHead,
} from './libdeflate.js';
import { inflate as inflateBlock } from './deflate.js';
import { compressibleBytes } from '../../../test/support/compressible.js';

const inflate = libdeflateInflate();
const ready = requireTool('libdeflate binding', inflate !== null, libdeflateStatus());

/** The streams' content: runs, a new value at about one position in 5. */
const sample = (n: number, seed: number): Uint8Array => compressibleBytes(n, seed, 5);

describe.runIf(ready)('libdeflate zlibInflate', () => {
  const zlibInflate = inflate as NonNullable<typeof inflate>;
  it('equals Node zlib on streams of every level and size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300_000 }),
        fc.integer(),
        fc.integer({ min: 0, max: 9 }),
        (n, seed, level) => {
          const raw = sample(n, seed);
          const packed = deflateSync(raw, { level });
          const dst = new Uint8Array(n + 16);
          const got = zlibInflate(packed, dst);
          expect(got).toBe(n);
          expect(Buffer.from(dst.subarray(0, got)).equals(inflateSync(packed))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
  it('answers -1 when the stream holds more than dst, and throws on a corrupt stream', () => {
    const packed = deflateSync(sample(1000, 7));
    expect(zlibInflate(packed, new Uint8Array(999))).toBe(-1);
    expect(() => zlibInflate(Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff), new Uint8Array(10))).toThrow(/corrupt/);
    expect(() => zlibInflate(new Uint8Array(0), new Uint8Array(10))).toThrow(/corrupt/);
  });
  it('refuses arguments that are not Uint8Arrays', () => {
    expect(() => (zlibInflate as unknown as (a: unknown, b: unknown) => number)('x', new Uint8Array(1))).toThrow(
      TypeError,
    );
  });
  it('inflates on the thread pool too: equal to Node zlib, -1 when too large, rejects a corrupt stream', async () => {
    const pooled = libdeflateInflateAsync();
    expect(pooled).not.toBeNull();
    const run = pooled as NonNullable<typeof pooled>;
    const raws = [0, 1, 4096, 3_000_000].map((n, i) => sample(n, i + 3));
    const outs = raws.map((r) => new Uint8Array(r.length + 8));
    // Several at once, as the reader queues large blocks.
    const got = await Promise.all(raws.map((r, i) => run(deflateSync(r), outs[i] as Uint8Array)));
    expect(got).toEqual(raws.map((r) => r.length));
    raws.forEach((r, i) => expect(Buffer.from((outs[i] as Uint8Array).subarray(0, r.length)).equals(r)).toBe(true));
    expect(await run(deflateSync(sample(1000, 9)), new Uint8Array(10))).toBe(-1);
    await expect(run(Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff), new Uint8Array(10))).rejects.toThrow(/corrupt/);
  });
  it('a large block (above the inline limit) decodes through it exactly; one too long is refused', async () => {
    const raw = sample(2_000_000, 11);
    expect(Buffer.from(await inflateBlock(deflateSync(raw), raw.length)).equals(raw)).toBe(true);
    await expect(inflateBlock(deflateSync(raw), raw.length - 1)).rejects.toThrow();
  });
});

describe.runIf(ready)('libdeflate zlibInflateHead', () => {
  const head = libdeflateInflateHead() as ZlibInflateHead;
  /** Incompressible bytes: zlib stores them in stored blocks (up to 65 535 bytes each, copied only whole). */
  const noise = (n: number, seed: number): Uint8Array => {
    const out = new Uint8Array(n);
    let h = seed >>> 0;
    for (let i = 0; i < n; i++) {
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + 0x9e3779b9;
      out[i] = (h ^ (h >>> 13)) & 0xff;
    }
    return out;
  };
  /** Runs `head` into a buffer of `size` bytes prefilled with a byte the stream never holds where it matters. */
  const run = (packed: Uint8Array, size: number, need: number): { got: number; dst: Uint8Array } => {
    const dst = new Uint8Array(size).fill(0xee);
    return { got: head(packed, dst, need), dst };
  };

  it('proves the head of compressible streams written, and it equals the stream’s start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300_000 }),
        fc.integer(),
        fc.integer({ min: 1, max: 9 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, seed, level, share) => {
          const raw = sample(n, seed);
          const need = Math.floor(share * n);
          const size = Math.min(n + 16, need + HEAD_MARGIN);
          const { got, dst } = run(deflateSync(raw, { level }), size, need);
          // Whatever it answers is right: all of a stream that fit, or a proven head.
          if (size >= n) expect(got).toBe(n);
          else expect(got === need || got === -1).toBe(true);
          if (got >= 0) expect(Buffer.from(dst.subarray(0, got)).equals(raw.subarray(0, got))).toBe(true);
          // Compressible streams have no stored blocks: the head is always proven.
          expect(got).not.toBe(-1);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('answers -1 when a stored block too long for the buffer begins before the head ends', () => {
    // 200 000 incompressible bytes: stored blocks of up to 65 535 bytes, which libdeflate copies only whole.
    const raw = noise(200_000, 5);
    const packed = deflateSync(raw, { level: 1 });
    const { got, dst } = run(packed, 1000 + HEAD_MARGIN, 1000);
    expect(got).toBe(-1);
    // What was left in the buffer is not the stream's start: trusting it would have been wrong.
    expect(Buffer.from(dst.subarray(0, 1000)).equals(raw.subarray(0, 1000))).toBe(false);
  });

  it('is right for any mix of stored and compressed blocks, any head and any buffer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 90_000 })), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        // Buffers just past the margin as well as a stored block's length past the head.
        fc.oneof(fc.integer({ min: 0, max: 2 * HEAD_MARGIN }), fc.integer({ min: 0, max: 70_000 })),
        (parts, seed, share, extra) => {
          const raw = Buffer.concat(parts.map(([dense, n], i) => (dense ? noise(n, seed + i) : sample(n, seed + i))));
          const need = Math.floor(share * raw.length);
          const size = Math.min(raw.length + 1, need + extra);
          const { got, dst } = run(deflateSync(raw, { level: 1 }), size, need);
          if (size >= raw.length) expect(got).toBe(raw.length);
          else expect(got === need || got === -1).toBe(true);
          // Below the margin nothing can be proven.
          if (size < raw.length && size < need + HEAD_MARGIN) expect(got).toBe(-1);
          if (got >= 0) expect(Buffer.from(dst.subarray(0, got)).equals(raw.subarray(0, got))).toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('throws on a corrupt stream and refuses bad arguments', () => {
    expect(() => head(Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0xff), new Uint8Array(2000), 10)).toThrow(/corrupt/);
    const call = head as unknown as (a: unknown, b: unknown, c: unknown) => number;
    const packed = deflateSync(sample(100, 1));
    expect(() => call(packed, new Uint8Array(10), 11)).toThrow(TypeError);
    expect(() => call(packed, new Uint8Array(10), -1)).toThrow(TypeError);
    expect(() => call(packed, new Uint8Array(10), 1.5)).toThrow(TypeError);
    expect(() => call(packed, new Uint8Array(10), '1')).toThrow(TypeError);
    expect(() => call('x', new Uint8Array(10), 1)).toThrow(TypeError);
  });
});
