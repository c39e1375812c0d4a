/**
 * The build over the tiny committed sources: a sound release (verified, STAC valid against the release-contract
 * schemas offline), byte-identical rebuilds, refusals (existing id, dirty revision, checksum, empty timesteps,
 * staging on another filesystem) and a failure mid-build that leaves nothing under ROOT/<release-id>.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireShared } from '../../../test/support/env.js';
import { CURATED, sourceManifest, writeDataset } from '../../../test/support/release.datasets.js';
import { loadReleaseValidators } from '../../../test/support/release.schemas.js';
import { stacProblems } from '../../../test/support/release.stac.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { createSourceResolver } from '../../storage/resolver.js';
import type { SourceResolver } from '../../storage/source.js';
import { sha256Hex } from '../format/digest.js';
import { parseReleaseManifest } from '../format/documents.js';
import { verifyRelease } from '../format/verify.js';
import { buildReleases } from './build.js';
import type { BuildOutcome, BuildProgress } from './build.js';

const tmp = useTempDir('skope-build-');
const resolver = createSourceResolver();
const ID = 'ds-r-2026.10.07';
let n = 0;

async function build(
  docs: Parameters<typeof writeDataset>[1] = {},
  opts: {
    revision?: string;
    root?: string;
    resolver?: SourceResolver;
    jobs?: number;
    onProgress?: (p: BuildProgress) => void;
  } = {},
): Promise<{ outcome: BuildOutcome; root: string }> {
  const base = join(tmp(), `b${n++}`);
  const datasets = await writeDataset(join(base, 'datasets'), docs);
  const root = opts.root ?? join(base, 'releases');
  const [outcome] = await buildReleases({
    datasetsDir: datasets,
    releaseRoot: root,
    releases: new Map([['ds', ID]]),
    resolver: opts.resolver ?? resolver,
    revision: opts.revision ?? '0123456789abcdef0123456789abcdef01234567',
    jobs: opts.jobs ?? 2,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return { outcome: outcome as BuildOutcome, root };
}
const ids = (o: BuildOutcome): string[] => [
  ...new Set(o.findings.filter((f) => f.severity === 'error').map((f) => f.id)),
];

async function files(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true }))
    if (e.isDirectory()) out.push(...(await files(dir, rel ? `${rel}/${e.name}` : e.name)));
    else out.push(rel ? `${rel}/${e.name}` : e.name);
  return out.sort();
}

describe('build', () => {
  let first: { outcome: BuildOutcome; root: string };
  it('builds a release that verifies, with its pins', async () => {
    first = await build();
    const o = first.outcome;
    expect(o.findings).toEqual([]);
    expect(o.ok).toBe(true);
    expect(o.path).toBe(join(first.root, ID));
    expect(await files(join(first.root, ID))).toEqual([
      'cogs/a/ds--0100--0101.tif',
      'cogs/a/ds--0102--0103.tif',
      'cogs/a/ds--0104--0104.tif',
      'cogs/b/ds--0100--0101.tif',
      'cogs/b/ds--0102--0103.tif',
      'cogs/b/ds--0104--0104.tif',
      'collection.json',
      'items/ds--0100--0101.json',
      'items/ds--0102--0103.json',
      'items/ds--0104--0104.json',
      'overview.yml',
      'release-manifest.json',
    ]);
    const v = await verifyRelease(join(first.root, ID));
    expect(v.problems).toEqual([]);
    const manifestBytes = readFileSync(join(first.root, ID, 'release-manifest.json'));
    expect(o.pins).toEqual({
      release_id: ID,
      declaration_digest: parseReleaseManifest(manifestBytes.toString()).declaration.digest,
      manifest_sha256: sha256Hex(manifestBytes),
    });
    // nothing left in the staging area
    expect(await readdir(join(first.root, '.staging'))).toEqual([]);
  });

  it('band names, statistics and the empty timestep in the STAC', () => {
    const item = JSON.parse(readFileSync(join(first.root, ID, 'items/ds--0102--0103.json'), 'utf8')) as {
      assets: Record<string, { href: string; bands: { name: string; statistics: Record<string, number> }[] }>;
      properties: Record<string, unknown>;
    };
    expect(item.properties).toEqual({
      datetime: null,
      start_datetime: '0102-01-01T00:00:00Z',
      end_datetime: '0103-12-31T23:59:59Z',
    });
    expect(item.assets['a']?.href).toBe('../cogs/a/ds--0102--0103.tif');
    expect(item.assets['a']?.bands.map((b) => b.name)).toEqual(['0102', '0103']);
    expect(item.assets['a']?.bands[0]?.statistics).toEqual({ valid_percent: 0 });
    // band 4 of u16.tif = arange(12) * 4 + 21: 21 … 65, mean 43
    expect(item.assets['a']?.bands[1]?.statistics).toMatchObject({
      minimum: 21,
      maximum: 65,
      mean: 43,
      valid_percent: 100,
    });
  });

  it.runIf(requireShared())('every STAC file and document validates against the release-contract schemas', () => {
    const v = loadReleaseValidators();
    if (v === null) return;
    expect(stacProblems(v, join(first.root, ID))).toEqual([]);
  });

  it('rebuilding the same declaration gives byte-identical files', async () => {
    const again = await build({}, { jobs: 1 });
    expect(again.outcome.ok).toBe(true);
    const a = await files(join(first.root, ID));
    expect(await files(join(again.root, ID))).toEqual(a);
    for (const f of a)
      expect(readFileSync(join(again.root, ID, f)).equals(readFileSync(join(first.root, ID, f))), f).toBe(true);
  });

  it('TXN-002: refuses a release id that exists, touching nothing', async () => {
    const before = statSync(join(first.root, ID, 'release-manifest.json')).mtimeMs;
    const { outcome } = await build({}, { root: first.root });
    expect(ids(outcome)).toEqual(['TXN-002']);
    expect(statSync(join(first.root, ID, 'release-manifest.json')).mtimeMs).toBe(before);
  });

  it('TXN-003: refuses a dirty or unknown producer revision', async () => {
    expect(ids((await build({}, { revision: 'abc-dirty' })).outcome)).toEqual(['TXN-003']);
    expect(ids((await build({}, { revision: 'unknown' })).outcome)).toEqual(['TXN-003']);
  });

  it('SRC-004: source bytes that do not match the declared checksum', async () => {
    const m = sourceManifest().replace(/checksum: "1220[0-9a-f]{64}"/, `checksum: "1220${'0'.repeat(64)}"`);
    const { outcome, root } = await build({ manifest: m });
    expect(ids(outcome)).toEqual(['SRC-004']);
    expect(existsSync(join(root, ID))).toBe(false);
  });

  it('OBS-007: an empty band that is not declared, and a declared empty timestep with data', async () => {
    const undeclared = await build({ curated: CURATED.replace(/empty_timesteps:[\s\S]*?variables:/, 'variables:') });
    expect(ids(undeclared.outcome)).toEqual(['OBS-007']);
    expect(undeclared.outcome.findings.map((f) => f.band)).toEqual([3, 3]);
    const wrong = await build({ curated: CURATED.replace('last: "0102"', 'last: "0103"') });
    expect(ids(wrong.outcome)).toEqual(['OBS-007']);
    expect(existsSync(join(wrong.root, ID))).toBe(false);
  });

  it('a ledger entry with the same digest is a retry and builds', async () => {
    const digest = first.outcome.pins?.declaration_digest ?? '';
    const { outcome } = await build({
      ledger: `releases:\n  - release_id: "${ID}"\n    declaration_digest: "${digest}"\n`,
    });
    expect(outcome.ok).toBe(true);
  });

  it.runIf(existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmp() || '/tmp').dev)(
    'TXN-004: refuses a staging area on another filesystem',
    async () => {
      const root = join(tmp(), 'other-fs');
      const elsewhere = join('/dev/shm', `skope-staging-${process.pid}-${n}`);
      await mkdir(root, { recursive: true });
      await mkdir(elsewhere, { recursive: true });
      try {
        await symlink(elsewhere, join(root, '.staging'));
        expect(ids((await build({}, { root })).outcome)).toEqual(['TXN-004']);
      } finally {
        await rm(elsewhere, { recursive: true, force: true });
      }
    },
  );

  it('BLD-001: a failure while writing the COGs leaves its staging directory and nothing under ROOT/<release-id>', async () => {
    // When the COG stage starts, a file takes the place of the staging directory's cogs/ folder.
    const base = join(tmp(), `b${n}`);
    const { outcome, root } = await build(
      {},
      {
        onProgress: (p) => {
          if (p.stage !== 'cogs') return;
          const area = join(base, 'releases', '.staging');
          for (const name of readdirSync(area))
            if (!name.endsWith('.lease')) writeFileSync(join(area, name, 'cogs'), 'in the way');
        },
      },
    );
    expect(ids(outcome)).toEqual(['BLD-001']);
    expect(existsSync(join(root, ID))).toBe(false);
    expect(outcome.staging).not.toBeNull();
    expect(existsSync(outcome.staging ?? '')).toBe(true);
    expect(existsSync(`${outcome.staging ?? ''}.lease`)).toBe(true);
    expect(JSON.parse(await readFile(`${outcome.staging ?? ''}.lease`, 'utf8'))).toMatchObject({
      release_id: ID,
      pid: process.pid,
      stage: 'cogs',
    });
  });
});
