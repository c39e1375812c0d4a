import { deflateSync } from 'node:zlib';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { inflate, inflatePrefix } from './deflate.js';
import { lzwDecode, lzwEncode as lzwEncodeLib } from './lzw.js';
import { unpackBits } from './packbits.js';
import { swapBytes, undoFloatingPoint, undoHorizontal } from './predictor.js';
import { createZstdDecoder, createZstdEncoder } from './zstd.js';

/** A test-only TIFF LZW encoder (MSB-first, early change, Clear at 4093 codes), after libtiff's LZWEncode. */
function lzwEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let nbits = 0;
  let width = 9;
  const put = (code: number): void => {
    acc = (acc << width) | code;
    nbits += width;
    while (nbits >= 8) {
      out.push((acc >>> (nbits - 8)) & 0xff);
      nbits -= 8;
    }
    acc &= (1 << nbits) - 1;
  };
  let dict = new Map<string, number>();
  let next = 258;
  put(256);
  let w = '';
  for (const byte of data) {
    const wc = w + String.fromCharCode(byte);
    if (w === '' || dict.has(wc) || wc.length === 1) {
      w = wc;
      continue;
    }
    put(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
    dict.set(wc, next++);
    if (next + 1 > 1 << width && width < 12) width++;
    if (next >= 4093) {
      put(256);
      dict = new Map();
      next = 258;
      width = 9;
    }
    w = String.fromCharCode(byte);
  }
  if (w !== '') put(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
  // libtiff accounts for the entry the decoder adds after the last code before writing EOI.
  if (w !== '' && next + 2 > 1 << width && width < 12) width++;
  put(257);
  if (nbits > 0) out.push((acc << (8 - nbits)) & 0xff);
  return Uint8Array.from(out);
}

/** A test-only PackBits encoder. */
function packBits(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && run < 128 && data[i + run] === data[i]) run++;
    if (run > 1) {
      out.push(257 - run, data[i]!);
      i += run;
      continue;
    }
    let lit = 1;
    while (i + lit < data.length && lit < 128 && data[i + lit] !== data[i + lit - 1]) lit++;
    out.push(lit - 1, ...data.subarray(i, i + lit));
    i += lit;
  }
  return Uint8Array.from(out);
}

/** Byte arrays with long runs and repeats (what compresses), plus plain random bytes. */
const bytes = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 3000 }),
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 300 })), { minLength: 1, maxLength: 60 })
    .map((runs) => Uint8Array.from(runs.flatMap(([v, n]) => Array<number>(n).fill(v)))),
);

describe('DEFLATE', () => {
  it('inflates what zlib deflates', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, async (data) => {
        expect(new Uint8Array(await inflate(deflateSync(data), data.length))).toEqual(data);
      }),
      { numRuns: 30 },
    );
  });
  it('rejects a corrupt stream and a stream longer than expected', async () => {
    const z = deflateSync(new Uint8Array(1000).fill(7));
    const bad = z.slice();
    bad[2] = 0xff;
    bad[3] = 0xff;
    await expect(inflate(bad, 1000)).rejects.toThrow(/DEFLATE/);
    await expect(inflate(z.subarray(0, 3), 1000)).rejects.toThrow(/DEFLATE/);
    await expect(inflate(z, 999)).rejects.toThrow(/DEFLATE/);
  });
});

describe('DEFLATE prefix', () => {
  it('decodes at least the bytes asked for, and they equal the start of the full stream', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, fc.double({ min: 0, max: 1, noNaN: true }), async (data, f) => {
        const needed = Math.max(1, Math.floor(data.length * f));
        const got = await inflatePrefix(deflateSync(data), data.length, needed);
        if (got === null) return; // the proportional guess fell short: the caller inflates everything
        expect(got.length).toBeGreaterThanOrEqual(needed);
        expect(new Uint8Array(got)).toEqual(data.subarray(0, got.length));
      }),
      { numRuns: 100 },
    );
  });
  it('a uniformly compressible 100 KB stream needs only a prefix for its first quarter', async () => {
    let x = 2463534242; // xorshift32
    const data = Uint8Array.from({ length: 100_000 }, () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x & 15; // 4 random bits per byte: compresses about 2×, evenly along the stream
    });
    const got = await inflatePrefix(deflateSync(data), data.length, 25_000);
    expect(got).not.toBeNull();
    expect(got!.length).toBeLessThan(60_000);
    expect(new Uint8Array(got!)).toEqual(data.subarray(0, got!.length));
  });
});

describe('LZW', () => {
  it('decodes a known TIFF LZW stream (the "TOBEORNOT" string)', () => {
    const text = 'TOBEORNOTTOBEORTOBEORNOT';
    const data = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(Buffer.from(lzwDecode(lzwEncode(data), data.length)).toString('latin1')).toBe(text);
  });
  it('round-trips random and repetitive data, including table resets and the KwKwK case', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(lzwDecode(lzwEncode(data), data.length)).toEqual(data);
      }),
      { numRuns: 200 },
    );
    // 20 000 random bytes fill the 4096-entry table several times (Clear codes in the stream).
    const big = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7919 + (i >> 5)) % 251);
    expect(lzwDecode(lzwEncode(big), big.length)).toEqual(big);
    const same = new Uint8Array(10000).fill(42); // only KwKwK codes
    expect(lzwDecode(lzwEncode(same), same.length)).toEqual(same);
  });
  it('the library encoder round-trips through the decoder (random, repetitive, table resets, empty)', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(lzwDecode(lzwEncodeLib(data), data.length)).toEqual(data);
      }),
      { numRuns: 200 },
    );
    for (let n = 0; n < 3; n++) {
      // Long inputs cross every code width and several Clear codes; lengths near the table's end cover EOI widening.
      const big = Uint8Array.from(
        { length: 30000 + n * 4093 },
        (_, i) => ((i * 7919 + (i >> (5 + n))) % 251) ^ (i & n),
      );
      expect(lzwDecode(lzwEncodeLib(big), big.length)).toEqual(big);
    }
    expect(lzwDecode(lzwEncodeLib(new Uint8Array(10000).fill(42)), 10000)).toEqual(new Uint8Array(10000).fill(42));
    expect([...lzwEncodeLib(new Uint8Array(0))]).toEqual([0x80, 0x40, 0x40]); // Clear, EOI at 9 bits
    // "TOBEORNOT…": the same codes as the reference encoder above until its earlier Clear (none in 24 bytes).
    const text = Uint8Array.from('TOBEORNOTTOBEORTOBEORNOT', (c) => c.charCodeAt(0));
    expect(lzwEncodeLib(text)).toEqual(lzwEncode(text));
  });
  it('throws on truncated data and on an impossible code', () => {
    const data = Uint8Array.from({ length: 500 }, (_, i) => i % 13);
    const enc = lzwEncode(data);
    expect(() => lzwDecode(enc.subarray(0, enc.length >> 1), data.length)).toThrow(/ended/);
    // Clear, then code 300 (not yet defined).
    expect(() => lzwDecode(Uint8Array.from([0x80, 0x4b, 0x00, 0x00]), 10)).toThrow(/invalid code/);
  });
});

describe('PackBits', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(unpackBits(packBits(data), data.length)).toEqual(data);
      }),
      { numRuns: 200 },
    );
  });
  it('decodes the TIFF 6.0 specification example', () => {
    const packed = Uint8Array.from([
      0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa,
    ]);
    const expected = [0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22];
    expected.push(...Array<number>(10).fill(0xaa));
    expect(Array.from(unpackBits(packed, 24))).toEqual(expected);
  });
  it('throws when the data ends early', () => {
    expect(() => unpackBits(Uint8Array.from([0xfe, 0xaa]), 10)).toThrow(/ended/);
  });
});

describe('ZSTD', () => {
  it('encodes frames the decoder reads back, the same bytes every time, smaller at a higher level', async () => {
    const decode = await createZstdDecoder();
    const fast = createZstdEncoder(1);
    const slow = createZstdEncoder(9);
    await fc.assert(
      fc.asyncProperty(bytes, async (data) => {
        const a = await slow(data);
        expect(new Uint8Array(await decode(a, data.length))).toEqual(data);
        expect(Buffer.from(await slow(data)).equals(Buffer.from(a))).toBe(true);
      }),
      { numRuns: 30 },
    );
    // 1 MB of a smooth ramp with noise: level 9 beats level 1.
    const ramp = Uint8Array.from({ length: 1 << 20 }, (_, i) => ((i >> 9) + ((i * 2654435761) >>> 29)) & 0xff);
    const [small, big] = [await slow(ramp), await fast(ramp)];
    expect(small.length).toBeLessThan(big.length);
    expect(Buffer.from(await decode(small, ramp.length)).equals(Buffer.from(ramp))).toBe(true);
    expect(() => createZstdEncoder(0)).toThrow(RangeError);
    expect(() => createZstdEncoder(23)).toThrow(RangeError);
  });

  it('decodes a known frame and rejects corrupt ones', async () => {
    const decode = await createZstdDecoder();
    // `printf 'hello hello hello hello!' | zstd -c -19 | xxd -i` (zstd 1.5.4).
    const frame = Uint8Array.from([
      0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x6d, 0x00, 0x00, 0x38, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x21, 0x01, 0x00,
      0x99, 0x4b, 0x11, 0xa8, 0xdc, 0x1e, 0xb0,
    ]);
    const text = 'hello hello hello hello!';
    expect(Buffer.from(await decode(frame, text.length)).toString('latin1')).toBe(text);
    await expect(decode(frame.subarray(0, 12), text.length)).rejects.toThrow(/ZSTD/);
    await expect(decode(Uint8Array.from([1, 2, 3, 4, 5, 6]), 10)).rejects.toThrow(/ZSTD/);
    await expect(decode(frame, text.length + 1)).rejects.toThrow(/ZSTD frame decoded to 24 bytes, expected 25/);
  });
});

/** Naive predictor-2 encoder: difference to the sample `stride` before, modulo 2^bits. */
function diffRows(values: bigint[], bits: number, rows: number, rowSamples: number, stride: number): bigint[] {
  const out = values.slice();
  const mod = 1n << BigInt(bits);
  for (let r = 0; r < rows; r++) {
    for (let i = rowSamples - 1; i >= stride; i--) {
      const k = r * rowSamples + i;
      out[k] = (((values[k]! - values[k - stride]!) % mod) + mod) % mod;
    }
  }
  return out;
}

describe('predictors', () => {
  it('undoHorizontal inverts horizontal differencing for 8/16/32/64-bit samples', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 8),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
        (bps, stride, width, rows, stream) => {
          const rowSamples = width * stride;
          const mod = 1n << BigInt(bps * 8);
          const values = [...stream.take(rows * rowSamples)].map((v) => v % mod);
          const diffs = diffRows(values, bps * 8, rows, rowSamples, stride);
          const buf = new Uint8Array(values.length * bps);
          const dv = new DataView(buf.buffer);
          diffs.forEach((v, i) => {
            for (let b = 0; b < bps; b++) dv.setUint8(i * bps + b, Number((v >> BigInt(8 * b)) & 0xffn));
          });
          undoHorizontal(buf, bps, rows, rowSamples, stride);
          const got = values.map((_, i) => {
            let v = 0n;
            for (let b = bps - 1; b >= 0; b--) v = (v << 8n) | BigInt(buf[i * bps + b]!);
            return v;
          });
          expect(got).toEqual(values);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('undoHorizontal with a used-samples limit finishes at least those samples of every row, exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.integer(),
        (bps, stride, width, rows, usedPixels, seed) => {
          const rowSamples = width * stride;
          const used = (usedPixels % width) + 1;
          const mod = 1n << BigInt(bps * 8);
          let x = seed >>> 0;
          const values = Array.from({ length: rows * rowSamples }, () => {
            x = (x * 1103515245 + 12345) >>> 0;
            return BigInt(x) % mod;
          });
          const diffs = diffRows(values, bps * 8, rows, rowSamples, stride);
          const buf = new Uint8Array(values.length * bps);
          const dv = new DataView(buf.buffer);
          diffs.forEach((v, i) => {
            for (let b = 0; b < bps; b++) dv.setUint8(i * bps + b, Number((v >> BigInt(8 * b)) & 0xffn));
          });
          undoHorizontal(buf, bps, rows, rowSamples, stride, used * stride);
          for (let r = 0; r < rows; r++) {
            for (let i = 0; i < used * stride; i++) {
              const k = r * rowSamples + i;
              let v = 0n;
              for (let b = bps - 1; b >= 0; b--) v = (v << 8n) | BigInt(buf[k * bps + b]!);
              expect(v).toBe(values[k]);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('undoFloatingPoint inverts the byte-shuffle + byte-difference of predictor 3', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 8),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(fc.double()),
        (bps, stride, width, rows, stream) => {
          const rowSamples = width * stride;
          const n = rows * rowSamples;
          const src = bps === 4 ? Float32Array.from(stream.take(n)) : Float64Array.from(stream.take(n));
          const le = new Uint8Array(src.buffer);
          // Encode as libtiff does: per row, byte plane p holds byte (bps-1-p) (big-endian order) of each sample,
          // then bytes are differenced with `stride` from the end of the row backwards.
          const enc = new Uint8Array(n * bps);
          for (let r = 0; r < rows; r++) {
            const base = r * rowSamples * bps;
            for (let i = 0; i < rowSamples; i++) {
              for (let p = 0; p < bps; p++) enc[base + p * rowSamples + i] = le[base + i * bps + (bps - 1 - p)]!;
            }
            for (let i = rowSamples * bps - 1; i >= stride; i--)
              enc[base + i] = (enc[base + i]! - enc[base + i - stride]!) & 0xff;
          }
          undoFloatingPoint(enc, bps, rows, rowSamples, stride);
          expect(enc).toEqual(le);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('swapBytes reverses each word', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(b, 2);
    expect(Array.from(b)).toEqual([2, 1, 4, 3, 6, 5, 8, 7]);
    swapBytes(b, 2);
    swapBytes(b, 4);
    expect(Array.from(b)).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapBytes(b, 4);
    swapBytes(b, 8);
    expect(Array.from(b)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });
});
