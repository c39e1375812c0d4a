import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRangeServer, type RangeServer } from '../../test/support/http.range.server.js';
import { startTestS3, type TestS3 } from '../../test/support/s3.js';
import { createByteCache, createCachedSource } from './cache.js';
import { describeSourceConformance } from '../../test/support/source.conformance.js';
import { FileSource } from './source.file.js';
import { HttpSource } from './source.http.js';
import { MemorySource } from './source.memory.js';
import { S3Source } from './source.s3.js';

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
