import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRangeServer, type RangeServer } from '../../test/support/http.range.server.js';
import { startTestS3, type TestS3 } from '../../test/support/s3.js';
import { createSourceResolver, joinUrl } from './resolver.js';
import { expectCode, testBytes } from '../../test/support/source.conformance.js';
import { FileSource } from './source.file.js';
import { MemorySource } from './source.memory.js';

const bytes = testBytes(5_000);

describe('createSourceResolver', () => {
  let dir: string;
  let http: RangeServer;
  let s3: TestS3;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skope-resolver-'));
    await writeFile(join(dir, 'a.bin'), bytes);
    http = await startRangeServer();
    http.set('/data/a.bin', bytes);
    s3 = await startTestS3();
    await s3.put('data/a.bin', bytes);
  });
  afterAll(async () => {
    await http.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  const readAll = async (url: string, resolver = createSourceResolver()) => {
    const source = resolver.open(url);
    try {
      return new Uint8Array(await source.fetch(0));
    } finally {
      await source.close?.();
    }
  };

  it('opens plain paths and file:// URLs as files', async () => {
    const resolver = createSourceResolver();
    const plain = resolver.open(join(dir, 'a.bin'));
    expect(plain).toBeInstanceOf(FileSource);
    expect(plain.url.href).toBe(pathToFileURL(join(dir, 'a.bin')).href);
    expect(await readAll(pathToFileURL(join(dir, 'a.bin')).href)).toEqual(bytes);
    expect((resolver.open('relative/x.tif') as FileSource).path).toBe(resolve('relative/x.tif'));
  });

  it('opens http(s):// with range reads, through the shared byte cache', async () => {
    const resolver = createSourceResolver({ cacheBytes: 1 << 20, http: { retries: 0 } });
    const ranged = () => http.requests.filter((r) => r.range !== undefined).length;
    const before = ranged();
    const a = resolver.open(http.url('/data/a.bin'));
    expect(new Uint8Array(await a.fetch(100, 50))).toEqual(bytes.subarray(100, 150));
    // A second source for the same URL shares the cache once it knows the object's version.
    const b = resolver.open(http.url('/data/a.bin'));
    await b.head();
    expect(new Uint8Array(await b.fetch(100, 50))).toEqual(bytes.subarray(100, 150));
    expect(ranged() - before).toBe(1);
    expect(resolver.cache?.stats.hits).toBe(1);
  });

  it('opens s3://bucket/key with the shared client', async () => {
    const resolver = createSourceResolver({ s3: { client: s3.client } });
    expect(await readAll(`s3://${s3.bucket}/data/a.bin`, resolver)).toEqual(bytes);
    await resolver.close();
  });

  it('builds its own S3 client from endpoint + path-style, with credentials from the default chain', async () => {
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
    const resolver = createSourceResolver({ s3: { endpoint: s3.endpoint, forcePathStyle: true } });
    try {
      expect(await readAll(`s3://${s3.bucket}/data/a.bin`, resolver)).toEqual(bytes);
      await expectCode(resolver.open(`s3://${s3.bucket}/data/none.bin`).head(), 'source_not_found');
    } finally {
      await resolver.close();
      for (const [k, v] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('opens registered memory:// sources; unknown names read as source_not_found', async () => {
    const resolver = createSourceResolver();
    const mem = new MemorySource('memory://demo/a.bin', bytes);
    resolver.register(mem);
    expect(resolver.open('memory://demo/a.bin')).toBe(mem);
    await expectCode(resolver.open('memory://demo/b.bin').fetch(0, 1), 'source_not_found');
  });

  it('refuses unknown schemes and empty paths with invalid_request', () => {
    const resolver = createSourceResolver();
    for (const bad of ['ftp://host/a.tif', 'gs://bucket/a.tif', '']) {
      expect(() => resolver.open(bad)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
    expect(() => resolver.open('ftp://host/a.tif')).toThrow(/Unsupported storage scheme "ftp:"/);
  });
});

describe('joinUrl', () => {
  it.each([
    ['s3://bucket/prefix', 'a.tif', 's3://bucket/prefix/a.tif'],
    ['s3://bucket/prefix/', 'a.tif', 's3://bucket/prefix/a.tif'],
    ['s3://bucket', 'sub/a.tif', 's3://bucket/sub/a.tif'],
    ['https://host/data//', './a.tif', 'https://host/data/a.tif'],
    ['http://host:8080/x', '/b.tif', 'http://host:8080/x/b.tif'],
    ['file:///srv/data', 'a.tif', 'file:///srv/data/a.tif'],
    ['/srv/data/', 'a.tif', '/srv/data/a.tif'],
    ['/srv/data', 'sub/a.tif', '/srv/data/sub/a.tif'],
    ['/srv/data', '/elsewhere/a.tif', '/elsewhere/a.tif'],
    ['data', 'a.tif', 'data/a.tif'],
    ['/srv/data', 's3://other/a.tif', 's3://other/a.tif'],
  ])('joinUrl(%s, %s) = %s', (base, rel, expected) => {
    expect(joinUrl(base, rel)).toBe(expected);
  });
});
