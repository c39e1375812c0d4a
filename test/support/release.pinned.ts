/**
 * A pinned deployment of the tiny test release (`release.tiny.ts`: dataset `ds`, variable `v`, years 0100–0104 in
 * chunks of 2, values band × 10 + row): the release under a root, a pin file, display files, and the settings that
 * point the service at them. Helpers edit a release the way an operator (or an accident) would: a file's bytes, the
 * overview with or without re-listing it in the manifest, the pin.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { multihash, sha256Hex } from '../../src/release/format/digest.js';
import { releaseJson } from '../../src/release/format/serialize.js';
import { TINY_DIGEST, TINY_ID, writeTinyRelease } from './release.tiny.js';

const DEPLOY = new URL('../../deploy/display/', import.meta.url).pathname;

/** Display preferences of the tiny dataset (viridis over 0…50, its values' span). */
export const TINY_PREFERENCES = `datasets:
  ds:
    order: 1
    map_view: {center: {lon: -109.8, lat: 36.15}, zoom: 8}
    variables:
      v: {order: 1, palette: viridis, type: continuous, range: [0, 50], note: The values' span.}
`;

/** A pinned tiny release and the files around it. */
export interface PinnedTiny {
  /** The release root (holds `<TINY_ID>/`). */
  root: string;
  dir: string;
  pinPath: string;
  preferencesPath: string;
  palettesPath: string;
  /** The service settings (env) that serve it. */
  env: Record<string, string>;
}

/** The pin text for the tiny release with these values. */
export function pinText(o: {
  manifestSha: string;
  digest?: string;
  releaseId?: string;
  root?: string;
  extra?: string;
}): string {
  return `release_root: ${JSON.stringify(o.root ?? 'releases')}
releases:
  - dataset: ds
    release_id: ${o.releaseId ?? TINY_ID}
    declaration_digest: ${o.digest ?? TINY_DIGEST}
    manifest_sha256: ${o.manifestSha}
${o.extra ?? ''}`;
}

/** Writes the tiny release under `<base>/releases/`, a pin (`<base>/pin.yml`) and display files (`<base>/display/`). */
export async function writePinnedTiny(base: string): Promise<PinnedTiny> {
  const root = join(base, 'releases');
  const dir = await writeTinyRelease(root);
  await mkdir(join(base, 'display'), { recursive: true });
  const preferencesPath = join(base, 'display', 'preferences.yml');
  const palettesPath = join(base, 'display', 'palettes.yml');
  await writeFile(preferencesPath, TINY_PREFERENCES);
  await copyFile(join(DEPLOY, 'palettes.yml'), palettesPath);
  const pinPath = join(base, 'pin.yml');
  await writeFile(pinPath, pinText({ manifestSha: await manifestSha256(dir) }));
  return {
    root,
    dir,
    pinPath,
    preferencesPath,
    palettesPath,
    env: {
      RELEASE_PIN_PATH: pinPath,
      DISPLAY_PREFERENCES_PATH: preferencesPath,
      DISPLAY_PALETTES_PATH: palettesPath,
      JOB_STORE: 'memory',
    },
  };
}

/** SHA-256 hex of a release's manifest bytes (what a pin records). */
export async function manifestSha256(dir: string): Promise<string> {
  return sha256Hex(await readFile(join(dir, 'release-manifest.json')));
}

/**
 * Replaces a release file's bytes and, when `relist`, its manifest entry (size and checksum), then re-pins the new
 * manifest: only the checks after the manifest can then notice.
 */
export async function rewriteFile(
  t: PinnedTiny,
  path: string,
  edit: (bytes: Buffer) => Buffer | string,
  relist: boolean,
): Promise<void> {
  const file = join(t.dir, path);
  const bytes = edit(await readFile(file));
  await writeFile(file, bytes);
  if (!relist) return;
  const manifest = JSON.parse(await readFile(join(t.dir, 'release-manifest.json'), 'utf8')) as {
    files: { path: string; size: number; checksum: string }[];
  };
  const entry = manifest.files.find((f) => f.path === path);
  if (entry === undefined) throw new Error(`${path} is not in the manifest`);
  entry.size = Buffer.byteLength(bytes);
  entry.checksum = multihash(bytes);
  await rewriteManifest(t, () => manifest);
}

/** Rewrites the manifest JSON and re-pins its new bytes. */
export async function rewriteManifest(t: PinnedTiny, edit: (m: Record<string, unknown>) => unknown): Promise<void> {
  const path = join(t.dir, 'release-manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, releaseJson(edit(manifest) as Parameters<typeof releaseJson>[0]));
  await writeFile(t.pinPath, pinText({ manifestSha: await manifestSha256(t.dir) }));
}
