import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyPool } from './bodies.js';
import { createRangeMerger, createViewMerger, type RawRead } from './merge.js';
import { expectCode, testBytes } from '../../test/support/source.conformance.js';

const SIZE = 10_000;
const bytes = testBytes(SIZE);

/** A raw read over `bytes` that records each call. */
function recordingRaw(): { raw: RawRead; calls: [number, number][] } {
  const calls: [number, number][] = [];
  const raw: RawRead = async (offset, length) => {
    calls.push([offset, length]);
    await Promise.resolve();
    return bytes.slice(Math.min(offset, SIZE), Math.min(offset + length, SIZE)).buffer;
  };
  return { raw, calls };
}

describe('createRangeMerger', () => {
  it('returns exactly each read’s bytes for any set of same-turn ranges, in at most as many raw reads', async () => {
    const range = fc.tuple(fc.integer({ min: 0, max: SIZE + 100 }), fc.integer({ min: 1, max: 3_000 }));
    await fc.assert(
      fc.asyncProperty(fc.array(range, { minLength: 1, maxLength: 30 }), fc.nat({ max: 500 }), async (ranges, gap) => {
        const { raw, calls } = recordingRaw();
        const read = createRangeMerger(raw, { maxGapBytes: gap, maxMergedBytes: 4_000 });
        const out = await Promise.all(ranges.map(([o, l]) => read(o, l)));
        // Buffer.equals: element-wise toEqual over thousands of runs is needlessly slow.
        const wrong = ranges.filter(([o, l], i) => {
          const want = Buffer.from(bytes.subarray(Math.min(o, SIZE), Math.min(o + l, SIZE)));
          return !Buffer.from(out[i] as ArrayBuffer).equals(want);
        });
        expect(wrong).toEqual([]);
        expect(calls.length).toBeLessThanOrEqual(ranges.length);
        // No merged read grows past the bound unless a single read is itself larger.
        for (const [, l] of calls) expect(l).toBeLessThanOrEqual(Math.max(4_000, ...ranges.map(([, rl]) => rl)));
      }),
      { numRuns: 150 },
    );
  });

  it('merges touching and overlapping ranges into one read, reads through gaps up to maxGapBytes, not beyond', async () => {
    const { raw, calls } = recordingRaw();
    const read = createRangeMerger(raw, { maxGapBytes: 100 });
    await Promise.all([read(0, 100), read(100, 100), read(150, 100), read(350, 10), read(461, 10)]);
    expect(calls).toEqual([
      [0, 360],
      [461, 10],
    ]);
  });

  it('keeps reads of different turns apart', async () => {
    const { raw, calls } = recordingRaw();
    const read = createRangeMerger(raw);
    await read(0, 10);
    await read(10, 10);
    expect(calls).toEqual([
      [0, 10],
      [10, 10],
    ]);
  });

  it('aborts the shared read only when every member aborted', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const read = createRangeMerger(async (o, l, signal) => {
      seen.push(signal);
      await new Promise((r) => setTimeout(r, 20));
      return bytes.slice(o, o + l).buffer;
    });
    const a = new AbortController();
    const b = new AbortController();
    const pa = read(0, 10, { signal: a.signal });
    const pb = read(10, 10, { signal: b.signal });
    await new Promise((r) => setImmediate(r));
    a.abort();
    await expectCode(pa, 'aborted');
    expect(seen[0]?.aborted).toBe(false);
    b.abort();
    await expectCode(pb, 'aborted');
    expect(seen[0]?.aborted).toBe(true);
  });

  it('passes a raw failure to every member of the group', async () => {
    const read = createRangeMerger(() => Promise.reject(new Error('boom')));
    const results = await Promise.allSettled([read(0, 10), read(10, 10)]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual([
      'boom',
      'boom',
    ]);
  });
});

describe('createViewMerger with a body pool', () => {
  const BIG = 1 << 20;
  const big = testBytes(BIG, 7);
  /** A raw read over `big` that fills the memory `alloc` gives, and records whether it was given. */
  function poolRaw(): { raw: RawRead; pooled: boolean[] } {
    const pooled: boolean[] = [];
    const raw: RawRead = async (offset, length, _signal, alloc) => {
      pooled.push(alloc !== undefined);
      await Promise.resolve();
      const out = alloc ? alloc(length) : new Uint8Array(length);
      out.set(big.subarray(offset, offset + length));
      return out;
    };
    return { raw, pooled };
  }

  it('reads once-used groups into pooled memory, reused only after every member view was released', async () => {
    const pool = new BodyPool(16 * BIG);
    const { raw, pooled } = poolRaw();
    const read = createViewMerger(raw, { pool });
    const once = { cache: false };
    const first = await Promise.all([read(0, 300_000, once), read(300_000, 300_000, once)]);
    expect(pooled).toEqual([true]);
    expect(Buffer.from(first[0] as Uint8Array).equals(big.subarray(0, 300_000))).toBe(true);
    pool.release(first[0] as Uint8Array);
    // One member still holds the body: the next read gets other memory, and the held view keeps its bytes.
    const second = await read(100_000, 600_000, once);
    expect(second.buffer).not.toBe(first[1]?.buffer);
    expect(Buffer.from(first[1] as Uint8Array).equals(big.subarray(300_000, 600_000))).toBe(true);
    pool.release(first[1] as Uint8Array);
    const third = await read(400_000, 550_000, once);
    expect(third.buffer).toBe(first[0]?.buffer);
    expect(Buffer.from(third).equals(big.subarray(400_000, 950_000))).toBe(true);
    expect(Buffer.from(second).equals(big.subarray(100_000, 700_000))).toBe(true);
  });

  it('gives fresh memory to a group with a member that keeps its bytes (the byte cache, fetch)', async () => {
    const pool = new BodyPool(16 * BIG);
    const { raw, pooled } = poolRaw();
    const read = createViewMerger(raw, { pool });
    await Promise.all([read(0, 300_000, { cache: false }), read(300_000, 300_000)]);
    await read(0, 300_000);
    expect(pooled).toEqual([false, false]);
    expect(pool.stats().allocated).toBe(0);
  });
});
