/** The libdeflate binding inflates exactly what Node's zlib does; corrupt and oversized streams are told apart. */
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../../../test/support/env.js';
import { libdeflateInflate, libdeflateInflateAsync, libdeflateStatus } from './libdeflate.js';
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
