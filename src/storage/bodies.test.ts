import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyPool, bodyClassBytes } from './bodies.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('bodyClassBytes', () => {
  it('rounds up to a quarter of the power of two: worked sizes', () => {
    expect(bodyClassBytes(256 * KiB)).toBe(256 * KiB);
    expect(bodyClassBytes(256 * KiB + 1)).toBe(320 * KiB);
    expect(bodyClassBytes(383 * KiB)).toBe(384 * KiB);
    // An 11 MB merged read (the 1 000 000-cell extraction's typical body): 8 MiB × 1.5.
    expect(bodyClassBytes(11_000_000)).toBe(12 * MiB);
    expect(bodyClassBytes(16 * MiB)).toBe(16 * MiB);
  });

  it('is at least the length, less than 1.25 × it, and never smaller for a longer body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 0, max: 2 ** 20 }), (n, more) => {
        const c = bodyClassBytes(n);
        expect(c).toBeGreaterThanOrEqual(n);
        expect(c).toBeLessThan(1.25 * n + 1);
        expect(bodyClassBytes(n + more)).toBeGreaterThanOrEqual(c);
      }),
    );
  });
});

describe('BodyPool', () => {
  it('reuses a body’s buffer once its one holder released it, as a view of the length asked for', () => {
    const pool = new BodyPool(64 * MiB);
    const a = pool.acquire(1_000_000);
    expect(a.byteLength).toBe(1_000_000);
    expect(a.buffer.byteLength).toBe(bodyClassBytes(1_000_000));
    pool.release(a);
    expect(pool.stats().freeBytes).toBe(a.buffer.byteLength);
    const b = pool.acquire(1_040_000); // the same class (896 KiB < n ≤ 1 MiB)
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteLength).toBe(1_040_000);
    expect(pool.stats()).toEqual({ reused: 1, allocated: 1, freeBytes: 0 });
  });

  it('keeps a shared buffer until every holder released, and ignores a view released twice', () => {
    const pool = new BodyPool(64 * MiB);
    const body = pool.acquire(2 * MiB);
    pool.share(body, 3);
    const views = [body.subarray(0, MiB), body.subarray(MiB, 1.5 * MiB), body.subarray(1.5 * MiB)];
    pool.release(views[0] as Uint8Array);
    pool.release(views[0] as Uint8Array); // twice: must not count as the second holder
    pool.release(views[1] as Uint8Array);
    expect(pool.acquire(2 * MiB).buffer).not.toBe(body.buffer);
    pool.release(views[2] as Uint8Array);
    expect(pool.acquire(2 * MiB).buffer).toBe(body.buffer);
  });

  it('does not pool small bodies or foreign buffers, and keeps at most its capacity free', () => {
    const pool = new BodyPool(3 * MiB);
    const small = pool.acquire(1_000);
    pool.release(small);
    pool.release(new Uint8Array(4 * MiB)); // never lent by the pool
    expect(pool.stats()).toEqual({ reused: 0, allocated: 0, freeBytes: 0 });
    const bodies = [pool.acquire(MiB), pool.acquire(MiB), pool.acquire(MiB), pool.acquire(MiB)];
    for (const b of bodies) pool.release(b);
    expect(pool.stats().freeBytes).toBe(3 * MiB);
  });

  it('never lends a buffer that a view not yet released still uses (any sequence of lends and releases)', () => {
    type Op = { kind: 'lend'; size: number; holders: number } | { kind: 'release'; pick: number; twice: boolean };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('lend' as const),
        size: fc.integer({ min: 200 * KiB, max: 1.5 * MiB }),
        holders: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat(), twice: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 0, max: 16 * MiB }), (ops, capacity) => {
        const pool = new BodyPool(capacity);
        const held: Uint8Array[] = [];
        const stamps = new Map<Uint8Array, number>();
        let stamp = 0;
        for (const o of ops) {
          if (o.kind === 'lend') {
            const body = pool.acquire(o.size);
            expect(held.some((v) => v.buffer === body.buffer)).toBe(false);
            pool.share(body, o.holders);
            const part = Math.floor(o.size / o.holders);
            for (let h = 0; h < o.holders; h++) {
              const view = body.subarray(h * part, h === o.holders - 1 ? o.size : (h + 1) * part);
              stamp = (stamp + 1) & 0xff;
              view.fill(stamp);
              stamps.set(view, stamp);
              held.push(view);
            }
          } else if (held.length > 0) {
            const [view] = held.splice(o.pick % held.length, 1) as [Uint8Array];
            pool.release(view);
            if (o.twice) pool.release(view);
          }
        }
        // Every view still held kept its bytes: no body was written into while one of its views was held.
        for (const v of held) {
          const want = Buffer.alloc(v.byteLength, stamps.get(v));
          expect(want.equals(v)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
