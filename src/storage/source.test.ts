import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRangeServer, type RangeServer } from '../../test/support/http.range.server.js';
import { startTestS3, type TestS3 } from '../../test/support/s3.js';
import { createByteCache, createCachedSource } from './cache.js';
import { describeSourceConformance, testBytes } from '../../test/support/source.conformance.js';
import { BodyPool } from './bodies.js';
import { FileSource } from './source.file.js';
import { HttpSource } from './source.http.js';
import { MemorySource } from './source.memory.js';
import { S3Source } from './source.s3.js';
import type { ByteSource } from './source.js';

let dir: string;
let http: RangeServer;
let s3: TestS3;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skope-source-'));
  http = await startRangeServer();
  s3 = await startTestS3();
});
afterAll(async () => {
  await http.close();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

describeSourceConformance('memory', async (bytes) => {
  const source = new MemorySource(`memory://conf-${++n}`, bytes);
  return {
    source,
    replace: async (next) => {
      source.set(next);
      return source;
    },
    missing: () => new FileSource(join(dir, 'not-there.bin')),
  };
});

for (const syncReads of [false, true]) {
  describeSourceConformance(syncReads ? 'file (synchronous reads)' : 'file', async (bytes) => {
    const path = join(dir, `conf-${++n}.bin`);
    await writeFile(path, bytes);
    return {
      source: new FileSource(path, { syncReads }),
      replace: async (next) => {
        await writeFile(path, next);
        // mtime granularity can be coarser than the test: date the rewrite clearly later.
        const later = new Date(Date.now() + 5_000);
        await utimes(path, later, later);
        return new FileSource(`file://${path}`, { syncReads });
      },
      missing: () => new FileSource(join(dir, 'missing.bin'), { syncReads }),
    };
  });
}

const httpFixture = (cached: boolean) => async (bytes: Uint8Array) => {
  const path = `/conf-${++n}.bin`;
  http.set(path, bytes);
  const raw = new HttpSource(http.url(path), { retries: 0 });
  return {
    source: cached ? createCachedSource(raw, createByteCache(1 << 20)) : raw,
    replace: async (next: Uint8Array) => {
      http.set(path, next);
      return new HttpSource(http.url(path));
    },
    missing: () => new HttpSource(http.url('/missing.bin'), { retries: 0 }),
    requestCount: () => http.requests.length,
  };
};
describeSourceConformance('http', httpFixture(false));
describeSourceConformance('http + byte cache', httpFixture(true));

describeSourceConformance('s3 (s3rver)', async (bytes) => {
  const key = `conf/${++n}.bin`;
  const url = await s3.put(key, bytes);
  return {
    source: new S3Source(url, s3.client, { retries: 0 }),
    replace: async (next) => {
      await s3.put(key, next);
      return new S3Source(url, s3.client);
    },
    missing: () => new S3Source(`s3://${s3.bucket}/missing.bin`, s3.client, { retries: 0 }),
    requestCount: () => s3.requests.length,
  };
});

describe('remote sources reuse released body memory', () => {
  const SIZE = 1 << 20;
  const content = testBytes(SIZE, 3);
  const cases: [string, (pool: BodyPool) => Promise<ByteSource>][] = [
    [
      'http',
      async (pool) => {
        const path = `/pool-${++n}.bin`;
        http.set(path, content);
        return new HttpSource(http.url(path), { retries: 0, merge: { pool } });
      },
    ],
    [
      'http + byte cache',
      async (pool) => {
        const path = `/pool-${++n}.bin`;
        http.set(path, content);
        const raw = new HttpSource(http.url(path), { retries: 0, merge: { pool } });
        return createCachedSource(raw, createByteCache(4 << 20));
      },
    ],
    [
      's3 (s3rver)',
      async (pool) =>
        new S3Source(await s3.put(`pool/${++n}.bin`, content), s3.client, { retries: 0, merge: { pool } }),
    ],
  ];
  for (const [name, open] of cases) {
    it(`${name}: a merged once-used read's memory serves the next one after both views were released`, async () => {
      const pool = new BodyPool(8 << 20);
      const source = await open(pool);
      await source.head();
      const fetchBytes = (o: number, l: number): Promise<Uint8Array> =>
        (source.fetchBytes as NonNullable<ByteSource['fetchBytes']>)(o, l, { cache: false });
      const [a, b] = await Promise.all([fetchBytes(0, 300_000), fetchBytes(300_000, 300_000)]);
      expect(Buffer.from(a).equals(content.subarray(0, 300_000))).toBe(true);
      expect(Buffer.from(b).equals(content.subarray(300_000, 600_000))).toBe(true);
      expect(a.buffer === b.buffer).toBe(true);
      source.release?.(a);
      source.release?.(b);
      const c = await fetchBytes(450_000, 600_000); // the same size class as the first body
      expect(pool.stats()).toMatchObject({ reused: 1, allocated: 1 });
      expect(c.buffer === a.buffer).toBe(true);
      expect(Buffer.from(c).equals(content.subarray(450_000, 1_050_000))).toBe(true);
      expect(pool.stats()).toMatchObject({ reused: 1, allocated: 1 });
      await source.close?.();
    });
  }
});
