/**
 * Opening the pinned releases of a process: read the pin, check every pinned release (checks 1–12, in pin order),
 * then the display files (DISP-012) and each release against them (DISP-013), and compose the registry. Any refusal
 * refuses everything: {@link openReleaseDatasets} throws {@link ReleaseRefusedError} with every refusal, and the
 * server serves nothing. `skope release verify-pin` runs the same checks ({@link verifyPin}).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { SourceResolver } from '../../storage/source.js';
import { checkDisplayForRelease, parseDisplayFiles, type DisplayFiles } from './display.js';
import { categoryValues, composeReleases, gridUnits, type ComposedReleases } from './compose.js';
import { parsePin } from './pin.js';
import { ReleaseRefusedError, type Refusal } from './refusal.js';
import { checkPinnedRelease, type ReleaseCheck } from './verify.pin.js';

/** The settings of the same names (the config passes as is). */
export interface ReleaseSettings {
  releasePinPath: string;
  /** Overrides the pin's `release_root`. */
  releaseRoot?: string | undefined;
  displayPreferencesPath: string;
  displayPalettesPath: string;
}

/** Everything the checks found. */
export interface PinVerification {
  /** The release root used: a URL, or an absolute local path. */
  root: string | null;
  /** One result per pinned release, in pin order. */
  releases: ReleaseCheck[];
  display: DisplayFiles | null;
  /** Every refusal, in check order (pin, then each release's checks, then display). Empty = serve. */
  refusals: Refusal[];
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Runs every start-up check. Never throws for a bad pin, release or display file: every problem is a refusal.
 * @param options.full also checksum every file of every release (promotion).
 */
export async function verifyPin(
  settings: ReleaseSettings,
  resolver: SourceResolver,
  options: { full?: boolean } = {},
): Promise<PinVerification> {
  const out: PinVerification = { root: null, releases: [], display: null, refusals: [] };
  const pinText = await readLocal(settings.releasePinPath);
  if (pinText === null) {
    out.refusals.push(fileRefusal('PIN-001', 'pin_exists', settings.releasePinPath));
    return out;
  }
  const { pin, refusals } = parsePin(pinText, settings.releasePinPath);
  out.refusals.push(...refusals);
  if (pin === null) return out;
  const root = settings.releaseRoot ?? pin.release_root;
  out.root = SCHEME.test(root) || isAbsolute(root) ? root : resolvePath(dirname(settings.releasePinPath), root);

  for (const entry of pin.releases) {
    const check = await checkPinnedRelease(entry, out.root, resolver, options);
    out.releases.push(check);
    out.refusals.push(...check.refusals);
  }

  const prefs = await readLocal(settings.displayPreferencesPath);
  const palettes = await readLocal(settings.displayPalettesPath);
  if (prefs === null || palettes === null) {
    if (prefs === null)
      out.refusals.push(fileRefusal('DISP-012', 'display_file_exists', settings.displayPreferencesPath));
    if (palettes === null)
      out.refusals.push(fileRefusal('DISP-012', 'display_file_exists', settings.displayPalettesPath));
    return out;
  }
  const parsed = parseDisplayFiles(prefs, palettes, {
    preferences: settings.displayPreferencesPath,
    palettes: settings.displayPalettesPath,
  });
  out.refusals.push(...parsed.refusals);
  out.display = parsed.files;
  if (parsed.files === null) return out;
  for (const { release } of out.releases) {
    if (release === null) continue;
    const o = release.overview;
    out.refusals.push(
      ...checkDisplayForRelease(parsed.files, {
        datasetId: o.dataset.id,
        releaseId: o.release_id,
        variables: Object.entries(o.variables).map(([id, v]) => ({ id, categories: categoryValues(v.categories) })),
      }),
    );
    const units = gridUnits(release);
    if ('refusal' in units) out.refusals.push(units.refusal);
  }
  return out;
}

/**
 * The pinned releases as this process's datasets, or a {@link ReleaseRefusedError} naming every failed check.
 * @throws ReleaseRefusedError
 */
export async function openReleaseDatasets(
  settings: ReleaseSettings,
  resolver: SourceResolver,
): Promise<ComposedReleases> {
  const v = await verifyPin(settings, resolver);
  if (v.refusals.length > 0 || v.display === null || v.root === null) throw new ReleaseRefusedError(v.refusals);
  const releases = v.releases.map((r) => r.release).filter((r) => r !== null);
  return composeReleases(releases, v.display, v.root, resolver);
}

function fileRefusal(requirement: string, check: string, path: string): Refusal {
  return { requirement, dataset: '-', release_id: '-', check, expected: `${path} exists`, observed: 'missing' };
}

/** A local text file, or null when it does not exist. */
async function readLocal(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
