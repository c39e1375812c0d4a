/**
 * LookupStore over the real byte sources (createSourceResolver): local directory, file://, an HTTP range server and
 * an S3-protocol server (s3rver). Each backend: load, resolve a band URL the same resolver can open, notice a rewrite
 * after the interval, and only HEAD while nothing changed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRangeServer } from '../../test/support/http.range.server.js';
import type { RangeServer } from '../../test/support/http.range.server.js';
import { startTestS3 } from '../../test/support/s3.js';
import type { TestS3 } from '../../test/support/s3.js';
import { createSourceResolver } from '../storage/resolver.js';
import { resolveSingleBand } from './lookup.resolve.js';
import { LookupStore } from './lookup.store.js';

const encoder = new TextEncoder();
const lookupBytes = (n: number): Uint8Array =>
  encoder.encode(
    JSON.stringify({
      ppt: Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`000${i + 1}`, { file: 'ds/cube #1.tif', bidx: i + 1 }]),
      ),
    }),
  );

interface Backend {
  baseUrl: string;
  /** Writes `bytes` at `path` under the base (creating or replacing the object). */
  put(path: string, bytes: Uint8Array): Promise<void>;
  /** Data requests (GET) the backend served so far, or null when it cannot tell (local files). */
  gets(): number | null;
}

let dir: string;
let http: RangeServer;
let s3: TestS3;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lookup-sources-'));
  [http, s3] = await Promise.all([startRangeServer(), startTestS3()]);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([http.close(), s3.close()]);
});

const backends: [string, () => Backend][] = [
  [
    'local directory',
    () => ({
      baseUrl: join(dir, 'local'),
      put: (path, bytes) => {
        mkdirSync(join(dir, 'local', 'ds'), { recursive: true });
        writeFileSync(join(dir, 'local', path), bytes);
        return Promise.resolve();
      },
      gets: () => null,
    }),
  ],
  [
    'file:// URL',
    () => ({
      baseUrl: pathToFileURL(join(dir, 'furl')).href,
      put: (path, bytes) => {
        mkdirSync(join(dir, 'furl', 'ds'), { recursive: true });
        writeFileSync(join(dir, 'furl', path), bytes);
        return Promise.resolve();
      },
      gets: () => null,
    }),
  ],
  [
    'HTTP',
    () => ({
      baseUrl: http.url('/data'),
      put: (path, bytes) => Promise.resolve(http.set(`/data/${path}`, bytes)),
      gets: () => http.requests.filter((r) => r.method === 'GET' && r.path.endsWith('lookup.json')).length,
    }),
  ],
  [
    'S3',
    () => ({
      baseUrl: `s3://${s3.bucket}/prefix`,
      put: async (path, bytes) => void (await s3.put(`prefix/${path}`, bytes)),
      gets: () => s3.requests.filter((r) => r.method === 'GET' && r.path.endsWith('lookup.json')).length,
    }),
  ],
];

describe.each(backends)('LookupStore over %s', (_name, make) => {
  it('loads, resolves an openable band URL, re-checks by etag and picks up a rewrite', async () => {
    const backend = make();
    const resolver = createSourceResolver({ s3: { client: s3.client } });
    let clock = 0;
    const store = new LookupStore({ resolver, baseUrl: backend.baseUrl, checkIntervalMs: 1000, now: () => clock });
    await backend.put('ds/lookup.json', lookupBytes(2));
    await backend.put('ds/cube #1.tif', encoder.encode('band bytes'));

    const lookup = await store.get('ds');
    expect(lookup.get('ppt')?.size).toBe(2);
    const { url, bidx } = resolveSingleBand(lookup, 'ppt', '0002', backend.baseUrl);
    expect(bidx).toBe(2);
    // The joined URL (with an encoded '#' and space) opens the right object through the same resolver.
    const band = resolver.open(url);
    expect(new TextDecoder().decode(await band.fetch(0))).toBe('band bytes');
    const getsAfterLoad = backend.gets();

    clock += 1000;
    expect(await store.get('ds')).toBe(lookup); // unchanged: a HEAD, no GET
    expect(backend.gets()).toBe(getsAfterLoad);

    await backend.put('ds/lookup.json', lookupBytes(3));
    clock += 999;
    expect((await store.get('ds')).get('ppt')?.size).toBe(2);
    clock += 1;
    expect((await store.get('ds')).get('ppt')?.size).toBe(3);
    await resolver.close();
  });

  it('reports a missing lookup as lookup_unavailable with the upstream sentence', async () => {
    const backend = make();
    const resolver = createSourceResolver({ s3: { client: s3.client }, http: { retries: 0 } });
    const store = new LookupStore({ resolver, baseUrl: backend.baseUrl });
    await expect(store.get('absent')).rejects.toMatchObject({
      code: 'lookup_unavailable',
      message: expect.stringMatching(/^Failed to retrieve lookup dictionary from origin: /),
    });
    await resolver.close();
  });
});
