/** The libdeflate binding inflates exactly what Node's zlib does; corrupt and oversized streams are told apart. */
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../../test/support/env.js';
import { libdeflateInflate, libdeflateStatus } from './libdeflate.js';

const inflate = libdeflateInflate();
const ready = requireTool('libdeflate binding', inflate !== null, libdeflateStatus());

function sample(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 24) % 5 === 0 ? x >>> 16 : (out[i - 1] ?? 0);
  }
  return out;
}

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
});
