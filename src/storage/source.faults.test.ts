import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRangeServer, type RangeServer } from '../../test/support/http.range.server.js';
import { startTestS3, type TestS3 } from '../../test/support/s3.js';
import { isAppError } from '../errors.js';
import { expectCode, testBytes } from '../../test/support/source.conformance.js';
import { HttpSource } from './source.http.js';
import { S3Source } from './source.s3.js';

const bytes = testBytes(50_000);
// Tiny backoff so the suite stays fast; the policy itself is exercised, only its scale shrinks.
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

describe('HttpSource against a local range server with faults', () => {
  let server: RangeServer;
  beforeAll(async () => {
    server = await startRangeServer();
    server.set('/a.bin', bytes);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.faults.length = 0;
    server.ignoreRanges = false;
    server.allowHead = true;
    server.maxRangeBytes = Number.POSITIVE_INFINITY;
    server.versionHeader = 'etag';
  });
  const source = (opts = {}) => new HttpSource(server.url('/a.bin'), { ...fast, ...opts });
  const ranged = () => server.requests.filter((r) => r.range !== undefined);

  it('succeeds after 503 twice, with 3 requests seen', async () => {
    server.faults.push('503', '503');
    const out = new Uint8Array(await source().fetch(1_000, 500));
    expect(out).toEqual(bytes.subarray(1_000, 1_500));
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=1000-1499', 'bytes=1000-1499', 'bytes=1000-1499']);
  });

  it('succeeds after a connection reset', async () => {
    server.faults.push('reset');
    expect(new Uint8Array(await source().fetch(0, 100))).toEqual(bytes.subarray(0, 100));
    expect(server.requests).toHaveLength(2);
  });

  it('succeeds after a truncated body', async () => {
    server.faults.push('truncate');
    expect(new Uint8Array(await source().fetch(10_000, 20_000))).toEqual(bytes.subarray(10_000, 30_000));
    expect(server.requests).toHaveLength(2);
  });

  it('retries a request that hangs past the per-attempt timeout', async () => {
    server.faults.push('hang');
    expect(new Uint8Array(await source({ timeoutMs: 1_000 }).fetch(0, 10))).toEqual(bytes.subarray(0, 10));
    expect(server.requests).toHaveLength(2);
  });

  it('fails with source_unavailable after N attempts of persistent 503, naming the URL and cause', async () => {
    server.faults.push('503', '503', '503', '503', '503', '503');
    const err: unknown = await source({ retries: 2 })
      .fetch(0, 10)
      .catch((e: unknown) => e);
    expect(isAppError(err, 'source_unavailable')).toBe(true);
    expect((err as Error).message).toBe(
      `Reading ${server.url('/a.bin')} failed after 3 attempts: HTTP 503 Service Unavailable.`,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('uses 4 attempts by default', async () => {
    server.faults.push('500', '500', '500', '500', '500');
    await expectCode(source().fetch(0, 10), 'source_unavailable');
    expect(server.requests).toHaveLength(4);
  });

  it('fails with source_read_error when every attempt is truncated', async () => {
    server.faults.push('truncate', 'truncate');
    await expectCode(source({ retries: 1 }).fetch(0, 20_000), 'source_read_error');
  });

  it('retries a refused connection, then names the cause', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const url = `http://127.0.0.1:${port}/a.bin`;
    const err: unknown = await new HttpSource(url, fast).fetch(0, 10).catch((e: unknown) => e);
    expect(isAppError(err, 'source_unavailable')).toBe(true);
    expect((err as Error).message).toBe(
      `Reading ${url} failed after 4 attempts: connect ECONNREFUSED 127.0.0.1:${port}.`,
    );
  });

  it('does not retry 404: source_not_found after one request', async () => {
    await expectCode(new HttpSource(server.url('/nope.bin'), fast).fetch(0, 10), 'source_not_found');
    expect(server.requests).toHaveLength(1);
  });

  it('cuts a retry wait short when the signal fires (aborted)', async () => {
    server.faults.push('503', '503', '503', '503');
    const c = new AbortController();
    const p = source({ baseDelayMs: 60_000, maxDelayMs: 60_000 }).fetch(0, 10, { signal: c.signal });
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    c.abort();
    await expectCode(p, 'aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('slices the full body when the server ignores ranges', async () => {
    server.ignoreRanges = true;
    const s = source();
    expect(new Uint8Array(await s.fetch(49_990, 100))).toEqual(bytes.subarray(49_990));
    expect(s.metadata?.size).toBe(50_000);
  });

  it('refuses to download a big object whole for a range when the server ignores ranges', async () => {
    server.ignoreRanges = true;
    const err: unknown = await source({ maxWholeBytes: 10_000 })
      .fetch(0, 100)
      .catch((e: unknown) => e);
    expect(isAppError(err, 'source_read_error')).toBe(true);
    expect((err as Error).message).toBe(
      `${server.url('/a.bin')} does not support range requests (the server sent the whole object, 50000 bytes, for a 100-byte range).`,
    );
  });

  it('asks for the rest when a server sends less than the range asked for', async () => {
    server.maxRangeBytes = 3_000;
    expect(new Uint8Array(await source().fetch(1_000, 7_000))).toEqual(bytes.subarray(1_000, 8_000));
    expect(ranged().map((r) => r.range)).toEqual(['bytes=1000-7999', 'bytes=4000-7999', 'bytes=7000-7999']);
  });

  it('sends URL credentials as Basic auth and keeps them (and query strings) out of messages', async () => {
    const url = server.url('/nope.bin?X-Amz-Signature=abc').replace('http://', 'http://user:s%40cret@');
    const err: unknown = await new HttpSource(url, fast).fetch(0, 10).catch((e: unknown) => e);
    expect(isAppError(err, 'source_not_found')).toBe(true);
    expect((err as Error).message).toBe(`Not found: ${server.url('/nope.bin')}?… (HTTP 404 Not Found).`);
    expect(server.requests[0]?.authorization).toBe(`Basic ${Buffer.from('user:s@cret').toString('base64')}`);
  });

  it('uses Last-Modified as the version when there is no ETag', async () => {
    server.versionHeader = 'last-modified';
    const s = source();
    expect((await s.head()).etag).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    server.versionHeader = 'none';
    const bare = source();
    await bare.fetch(0, 10);
    expect(bare.metadata).toEqual({ size: 50_000 });
  });

  it('reads to the end with one open-ended range request (no HEAD first)', async () => {
    expect(new Uint8Array(await source().fetch(49_000))).toEqual(bytes.subarray(49_000));
    expect(server.requests.map((r) => [r.method, r.range])).toEqual([['GET', 'bytes=49000-']]);
  });

  it('falls back to a 0-0 range when HEAD is refused', async () => {
    server.allowHead = false;
    const h = await source().head();
    expect(h.size).toBe(50_000);
    expect(h.etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=0-0']);
  });

  it('reads through a gap under the merge gap: one request', async () => {
    const s = source({ merge: { maxGapBytes: 64 * 1024 } });
    await Promise.all([s.fetch(0, 100), s.fetch(40_000, 100)]);
    expect(ranged().map((r) => r.range)).toEqual(['bytes=0-40099']);
  });

  it('merges two adjacent reads in one tick into one request', async () => {
    const s = source();
    const [a, b] = await Promise.all([s.fetch(0, 4_096), s.fetch(4_096, 4_096)]);
    expect(new Uint8Array(a)).toEqual(bytes.subarray(0, 4_096));
    expect(new Uint8Array(b)).toEqual(bytes.subarray(4_096, 8_192));
    expect(ranged().map((r) => r.range)).toEqual(['bytes=0-8191']);
  });

  it('keeps reads farther apart than the merge gap separate, and reads in later turns separate', async () => {
    const s = source({ merge: { maxGapBytes: 32 * 1024 } });
    await Promise.all([s.fetch(0, 100), s.fetch(40_000, 100)]);
    await s.fetch(100, 100);
    expect(ranged().map((r) => r.range)).toEqual(['bytes=0-99', 'bytes=40000-40099', 'bytes=100-199']);
  });
});

describe('S3Source through a fault-injecting proxy in front of s3rver', () => {
  let s3: TestS3;
  let url: string;
  beforeAll(async () => {
    s3 = await startTestS3();
    url = await s3.put('faults/a.bin', bytes);
  });
  afterAll(() => s3.close());
  beforeEach(() => {
    s3.requests.length = 0;
    s3.faults.length = 0;
  });
  const source = (opts = {}) => new S3Source(url, s3.client, { ...fast, ...opts });

  it('succeeds after 503 twice, with 3 requests seen', async () => {
    s3.faults.push('503', '503');
    expect(new Uint8Array(await source().fetch(1_000, 500))).toEqual(bytes.subarray(1_000, 1_500));
    expect(s3.requests.map((r) => r.range)).toEqual(['bytes=1000-1499', 'bytes=1000-1499', 'bytes=1000-1499']);
  });

  it('succeeds after a connection reset', async () => {
    s3.faults.push('reset');
    expect(new Uint8Array(await source().fetch(0, 100))).toEqual(bytes.subarray(0, 100));
    expect(s3.requests).toHaveLength(2);
  });

  it('succeeds after a truncated body', async () => {
    s3.faults.push('truncate');
    expect(new Uint8Array(await source().fetch(5_000, 30_000))).toEqual(bytes.subarray(5_000, 35_000));
    expect(s3.requests).toHaveLength(2);
  });

  it('fails with source_unavailable after N attempts of persistent 503', async () => {
    s3.faults.push('503', '503', '503', '503');
    const err: unknown = await source({ retries: 2 })
      .fetch(0, 10)
      .catch((e: unknown) => e);
    expect(isAppError(err, 'source_unavailable')).toBe(true);
    expect((err as Error).message).toMatch(
      new RegExp(`^Reading ${url} failed after 3 attempts: S3 ServiceUnavailable`),
    );
    expect(s3.requests).toHaveLength(3);
  });

  it('reads to the end with one open-ended GetObject (no HEAD first)', async () => {
    expect(new Uint8Array(await source().fetch(49_000))).toEqual(bytes.subarray(49_000));
    expect(s3.requests.map((r) => [r.method, r.range])).toEqual([['GET', 'bytes=49000-']]);
  });

  it('reports NoSuchKey as source_not_found without retrying', async () => {
    await expectCode(new S3Source(`s3://${s3.bucket}/nope.bin`, s3.client, fast).fetch(0, 10), 'source_not_found');
    expect(s3.requests).toHaveLength(1);
  });

  it('merges two adjacent reads in one tick into one GetObject', async () => {
    const s = source();
    const [a, b] = await Promise.all([s.fetch(0, 4_096), s.fetch(4_096, 4_096)]);
    expect(new Uint8Array(a)).toEqual(bytes.subarray(0, 4_096));
    expect(new Uint8Array(b)).toEqual(bytes.subarray(4_096, 8_192));
    expect(s3.requests.map((r) => r.range)).toEqual(['bytes=0-8191']);
  });
});
