import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../errors.js';
import type { ByteSource, SourceResolver } from '../storage/source.js';
import { LookupStore } from './lookup.store.js';

/**
 * A small local-file ByteSource (etag `mtimeMs-size`, like the storage module's) that counts calls, so the tests
 * can see exactly when storage is asked. Real files on disk; nothing is mocked.
 */
function countingResolver(): SourceResolver & { heads: number; fetches: number; gate?: Promise<void> } {
  const counters = {
    heads: 0,
    fetches: 0,
    gate: undefined as Promise<void> | undefined,
    open(path: string | URL): ByteSource {
      const file = String(path);
      const missing = (err: unknown): never => {
        throw new AppError('source_not_found', `Not found: ${file}`, { cause: err });
      };
      const source: ByteSource = {
        url: pathToFileURL(file),
        async head() {
          counters.heads++;
          const st = await stat(file).catch(missing);
          return { size: st.size, etag: `${st.mtimeMs}-${st.size}` };
        },
        async fetch(offset, length) {
          counters.fetches++;
          await counters.gate;
          const buf = await readFile(file).catch(missing);
          const bytes = buf.subarray(offset, length === undefined ? undefined : offset + length);
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        },
      };
      return source;
    },
  };
  return counters;
}

const lookupJson = (years: number[]): string =>
  JSON.stringify({
    ppt: Object.fromEntries(years.map((y, i) => [String(y).padStart(4, '0'), { file: 'ds/a.tif', bidx: i + 1 }])),
  });

describe('LookupStore', () => {
  let root: string;
  let clock = 0;
  const now = (): number => clock;
  const write = (text: string): void => writeFileSync(join(root, 'ds', 'lookup.json'), text);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lookup-store-'));
    mkdirSync(join(root, 'ds'));
    clock = 1_000_000;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads <base>/<dataset>/lookup.json once and serves the cache within the interval', async () => {
    write(lookupJson([1, 2, 3]));
    const resolver = countingResolver();
    const store = new LookupStore({ resolver, baseUrl: `${root}/`, checkIntervalMs: 5000, now });
    expect(store.lookupUrl('ds')).toBe(join(root, 'ds', 'lookup.json'));
    const a = await store.get('ds');
    clock += 4999;
    const b = await store.get('ds');
    expect(b).toBe(a);
    expect([...(a.get('ppt')?.keys() ?? [])]).toEqual(['0001', '0002', '0003']);
    expect({ heads: resolver.heads, fetches: resolver.fetches }).toEqual({ heads: 1, fetches: 1 });
  });

  it('after the interval asks head() only, and re-reads nothing while the etag is unchanged', async () => {
    write(lookupJson([1, 2]));
    const resolver = countingResolver();
    const store = new LookupStore({ resolver, baseUrl: root, checkIntervalMs: 1000, now });
    const first = await store.get('ds');
    clock += 1000;
    expect(await store.get('ds')).toBe(first);
    clock += 1000;
    expect(await store.get('ds')).toBe(first);
    expect({ heads: resolver.heads, fetches: resolver.fetches }).toEqual({ heads: 3, fetches: 1 });
  });

  it('picks up a rewritten file after the interval, not before', async () => {
    write(lookupJson([1, 2]));
    const resolver = countingResolver();
    const store = new LookupStore({ resolver, baseUrl: root, checkIntervalMs: 1000, now });
    expect(await store.get('ds').then((l) => l.get('ppt')?.size)).toBe(2);
    write(lookupJson([1, 2, 3])); // different size → different etag even within one mtime tick
    clock += 999;
    expect(await store.get('ds').then((l) => l.get('ppt')?.size)).toBe(2);
    clock += 1;
    expect(await store.get('ds').then((l) => l.get('ppt')?.size)).toBe(3);
    expect(resolver.fetches).toBe(2);
  });

  it('shares one load between concurrent callers', async () => {
    write(lookupJson([1]));
    const resolver = countingResolver();
    const store = new LookupStore({ resolver, baseUrl: root, now });
    const results = await Promise.all([store.get('ds'), store.get('ds'), store.get('ds')]);
    expect(new Set(results).size).toBe(1);
    expect({ heads: resolver.heads, fetches: resolver.fetches }).toEqual({ heads: 1, fetches: 1 });
  });

  it('does not cache a failed load (missing file → lookup_unavailable, then found)', async () => {
    const resolver = countingResolver();
    const store = new LookupStore({ resolver, baseUrl: root, now });
    const err = await store.get('ds').catch((e: unknown) => e);
    expect(isAppError(err, 'lookup_unavailable')).toBe(true);
    expect((err as Error).message).toMatch(/^Failed to retrieve lookup dictionary from origin: Not found: /);
    write(lookupJson([7]));
    expect([...((await store.get('ds')).get('ppt')?.keys() ?? [])]).toEqual(['0007']);
  });

  it('reports an invalid file as lookup_invalid and drops a cached copy that became invalid', async () => {
    write('{"ppt": {"0002": {"file": "a.tif", "bidx": 1}, "0001": {"file": "a.tif", "bidx": 2}}}');
    const store = new LookupStore({ resolver: countingResolver(), baseUrl: root, checkIntervalMs: 10, now });
    await expect(store.get('ds')).rejects.toMatchObject({
      code: 'lookup_invalid',
      message: expect.stringMatching(/not sorted/),
    });
    write(lookupJson([1]));
    await store.get('ds');
    write('{"ppt": {}'); // truncated upload
    clock += 10;
    await expect(store.get('ds')).rejects.toMatchObject({ code: 'lookup_invalid' });
    write(lookupJson([1, 2, 3, 4]));
    expect((await store.get('ds')).get('ppt')?.size).toBe(4);
  });

  it("aborts one caller's wait without failing the shared load", async () => {
    write(lookupJson([1, 2]));
    const resolver = countingResolver();
    let open!: () => void;
    resolver.gate = new Promise((resolve) => (open = resolve));
    const store = new LookupStore({ resolver, baseUrl: root, now });
    const controller = new AbortController();
    const aborted = store.get('ds', { signal: controller.signal });
    const patient = store.get('ds');
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'aborted' });
    open();
    expect((await patient).get('ppt')?.size).toBe(2);
    await expect(store.get('ds', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
    expect(resolver.fetches).toBe(1);
  });

  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', 'a\u0000'])(
    'refuses dataset id %j without touching storage',
    async (id) => {
      const resolver = countingResolver();
      const store = new LookupStore({ resolver, baseUrl: root, now });
      await expect(store.get(id)).rejects.toMatchObject({ code: 'invalid_request' });
      expect(resolver.heads + resolver.fetches).toBe(0);
    },
  );
});
