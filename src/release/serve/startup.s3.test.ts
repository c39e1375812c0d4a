/**
 * A pinned release in object storage is verified and served in place: the tiny release uploaded to a real S3-protocol
 * server (s3rver), `RELEASE_ROOT=s3://bucket/releases`; the start-up checks pass (and a tampered object fails the full
 * check), and a tile renders from the S3 COGs with the display style.
 */
import { readdir, readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCog } from '../../raster/cog.js';
import { createSourceResolver, type DefaultSourceResolver } from '../../storage/resolver.js';
import { TileService } from '../../tiles/tile.service.js';
import { startTestS3, type TestS3 } from '../../../test/support/s3.js';
import { writePinnedTiny, type PinnedTiny } from '../../../test/support/release.pinned.js';
import { TINY_ID } from '../../../test/support/release.tiny.js';
import { openReleaseDatasets, verifyPin, type ReleaseSettings } from './open.js';

let s3: TestS3;
let base = '';
let t: PinnedTiny;
let resolver: DefaultSourceResolver;

async function upload(dir: string, prefix: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    await s3.put(`${prefix}/${relative(dir, path)}`, await readFile(path));
  }
}

beforeAll(async () => {
  s3 = await startTestS3('skope-releases');
  base = await mkdtemp(join(tmpdir(), 'skope-pin-s3-'));
  t = await writePinnedTiny(base);
  await upload(t.dir, `releases/${TINY_ID}`);
  resolver = createSourceResolver({ s3: { client: s3.client } });
}, 60_000);
afterAll(async () => {
  await resolver?.close();
  await s3?.close();
  await rm(base, { recursive: true, force: true });
});

const settings = (): ReleaseSettings => ({
  releasePinPath: t.pinPath,
  releaseRoot: `s3://${s3.bucket}/releases`,
  displayPreferencesPath: t.preferencesPath,
  displayPalettesPath: t.palettesPath,
});

describe('a pinned release on S3', () => {
  it('passes every start-up check (quick and full) read from S3 in place', async () => {
    const quick = await verifyPin(settings(), resolver);
    expect(quick.refusals).toEqual([]);
    expect(quick.root).toBe(`s3://${s3.bucket}/releases`);
    const full = await verifyPin(settings(), resolver, { full: true });
    expect(full.refusals).toEqual([]);
    expect(full.releases[0]?.files).toBe(8);
    expect(s3.requests.some((r) => r.path.includes(`/releases/${TINY_ID}/cogs/v/`))).toBe(true);
  });

  it('renders a tile from the S3 COGs', async () => {
    const { datasets } = await openReleaseDatasets(settings(), resolver);
    expect(datasets.baseUrl).toBe(`s3://${s3.bucket}/releases`);
    const tiles = new TileService({ ...datasets, openCog: (url) => openCog(resolver.open(url)) });
    const req = {
      datasetId: 'ds',
      variableId: 'v',
      timestep: '0103',
      z: 6,
      x: 12,
      y: 25,
      size: 256,
      format: 'png' as const,
      resampling: 'nearest' as const,
    };
    const tile = await tiles.prepare(req);
    expect(tile.cog.metadata.url).toContain(`s3://${s3.bucket}/releases/${TINY_ID}/cogs/v/ds--0102--0103.tif`);
    expect(tile.bidx).toBe(2);
    expect((await tiles.render(tile)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a tampered object fails the full check only', async () => {
    const key = `releases/${TINY_ID}/cogs/v/ds--0100--0101.tif`;
    const bytes = await readFile(join(t.dir, 'cogs/v/ds--0100--0101.tif'));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await s3.put(key, bytes);
    expect((await verifyPin(settings(), resolver)).refusals).toEqual([]);
    const full = await verifyPin(settings(), resolver, { full: true });
    expect(full.refusals.map((r) => [r.check, r.observed])).toEqual([
      ['file_checksums', 'cogs/v/ds--0100--0101.tif: checksum differs'],
    ]);
  });
});
