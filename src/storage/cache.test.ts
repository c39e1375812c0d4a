import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRangeServer, type RangeServer } from '../../test/support/http.range.server.js';
import { createByteCache, createCachedSource } from './cache.js';
import { testBytes } from '../../test/support/source.conformance.js';
import { HttpSource } from './source.http.js';

const bytes = testBytes(40_000);

describe('byte cache over an HTTP source', () => {
  let server: RangeServer;
  beforeAll(async () => {
    server = await startRangeServer();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.set('/c.bin', bytes);
    server.requests.length = 0;
  });
  const open = (maxBytes: number) => {
    const cache = createByteCache(maxBytes);
    return { cache, source: createCachedSource(new HttpSource(server.url('/c.bin'), { retries: 0 }), cache) };
  };

  it('serves a second read of the same range without a new request, even before the etag was known', async () => {
    const { cache, source } = open(100_000);
    expect(new Uint8Array(await source.fetch(1_000, 2_000))).toEqual(bytes.subarray(1_000, 3_000));
    expect(server.requests).toHaveLength(1);
    expect(new Uint8Array(await source.fetch(1_000, 2_000))).toEqual(bytes.subarray(1_000, 3_000));
    expect(server.requests).toHaveLength(1);
    expect(cache.stats).toEqual({ hits: 1, misses: 0 });
    expect(cache.size).toBe(2_000);
  });

  it('neither keeps nor copies reads marked cache: false, but serves them from what it holds', async () => {
    const { cache, source } = open(100_000);
    await source.fetch(0, 100); // learns the etag
    expect(new Uint8Array(await source.fetch(5_000, 1_000, { cache: false }))).toEqual(bytes.subarray(5_000, 6_000));
    await source.fetch(5_000, 1_000, { cache: false });
    expect(server.requests).toHaveLength(3);
    expect(cache.size).toBe(100);
    await source.fetch(7_000, 500);
    expect(new Uint8Array(await source.fetch(7_000, 500, { cache: false }))).toEqual(bytes.subarray(7_000, 7_500));
    expect(server.requests).toHaveLength(4);
  });

  it('evicts least recently used ranges to stay within the byte bound', async () => {
    const { cache, source } = open(10_000);
    for (let i = 0; i < 5; i++) {
      await source.fetch(i * 2_500, 2_500);
      expect(cache.size).toBeLessThanOrEqual(10_000);
    }
    expect(cache.size).toBe(10_000);
    expect(server.requests).toHaveLength(5);
    await source.fetch(4 * 2_500, 2_500); // newest: still cached
    expect(server.requests).toHaveLength(5);
    await source.fetch(0, 2_500); // oldest: evicted
    expect(server.requests).toHaveLength(6);
  });

  it('does not keep a range larger than a quarter of the bound', async () => {
    const { cache, source } = open(10_000);
    await source.fetch(0, 3_000);
    expect(cache.size).toBe(0);
    await source.fetch(0, 3_000);
    expect(server.requests).toHaveLength(2);
  });

  it('never serves bytes of an older version once the new etag is known', async () => {
    const { source } = open(100_000);
    await source.fetch(0, 100);
    const next = testBytes(40_000, 7);
    server.set('/c.bin', next);
    await source.head();
    expect(new Uint8Array(await source.fetch(0, 100))).toEqual(next.subarray(0, 100));
  });

  it('shares one read between identical reads in flight, and hands each caller its own copy', async () => {
    const { source } = open(100_000);
    await source.head();
    server.requests.length = 0;
    const [a, b] = await Promise.all([source.fetch(500, 100), source.fetch(500, 100)]);
    expect(server.requests).toHaveLength(1);
    new Uint8Array(a).fill(0);
    expect(new Uint8Array(b)).toEqual(bytes.subarray(500, 600));
    expect(new Uint8Array(await source.fetch(500, 100))).toEqual(bytes.subarray(500, 600));
  });

  it('lets a reader that joined an aborted read finish on its own', async () => {
    const { source } = open(100_000);
    await source.head();
    const c = new AbortController();
    const first = source.fetch(700, 100, { signal: c.signal });
    const second = source.fetch(700, 100);
    c.abort();
    await expect(first).rejects.toMatchObject({ code: 'aborted' });
    expect(new Uint8Array(await second)).toEqual(bytes.subarray(700, 800));
  });
});
