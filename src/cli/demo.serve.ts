/**
 * What serves the demo release as a pinned release: a pin file (the release's id, declaration digest and manifest
 * SHA-256, read back from the release itself), the demo's display files (ranges that fit its synthetic values, so
 * maps show structure rather than one flat colour) and a settings file naming them, which `npm start` passes to
 * `skope serve --settings-path`.
 *
 * Layout under the demo dir: `pin.yml`, `display/preferences.yml`, `display/palettes.yml`, `serve.yml`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createColormapSet, lutStops } from '../registry/colormaps.js';
import { sha256Hex } from '../release/format/digest.js';
import { parseOverview } from '../release/format/documents.js';

/** The demo's display preferences: its two variables over the ranges that hold their values. */
export const DEMO_PREFERENCES = `# Display preferences of the demo dataset (written by skope demo).
defaults:
  ticks: 5
  nodata: transparent
datasets:
  paleocar_demo:
    order: 1
    map_view:
      center: {lon: -108.5, lat: 37.0}
      zoom: 4
    default_variable: ppt_annual
    variables:
      ppt_annual:
        order: 10
        palette: skope-precip
        type: continuous
        range: [100, 1100]
        note: Spans the synthetic precipitation field's values (about 160 to 1080 mm).
      gdd_annual:
        order: 20
        palette: viridis
        type: continuous
        range: [1000, 5200]
        note: Spans the synthetic growing-degree-days field's values (about 1600 to 5100).
`;

/** The demo's palettes: `skope-precip` (as `stops`) and matplotlib's `viridis` (the built-in 256 colours). */
export function demoPalettes(skopePrecip: readonly string[]): string {
  const viridis = lutStops(createColormapSet().get('viridis')?.lut as Uint8Array);
  const list = (colors: readonly string[]) => `[${colors.map((c) => `"${c}"`).join(', ')}]`;
  return `# Palettes of the demo dataset (written by skope demo).
skope-precip:
  kind: ramp
  colors: ${list(skopePrecip)}
viridis:
  kind: ramp
  colors: ${list(viridis)}
`;
}

/** Paths of what {@link writeDemoServing} writes. */
export interface DemoServing {
  pinPath: string;
  settingsPath: string;
}

/**
 * Writes the pin of `releaseDir` (its overview names the dataset, release id and declaration digest; the manifest's
 * bytes give the SHA-256), the display files and `serve.yml` into `dir`. The pin's `release_root` is relative to the
 * pin, so the demo dir can move; `serve.yml` holds absolute paths (settings are not relative to their file).
 */
export async function writeDemoServing(
  dir: string,
  releaseDir: string,
  skopePrecip: readonly string[],
): Promise<DemoServing> {
  const root = resolve(dir);
  const overview = parseOverview(await readFile(join(releaseDir, 'overview.yml'), 'utf8'));
  const manifestSha = sha256Hex(await readFile(join(releaseDir, 'release-manifest.json')));
  const pinPath = join(root, 'pin.yml');
  const releaseRoot = relative(root, dirname(resolve(releaseDir))) || '.';
  await writeFile(
    pinPath,
    `# The demo's pin (written by skope demo): the release npm start serves.\n` +
      `release_root: ${JSON.stringify(releaseRoot)}\nreleases:\n  - dataset: ${overview.dataset.id}\n` +
      `    release_id: ${overview.release_id}\n    declaration_digest: ${overview.declaration_digest}\n` +
      `    manifest_sha256: ${manifestSha}\n`,
  );
  await mkdir(join(root, 'display'), { recursive: true });
  const preferences = join(root, 'display', 'preferences.yml');
  const palettes = join(root, 'display', 'palettes.yml');
  await writeFile(preferences, DEMO_PREFERENCES);
  await writeFile(palettes, demoPalettes(skopePrecip));
  const settingsPath = join(root, 'serve.yml');
  await writeFile(
    settingsPath,
    `# Settings that serve the demo as a pinned release: npm start runs skope serve --settings-path <this file>.\n` +
      `release_pin_path: ${JSON.stringify(pinPath)}\ndisplay_preferences_path: ${JSON.stringify(preferences)}\n` +
      `display_palettes_path: ${JSON.stringify(palettes)}\n`,
  );
  return { pinPath, settingsPath };
}
