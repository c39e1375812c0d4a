/**
 * A test release made of existing COG files (one per variable × chunk, copied as they are), with a hand-written
 * overview and a manifest written by the format module: the tile cross-checks serve fixture COGs GDAL can read as a
 * pinned release. STAC files are placeholders (the server reads only the manifest and the overview).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { multihash, sha256Hex } from '../../src/release/format/digest.js';
import type { Overview } from '../../src/release/format/documents.js';
import { rolesForPath } from '../../src/release/format/ids.js';
import { emitOverview } from '../../src/release/format/overview.emit.js';
import { releaseJson } from '../../src/release/format/serialize.js';

/** One variable: its overview entry and, per chunk item id, the COG file to copy. */
export interface CopiedVariable {
  id: string;
  entry: Overview['variables'][string];
  /** item id (`<dataset>--<first>--<last>`) → source COG path; a static dataset's one COG under the key `''`. */
  cogs: Record<string, string>;
}

/** Writes the release `<root>/<overview.release_id>/`; returns its directory and the manifest SHA-256 (for a pin). */
export async function writeCopiedRelease(
  root: string,
  overview: Overview,
  variables: readonly CopiedVariable[],
): Promise<{ dir: string; manifestSha256: string }> {
  const dir = join(root, overview.release_id);
  const files = new Map<string, Uint8Array | string>();
  files.set('collection.json', releaseJson({ type: 'Collection', id: overview.dataset.id }));
  files.set('overview.yml', emitOverview(overview));
  const items = new Set(variables.flatMap((v) => Object.keys(v.cogs)).filter((item) => item !== ''));
  for (const item of items) files.set(`items/${item}.json`, releaseJson({ type: 'Feature', id: item }));
  for (const [path, content] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  for (const v of variables) {
    for (const [item, source] of Object.entries(v.cogs)) {
      const path = item === '' ? `cogs/${v.id}.tif` : `cogs/${v.id}/${item}.tif`;
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await copyFile(source, join(dir, path));
      files.set(path, await readFile(join(dir, path)));
    }
  }
  const manifest = {
    schema_version: '1.0.0',
    release_id: overview.release_id,
    created: '2026-10-07T15:10:00Z',
    status: 'complete',
    dataset: { id: overview.dataset.id, version: overview.dataset.version, stac_entrypoint: 'collection.json' },
    producer: { name: 'test', version: '0', revision: 'test' },
    declaration: {
      identity_profile: 'openskope-release-declaration-v1',
      digest_algorithm: 'sha256',
      digest: overview.declaration_digest,
    },
    sources: variables.map((v) => ({ id: v.id, href: 'file:///nowhere.tif', checksum: `1220${'0'.repeat(64)}` })),
    files: [...files.keys()].sort().map((path) => {
      const bytes = files.get(path) as Uint8Array | string;
      return { path, roles: rolesForPath(path) ?? [], size: Buffer.byteLength(bytes), checksum: multihash(bytes) };
    }),
  };
  const text = releaseJson(manifest);
  await writeFile(join(dir, 'release-manifest.json'), text);
  return { dir, manifestSha256: sha256Hex(text) };
}
