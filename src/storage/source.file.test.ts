import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, testBytes } from '../../test/support/source.conformance.js';
import { FileSource } from './source.file.js';

const bytes = testBytes(10_000);
const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe('FileSource specifics', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skope-file-'));
    await writeFile(join(dir, 'a.bin'), bytes);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(process.platform !== 'linux')(
    'closes its file handle after the idle time and reopens on demand',
    async () => {
      const s = new FileSource(join(dir, 'a.bin'), { idleCloseMs: 30 });
      const before = await openFds();
      await s.fetch(0, 10);
      expect(await openFds()).toBe(before + 1);
      // The close runs on the libuv pool after the idle timer: wait for it (bounded) rather than guess a delay.
      for (let i = 0; i < 100 && (await openFds()) !== before; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await openFds()).toBe(before);
      expect(new Uint8Array(await s.fetch(100, 10))).toEqual(bytes.subarray(100, 110));
      await s.close();
      expect(await openFds()).toBe(before);
    },
  );

  it('sees a file replaced by rename after head()', async () => {
    const path = join(dir, 'swap.bin');
    await writeFile(path, bytes);
    const s = new FileSource(path);
    expect(new Uint8Array(await s.fetch(0, 4))).toEqual(bytes.subarray(0, 4));
    const next = testBytes(10_000, 5);
    await writeFile(`${path}.new`, next);
    await rename(`${path}.new`, path);
    await s.head();
    expect(new Uint8Array(await s.fetch(0, 4))).toEqual(next.subarray(0, 4));
    await s.close();
  });

  it('reports a directory as source_read_error, a missing parent as source_not_found', async () => {
    await mkdir(join(dir, 'sub'), { recursive: true });
    await expectCode(new FileSource(join(dir, 'sub')).head(), 'source_read_error');
    await expectCode(new FileSource(join(dir, 'sub')).fetch(0, 10), 'source_read_error');
    await expectCode(new FileSource(join(dir, 'a.bin', 'x')).fetch(0, 10), 'source_not_found');
  });

  it('names the path in the not-found message', async () => {
    const p = join(dir, 'nope.tif');
    await expect(new FileSource(p).fetch(0, 1)).rejects.toThrow(`File not found: ${p}.`);
  });
});
