/** verifyRelease on a hand-made release: sound, then each kind of damage found and named. */
import { cp, rm, symlink, writeFile, appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTinyRelease, TINY_ID, TINY_DIGEST } from '../../../test/support/release.tiny.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { verifyRelease } from './verify.js';

const tmp = useTempDir('skope-verify-');
let n = 0;
async function fresh(): Promise<string> {
  const root = join(tmp(), `r${n++}`);
  return writeTinyRelease(root);
}
const checks = (r: Awaited<ReturnType<typeof verifyRelease>>): string[] => r.problems.map((p) => p.check);

describe('verifyRelease', () => {
  it('passes a sound release, full and quick', async () => {
    const dir = await fresh();
    const full = await verifyRelease(dir);
    expect(full.problems).toEqual([]);
    expect(full.ok).toBe(true);
    expect(full.releaseId).toBe(TINY_ID);
    expect(full.manifest?.declaration.digest).toBe(TINY_DIGEST);
    expect(full.overview?.dataset.time?.count).toBe(5);
    expect(full.files).toBe(8);
    expect(full.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await verifyRelease(dir, { quick: true })).ok).toBe(true);
  });
  it('a missing manifest means incomplete', async () => {
    const dir = await fresh();
    await rm(join(dir, 'release-manifest.json'));
    expect(checks(await verifyRelease(dir))).toEqual(['manifest_missing']);
  });
  it('a directory name other than the release id', async () => {
    const dir = await fresh();
    const moved = `${dir}-copy`;
    await cp(dir, moved, { recursive: true });
    expect(checks(await verifyRelease(moved))).toEqual(['release_id']);
  });
  it('an extra file, a symlink, a missing file', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'cogs', 'v', 'x.tif.aux.xml'), '<x/>');
    await symlink(join(dir, 'collection.json'), join(dir, 'items', 'link.json'));
    await rm(join(dir, 'items', 'ds--0102--0103.json'));
    const r = await verifyRelease(dir, { quick: true });
    expect(checks(r).sort()).toEqual(['layout', 'layout', 'layout']);
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'cogs/v/x.tif.aux.xml',
      'items/ds--0102--0103.json',
      'items/link.json',
    ]);
  });
  it('a changed byte: quick sees a size change only, full sees the checksum', async () => {
    const dir = await fresh();
    const path = join(dir, 'items', 'ds--0100--0101.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('Feature', 'Featurf'));
    expect((await verifyRelease(dir, { quick: true })).ok).toBe(true);
    expect(checks(await verifyRelease(dir))).toEqual(['checksum']);
    await appendFile(path, ' ');
    expect(checks(await verifyRelease(dir, { quick: true }))).toEqual(['size']);
  });
  it('the overview checksum is checked even when quick', async () => {
    const dir = await fresh();
    const path = join(dir, 'overview.yml');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"Tiny"', '"Tinz"'));
    expect(checks(await verifyRelease(dir, { quick: true }))).toEqual(['checksum']);
  });
  it('a manifest with an unknown field is invalid', async () => {
    const dir = await fresh();
    const path = join(dir, 'release-manifest.json');
    const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...m, crs: 'EPSG:4326' }));
    expect(checks(await verifyRelease(dir))).toEqual(['manifest_invalid']);
  });
  it('a COG whose band count disagrees with its chunk', async () => {
    const dir = await fresh();
    // swap the one-band last chunk with a two-band one (and fix the manifest so only the band count is wrong)
    const a = join(dir, 'cogs', 'v', 'ds--0104--0104.tif');
    await cp(join(dir, 'cogs', 'v', 'ds--0100--0101.tif'), a);
    const path = join(dir, 'release-manifest.json');
    const m = JSON.parse(await readFile(path, 'utf8')) as { files: { path: string; size: number; checksum: string }[] };
    const src = m.files.find((f) => f.path === 'cogs/v/ds--0100--0101.tif');
    const dst = m.files.find((f) => f.path === 'cogs/v/ds--0104--0104.tif');
    if (!src || !dst) throw new Error('fixture');
    dst.size = src.size;
    dst.checksum = src.checksum;
    await writeFile(path, JSON.stringify(m));
    const r = await verifyRelease(dir);
    expect(checks(r)).toEqual(['cog']);
    expect(r.problems[0]?.message).toMatch(/2 bands, its chunk has 1/);
  });
});
