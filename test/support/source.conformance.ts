/**
 * The ByteSource conformance suite: every implementation (file, memory, HTTP, S3, cached) runs these same tests.
 * Import it from a test file and call {@link describeSourceConformance} once per implementation.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import type { ByteSource } from '../../src/storage/source.js';

/** What a test needs from one implementation. */
export interface SourceFixture {
  /** A source over the bytes handed to the factory. */
  source: ByteSource;
  /** Replaces the object's content with `bytes`; resolves with a source to re-read it (may be the same one). */
  replace(bytes: Uint8Array): Promise<ByteSource>;
  /** A source for an object that does not exist. */
  missing(): ByteSource;
  /** Underlying requests made so far (server-side count), when the implementation can count them. */
  requestCount?(): number;
  /** Releases what the fixture made. */
  cleanup?(): Promise<void>;
}

/** Deterministic test content: byte i is a hash of i, so any misplaced slice shows. */
export function testBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (Math.imul(i + seed, 2654435761) >>> 24) & 0xff;
  return out;
}

/** Asserts that `promise` rejects with an AppError carrying `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err: unknown = await promise.then(
    () => new Error(`expected a rejection with ${code}, got a value`),
    (e: unknown) => e,
  );
  expect(isAppError(err) ? err.code : err).toBe(code);
}

const SIZE = 100_000;

/** Registers the shared ByteSource tests for one implementation. */
export function describeSourceConformance(name: string, make: (bytes: Uint8Array) => Promise<SourceFixture>): void {
  describe(`ByteSource conformance: ${name}`, () => {
    const bytes = testBytes(SIZE);
    const withFixture = (fn: (f: SourceFixture) => Promise<void>) => async () => {
      const f = await make(bytes);
      try {
        await fn(f);
      } finally {
        await f.source.close?.();
        await f.cleanup?.();
      }
    };
    const read = async (s: ByteSource, offset: number, length?: number): Promise<Uint8Array> =>
      new Uint8Array(await s.fetch(offset, length));

    it(
      'head reports the size and an etag',
      withFixture(async ({ source }) => {
        const h = await source.head();
        expect(h.size).toBe(SIZE);
        expect(typeof h.etag).toBe('string');
        expect(source.metadata?.size).toBe(SIZE);
      }),
    );

    it(
      'reads ranges at the start, middle and end',
      withFixture(async ({ source }) => {
        expect(await read(source, 0, 100)).toEqual(bytes.subarray(0, 100));
        expect(await read(source, 5_000, 1_234)).toEqual(bytes.subarray(5_000, 6_234));
        expect(await read(source, SIZE - 100, 100)).toEqual(bytes.subarray(SIZE - 100));
        expect(source.metadata?.size).toBe(SIZE);
      }),
    );

    it(
      'returns only the bytes that exist for a range crossing or past the end, and nothing for zero length',
      withFixture(async ({ source }) => {
        expect(await read(source, SIZE - 50, 100)).toEqual(bytes.subarray(SIZE - 50));
        expect((await source.fetch(SIZE, 10)).byteLength).toBe(0);
        expect((await source.fetch(SIZE + 1_000, 10)).byteLength).toBe(0);
        expect((await source.fetch(123, 0)).byteLength).toBe(0);
      }),
    );

    it(
      'fetchBytes, where offered, gives the bytes fetch gives, for same-turn neighbours read as one request too',
      withFixture(async ({ source }) => {
        const fetchBytes = source.fetchBytes?.bind(source);
        if (fetchBytes === undefined) return;
        const ranges: [number, number | undefined][] = [
          [0, 100],
          [100, 50],
          [180, 1_000],
          [5_000, 1_234],
          [SIZE - 50, 100],
          [SIZE, 10],
          [SIZE - 10, undefined],
        ];
        const views = await Promise.all(ranges.map(([o, l]) => fetchBytes(o, l, { cache: false })));
        ranges.forEach(([o, l], i) => {
          expect(views[i]).toEqual(bytes.subarray(Math.min(o, SIZE), Math.min(o + (l ?? SIZE), SIZE)));
        });
      }),
    );

    it(
      'reads to the end without a length',
      withFixture(async ({ source }) => {
        expect(await read(source, SIZE - 10)).toEqual(bytes.subarray(SIZE - 10));
      }),
    );

    it(
      'rejects a negative or fractional range with source_read_error',
      withFixture(async ({ source }) => {
        await expectCode(source.fetch(-1, 10), 'source_read_error');
        await expectCode(source.fetch(1.5, 10), 'source_read_error');
      }),
    );

    it(
      'hands out copies: mutating a result does not change later reads',
      withFixture(async ({ source }) => {
        const first = new Uint8Array(await source.fetch(10, 10));
        first.fill(0);
        expect(await read(source, 10, 10)).toEqual(bytes.subarray(10, 20));
      }),
    );

    it(
      'serves concurrent overlapping and adjacent reads correctly (merged into one request where countable)',
      withFixture(async ({ source, requestCount }) => {
        await source.head();
        const before = requestCount?.();
        const ranges: [number, number][] = [
          [0, 1_000],
          [500, 1_000],
          [1_000, 1_000],
          [2_000, 10],
          [1_990, 20],
        ];
        const out = await Promise.all(ranges.map(([o, l]) => read(source, o, l)));
        ranges.forEach(([o, l], i) => expect(out[i]).toEqual(bytes.subarray(o, o + l)));
        if (before !== undefined && requestCount !== undefined) expect(requestCount() - before).toBe(1);
      }),
    );

    it(
      'rejects with aborted when the signal fired before the read',
      withFixture(async ({ source }) => {
        const c = new AbortController();
        c.abort();
        await expectCode(source.fetch(0, 100, { signal: c.signal }), 'aborted');
        await expectCode(source.head({ signal: c.signal }), 'aborted');
      }),
    );

    it(
      'rejects with aborted when the signal fires during the read, and other reads still succeed',
      withFixture(async ({ source }) => {
        const c = new AbortController();
        const aborted = source.fetch(40_000, 1_000, { signal: c.signal });
        const other = source.fetch(41_000, 1_000);
        c.abort();
        await expectCode(aborted, 'aborted');
        expect(new Uint8Array(await other)).toEqual(bytes.subarray(41_000, 42_000));
      }),
    );

    it(
      'leaves no abort listener behind on a long-lived signal shared by many reads',
      withFixture(async ({ source }) => {
        const c = new AbortController();
        await source.head({ signal: c.signal });
        for (let round = 0; round < 3; round++) {
          await Promise.all(Array.from({ length: 20 }, (_, i) => source.fetch(i * 3_000, 1_000, { signal: c.signal })));
          await Promise.all(Array.from({ length: 5 }, () => source.fetch(7, 10, { signal: c.signal })));
        }
        expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
      }),
    );

    it(
      'changes its etag when the content changes, and reads the new bytes',
      withFixture(async (f) => {
        const before = await f.source.head();
        const next = testBytes(SIZE, 99);
        const source = await f.replace(next);
        const after = await source.head();
        expect(after.etag).not.toBe(before.etag);
        expect(await read(source, 1_000, 100)).toEqual(next.subarray(1_000, 1_100));
        if (source !== f.source) await source.close?.();
      }),
    );

    it(
      'reports source_not_found for a missing object',
      withFixture(async ({ missing }) => {
        const m = missing();
        await expectCode(m.head(), 'source_not_found');
        await expectCode(m.fetch(0, 10), 'source_not_found');
        await m.close?.();
      }),
    );
  });
}
