/** Publication: the rename never replaces what another build published (rename(2) semantics, no pre-check). */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { Staging, StagingError } from './staging.js';

const tmp = useTempDir('skope-staging-');

describe('Staging.publish', () => {
  it('publishes the staging directory as ROOT/<id> and drops the lease', async () => {
    const root = join(tmp(), 'a');
    const s = await Staging.create(root, 'ds-r-2026.10.07');
    await writeFile(join(s.dir, 'release-manifest.json'), 'ours');
    expect(await s.publish()).toBe(join(root, 'ds-r-2026.10.07'));
    expect(readFileSync(join(root, 'ds-r-2026.10.07', 'release-manifest.json'), 'utf8')).toBe('ours');
    expect(existsSync(s.leasePath)).toBe(false);
  });
  it.each([
    ['a release published by another build', true],
    ['a file', false],
  ])('refuses with TXN-002 when %s appeared at the target during the build, leaving it untouched', async (_, dir) => {
    const root = join(tmp(), dir ? 'b' : 'c');
    const s = await Staging.create(root, 'ds-r-2026.10.07');
    await writeFile(join(s.dir, 'release-manifest.json'), 'ours');
    const target = join(root, 'ds-r-2026.10.07');
    if (dir) {
      await mkdir(target);
      await writeFile(join(target, 'release-manifest.json'), 'theirs');
    } else await writeFile(target, 'theirs');
    const err = await s.publish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StagingError);
    expect((err as StagingError).rule).toBe('TXN-002');
    expect(readFileSync(dir ? join(target, 'release-manifest.json') : target, 'utf8')).toBe('theirs');
    expect(existsSync(join(s.dir, 'release-manifest.json'))).toBe(true);
  });
});
