/**
 * A tiny hand-made release for tests of `verifyRelease` (independent of the builder): dataset `ds`, one
 * variable `v`, yearly axis 0100–0104 in chunks of 2 (3 COGs of 2, 2, 1 bands, 4 × 3 cells, uint16), STAC files
 * as placeholders, `overview.yml` and `release-manifest.json` written with the format module.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeCog } from '../../src/raster/writer/cog.writer.js';
import { multihash, sha256Hex } from '../../src/release/format/digest.js';
import type { Overview } from '../../src/release/format/documents.js';
import { rolesForPath } from '../../src/release/format/ids.js';
import { emitOverview } from '../../src/release/format/overview.emit.js';
import { releaseJson } from '../../src/release/format/serialize.js';

export const TINY_ID = 'ds-r-2026.10.07';
export const TINY_DIGEST = 'd'.repeat(64);

export const tinyOverview = (): Overview => ({
  schema_version: '1.0.0',
  release_id: TINY_ID,
  declaration_digest: TINY_DIGEST,
  dataset: {
    id: 'ds',
    version: '1',
    title: 'Tiny',
    description: 'A tiny test dataset.',
    profile: 'TemporalCubeDataset',
    license: 'CC0-1.0',
    region_name: 'Nowhere',
    extent: { bbox: [-110, 36, -109.6, 36.3] },
    grid: { code: 'EPSG:4326', shape: [3, 4], transform: [0.1, 0, -110, 0, -0.1, 36.3] },
    time: {
      kind: 'regular',
      origin: '0100',
      step: 'P1Y',
      count: 5,
      chunk_size: 2,
      precision: 'year',
      calendar: 'proleptic_gregorian',
      timestep_meaning: 'aggregation_period',
      endpoint_inclusion: 'inclusive',
    },
    providers: [{ name: 'Tester', roles: ['producer'], url: null }],
    citation: null,
    doi: null,
    publications: [],
    lineage: null,
    uncertainty: null,
    links: [],
  },
  variables: {
    v: {
      title: 'V',
      description: 'A variable.',
      unit: 'mm',
      category: null,
      categories: null,
      data_type: 'uint16',
      nodata: 65535,
      scale: 1,
      offset: 0,
      asset_href: null,
      band_name: null,
    },
  },
});

const CHUNKS = [
  ['ds--0100--0101', 2],
  ['ds--0102--0103', 2],
  ['ds--0104--0104', 1],
] as const;

/** Write the tiny release under `root/<TINY_ID>` and return its directory. */
export async function writeTinyRelease(root: string): Promise<string> {
  const dir = join(root, TINY_ID);
  const files = new Map<string, Uint8Array | string>();
  files.set('collection.json', releaseJson({ type: 'Collection', id: 'ds' }));
  files.set('overview.yml', emitOverview(tinyOverview()));
  for (const [item] of CHUNKS) files.set(`items/${item}.json`, releaseJson({ type: 'Feature', id: item }));
  for (const [path, content] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  for (const [item, bands] of CHUNKS) {
    const path = join(dir, 'cogs', 'v', `${item}.tif`);
    await mkdir(dirname(path), { recursive: true });
    await writeCog(path, {
      width: 4,
      height: 3,
      bands,
      dtype: 'uint16',
      crs: 'EPSG:4326',
      transform: [0.1, 0, -110, 0, -0.1, 36.3],
      nodata: 65535,
      interleave: 'band',
      overviews: [],
      readRows: (band, row, height) => new Uint16Array(4 * height).fill(band * 10 + row),
    });
    files.set(`cogs/v/${item}.tif`, await readFile(path));
  }
  const list = [...files.keys()].sort();
  const manifest = {
    schema_version: '1.0.0',
    release_id: TINY_ID,
    created: '2026-10-07T15:10:00Z',
    status: 'complete',
    dataset: { id: 'ds', version: '1', stac_entrypoint: 'collection.json' },
    producer: { name: 'test', version: '0', revision: 'test' },
    declaration: {
      identity_profile: 'openskope-release-declaration-v1',
      digest_algorithm: 'sha256',
      digest: TINY_DIGEST,
    },
    sources: [{ id: 'v', href: 'file:///nowhere/v.tif', checksum: `1220${'0'.repeat(64)}` }],
    files: list.map((path) => {
      const bytes = files.get(path) as Uint8Array | string;
      return { path, roles: rolesForPath(path) ?? [], size: Buffer.byteLength(bytes), checksum: multihash(bytes) };
    }),
  };
  await writeFile(join(dir, 'release-manifest.json'), releaseJson(manifest));
  return dir;
}

/** SHA-256 hex of the tiny release's manifest. */
export const manifestSha = async (dir: string): Promise<string> =>
  sha256Hex(await readFile(join(dir, 'release-manifest.json')));
