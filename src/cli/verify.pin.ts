/**
 * `skope release verify-pin [--full]`: the promotion step. Runs every start-up check of the pinned releases and the
 * display files (the settings name them: RELEASE_PIN_PATH, RELEASE_ROOT, DISPLAY_PREFERENCES_PATH,
 * DISPLAY_PALETTES_PATH); with `--full` also compares every file of every release with its manifest checksum. Prints
 * one JSON line per pinned release (`{dataset, release_id, declaration_digest, manifest_sha256, path, verification,
 * result}`) and one per refusal; exits 0 only when nothing is refused.
 */
import { loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { openCogs } from '../raster/cog.store.js';
import { verifyPin } from '../release/serve/open.js';
import { joinStorageUrl } from '../registry/lookup.resolve.js';
import type { CliIo } from './extract.js';
import { takeFlags } from './flags.js';

/** Runs `skope release verify-pin …` (argv after `verify-pin`); resolves with the exit code. */
export async function runVerifyPin(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: Pick<CliIo, 'stdout' | 'stderr'>,
): Promise<number> {
  const { own, rest } = takeFlags(argv, [], ['full']);
  const config = loadConfig(env, rest);
  if (config.releasePinPath === undefined) {
    throw new AppError('invalid_request', 'skope release verify-pin needs RELEASE_PIN_PATH (or --release-pin-path).');
  }
  const full = own.has('full');
  const cogs = openCogs(config);
  try {
    const v = await verifyPin({ ...config, releasePinPath: config.releasePinPath }, cogs.resolver, { full });
    const refusedReleases = new Set(v.refusals.map((r) => r.release_id));
    const display = v.refusals.some((r) => r.release_id === '-');
    for (const check of v.releases) {
      const entry = check.release?.entry;
      const r = check.release;
      const id = entry?.release_id ?? check.refusals[0]?.release_id ?? '-';
      io.stdout.write(
        `${JSON.stringify({
          dataset: entry?.dataset ?? check.refusals[0]?.dataset ?? '-',
          release_id: id,
          declaration_digest: r?.overview.declaration_digest ?? null,
          manifest_sha256: r?.manifestSha256 ?? null,
          path: v.root === null ? null : joinStorageUrl(v.root, id),
          verification: full ? 'full' : 'quick',
          files: check.files,
          bytes: check.bytes,
          result: r !== null && !refusedReleases.has(id) && !display ? 'passed' : 'refused',
        })}\n`,
      );
    }
    for (const refusal of v.refusals) io.stdout.write(`${JSON.stringify({ refused: true, ...refusal })}\n`);
    if (v.refusals.length > 0) {
      io.stderr.write(
        `skope release verify-pin: ${v.refusals.length} check(s) failed; this pin must not be promoted.\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await cogs.close();
  }
}
