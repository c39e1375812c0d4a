/**
 * Start-up verification: a sound pinned release passes; one failing case per check — the server refuses, naming the
 * check, with one structured refusal {requirement, dataset, release_id, check, expected, observed}.
 */
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createDeps } from '../../deps.js';
import { createSourceResolver } from '../../storage/resolver.js';
import { TINY_ID, tinyOverview } from '../../../test/support/release.tiny.js';
import { writeCopiedRelease } from '../../../test/support/release.copy.js';
import {
  manifestSha256,
  pinText,
  rewriteFile,
  rewriteManifest,
  TINY_PREFERENCES,
  writePinnedTiny,
  type PinnedTiny,
} from '../../../test/support/release.pinned.js';
import { openReleaseDatasets, verifyPin, type ReleaseSettings } from './open.js';
import { ReleaseRefusedError } from './refusal.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

async function fresh(): Promise<PinnedTiny> {
  const base = await mkdtemp(join(tmpdir(), 'skope-pin-'));
  made.push(base);
  return writePinnedTiny(base);
}

const settings = (t: PinnedTiny): ReleaseSettings => ({
  releasePinPath: t.pinPath,
  displayPreferencesPath: t.preferencesPath,
  displayPalettesPath: t.palettesPath,
});

/** `requirement:check` of every refusal. */
async function refusals(t: PinnedTiny, full = false): Promise<string[]> {
  const v = await verifyPin(settings(t), createSourceResolver(), { full });
  return v.refusals.map((r) => `${r.requirement}:${r.check}`);
}

/** Edits overview.yml (as text), re-lists it in the manifest and re-pins: only checks 7–14 can notice. */
const editOverview = (t: PinnedTiny, edit: (text: string) => string) =>
  rewriteFile(t, 'overview.yml', (b) => edit(b.toString('utf8')), true);

describe('a sound pinned release', () => {
  it('passes every check (quick and full) and composes the registry and /metadata', async () => {
    const t = await fresh();
    expect(await refusals(t)).toEqual([]);
    const full = await verifyPin(settings(t), createSourceResolver(), { full: true });
    expect(full.refusals).toEqual([]);
    expect(full.releases[0]?.files).toBe(8); // collection, overview, 3 items, 3 COGs
    const { datasets, metadata } = await openReleaseDatasets(settings(t), createSourceResolver());
    expect(metadata.datasets.map((d) => [d.id, d.release_id])).toEqual([['ds', TINY_ID]]);
    const lookup = await datasets.lookups.get('ds');
    // The time-to-band rule: 0103 is band 2 of the chunk 0102–0103; 0104 alone in the short last chunk.
    expect(lookup.get('v')?.get('0103')).toEqual({ file: `${TINY_ID}/cogs/v/ds--0102--0103.tif`, bidx: 2 });
    expect(lookup.get('v')?.get('0104')).toEqual({ file: `${TINY_ID}/cogs/v/ds--0104--0104.tif`, bidx: 1 });
    expect([...(lookup.get('v')?.keys() ?? [])]).toEqual(['0100', '0101', '0102', '0103', '0104']);
    expect(datasets.registry.get('ds')?.period).toEqual({ gte: '0100', lte: '0104' });
  });
});

describe('one failing case per check, in order', () => {
  it('PIN-001: the pin file is missing, does not parse, has an unknown field, or pins nothing', async () => {
    const t = await fresh();
    await writeFile(t.pinPath, 'release_root: releases\nreleases: []\n');
    expect(await refusals(t)).toEqual(['PIN-001:pin_schema']);
    await writeFile(t.pinPath, pinText({ manifestSha: await manifestSha256(t.dir), extra: 'environment: dev\n' }));
    expect(await refusals(t)).toEqual(['PIN-001:pin_schema']);
    await writeFile(t.pinPath, 'release_root: [\n');
    expect(await refusals(t)).toEqual(['PIN-001:pin_parses']);
    await rm(t.pinPath);
    expect(await refusals(t)).toEqual(['PIN-001:pin_exists']);
  });

  it('PIN-005: a dataset pinned twice', async () => {
    const t = await fresh();
    const sha = await manifestSha256(t.dir);
    const twice = `${pinText({ manifestSha: sha })}  - dataset: ds\n    release_id: ${TINY_ID}\n    declaration_digest: ${'d'.repeat(64)}\n    manifest_sha256: ${sha}\n`;
    await writeFile(t.pinPath, twice);
    expect(await refusals(t)).toEqual(['PIN-005:pin_unique_dataset']);
  });

  it('1 manifest_exists: the pinned release is not under the root', async () => {
    const t = await fresh();
    await writeFile(t.pinPath, pinText({ manifestSha: await manifestSha256(t.dir), releaseId: 'ds-r-2026.10.08' }));
    const v = await verifyPin(settings(t), createSourceResolver());
    expect(v.refusals).toEqual([
      {
        requirement: 'PIN-001',
        dataset: 'ds',
        release_id: 'ds-r-2026.10.08',
        check: 'manifest_exists',
        expected: 'ds-r-2026.10.08/release-manifest.json exists',
        observed: 'missing',
      },
    ]);
  });

  it('2 manifest_sha256: a wrong digest in the pin', async () => {
    const t = await fresh();
    await writeFile(t.pinPath, pinText({ manifestSha: 'a'.repeat(64) }));
    const v = await verifyPin(settings(t), createSourceResolver());
    expect(v.refusals.map((r) => [r.check, r.expected, r.observed])).toEqual([
      ['manifest_sha256', 'a'.repeat(64), await manifestSha256(t.dir)],
    ]);
  });

  it('3 manifest_schema: an unknown field in the manifest', async () => {
    const t = await fresh();
    await rewriteManifest(t, (m) => ({ ...m, crs: 'EPSG:4326' }));
    expect(await refusals(t)).toEqual(['TXN-011:manifest_schema']);
  });

  it('4 manifest_identity: the manifest names another dataset', async () => {
    const t = await fresh();
    await rewriteManifest(t, (m) => ({ ...m, dataset: { ...(m['dataset'] as object), id: 'other' } }));
    expect(await refusals(t)).toEqual(['PIN-001:manifest_identity']);
  });

  it('5 file_sizes: a COG one byte shorter; a missing file', async () => {
    const t = await fresh();
    const cog = join(t.dir, 'cogs/v/ds--0102--0103.tif');
    const size = (await readFile(cog)).length;
    await truncate(cog, size - 1);
    const v = await verifyPin(settings(t), createSourceResolver());
    expect(v.refusals.map((r) => [r.check, r.observed])).toEqual([
      ['file_sizes', `cogs/v/ds--0102--0103.tif: size ${size - 1} (manifest ${size})`],
    ]);
    await rm(cog);
    expect((await verifyPin(settings(t), createSourceResolver())).refusals[0]?.observed).toBe(
      'cogs/v/ds--0102--0103.tif: missing',
    );
  });

  it('5 file_checksums (promotion, --full): one tampered COG byte passes the quick check and fails the full one', async () => {
    const t = await fresh();
    await rewriteFile(
      t,
      'cogs/v/ds--0100--0101.tif',
      (b) => {
        const copy = Buffer.from(b);
        copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0xff;
        return copy;
      },
      false,
    );
    expect(await refusals(t)).toEqual([]);
    expect(await refusals(t, true)).toEqual(['TXN-011:file_checksums']);
  });

  it('6 overview_checksum: the overview edited in place (same size)', async () => {
    const t = await fresh();
    const path = join(t.dir, 'overview.yml');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"Tiny"', '"Tinx"'));
    expect(await refusals(t)).toEqual(['TXN-011:overview_checksum']);
  });

  it('7 overview_schema: an unknown field in an overview the manifest lists', async () => {
    const t = await fresh();
    await editOverview(t, (s) => s.replace('  region_name:', '  colormap: "viridis"\n  region_name:'));
    expect(await refusals(t)).toEqual(['API-002:overview_schema']);
  });

  it('8 overview_identity: the pin was approved with another declaration digest', async () => {
    const t = await fresh();
    await writeFile(t.pinPath, pinText({ manifestSha: await manifestSha256(t.dir), digest: 'e'.repeat(64) }));
    const v = await verifyPin(settings(t), createSourceResolver());
    expect(v.refusals.map((r) => [r.requirement, r.check, r.observed])).toEqual([
      ['PIN-001', 'overview_identity', 'd'.repeat(64)],
    ]);
  });

  it('9 static_assets: a static dataset whose variable names a COG the release does not list', async () => {
    const t = await fresh();
    const o = tinyOverview();
    const overview = {
      ...o,
      release_id: 'st-r-2026.10.07',
      dataset: { ...o.dataset, id: 'st', profile: 'StaticRasterDataset' as const, time: null },
      variables: { v: { ...o.variables['v']!, asset_href: 'cogs/elevation.tif', band_name: 'v' } },
    };
    const root = join(t.root, '..', 'static-releases');
    const { manifestSha256: sha } = await writeCopiedRelease(root, overview, [
      { id: 'v', entry: overview.variables.v, cogs: { '': join(t.dir, 'cogs/v/ds--0104--0104.tif') } },
    ]);
    await writeFile(
      t.pinPath,
      `release_root: static-releases\nreleases:\n  - dataset: st\n    release_id: st-r-2026.10.07\n` +
        `    declaration_digest: ${'d'.repeat(64)}\n    manifest_sha256: ${sha}\n`,
    );
    const v = await verifyPin(settings(t), createSourceResolver());
    expect(v.refusals.map((r) => [r.requirement, r.check, r.observed])).toEqual([
      ['PROTO-008', 'static_assets', 'cogs/elevation.tif'],
    ]);
  });

  it('10 encoding: a zero scale', async () => {
    const t = await fresh();
    await editOverview(t, (s) => s.replace('scale: 1.0', 'scale: 0.0'));
    expect(await refusals(t)).toEqual(['PROTO-010:encoding']);
  });

  it('11 time_axis: a step finer than the precision', async () => {
    const t = await fresh();
    await editOverview(t, (s) => s.replace('step: "P1Y"', 'step: "P1M"'));
    expect(await refusals(t)).toEqual(['API-002:time_axis']);
  });

  it('12 cog_paths: a chunk size the COG files do not follow', async () => {
    const t = await fresh();
    await editOverview(t, (s) => s.replace('chunk_size: 2', 'chunk_size: 3'));
    const v = await verifyPin(settings(t), createSourceResolver());
    expect(v.refusals.map((r) => `${r.requirement}:${r.check}`)).toEqual(['API-002:cog_paths']);
    expect(v.refusals[0]?.observed).toBe(
      'not in the manifest: cogs/v/ds--0100--0102.tif, cogs/v/ds--0103--0104.tif; not named by the rule: ' +
        'cogs/v/ds--0100--0101.tif, cogs/v/ds--0102--0103.tif, cogs/v/ds--0104--0104.tif',
    );
  });

  it('13 DISP-012: a display file that fails its schema (a variable colormap key)', async () => {
    const t = await fresh();
    await writeFile(t.preferencesPath, TINY_PREFERENCES.replace('palette: viridis', 'palette: viridis, colormap: x'));
    expect(await refusals(t)).toEqual(['DISP-012:display_file_schema']);
  });

  it('14 DISP-013: a missing display entry; a palette kind that does not fit', async () => {
    const t = await fresh();
    await writeFile(t.preferencesPath, TINY_PREFERENCES.replace('\n      v: {', '\n      w: {'));
    expect(await refusals(t)).toEqual(['DISP-001:display_variable_entry']);
    await writeFile(
      t.palettesPath,
      `${await readFile(t.palettesPath, 'utf8')}\nniche-binary:\n  kind: set\n  colors: ["#e8e8e8", "#2b8c3e"]\n`,
    );
    await writeFile(
      t.preferencesPath,
      TINY_PREFERENCES.replace('palette: viridis, type: continuous, range: [0, 50]', 'palette: niche-binary'),
    );
    expect(await refusals(t)).toEqual(['DISP-002:continuous_has_range', 'DISP-010:palette_kind']);
  });

  it('the server refuses: createDeps throws every refusal and starts nothing', async () => {
    const t = await fresh();
    await writeFile(t.pinPath, pinText({ manifestSha: 'b'.repeat(64) }));
    const err = await createDeps(loadConfig(t.env)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReleaseRefusedError);
    expect((err as ReleaseRefusedError).refusals.map((r) => r.check)).toEqual(['manifest_sha256']);
    expect((err as Error).message).toMatch(/manifest_sha256 failed for ds-r-2026\.10\.07/);
  });
});
