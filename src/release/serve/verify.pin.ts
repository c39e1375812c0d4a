/**
 * Start-up verification of the pinned releases (docs/RELEASES.md, "What the server checks at start-up"). Every pinned
 * release is checked in the order below, through the storage layer, so a release on S3 or behind HTTP is verified
 * (and then served) in place; the first failing check of a release ends that release's checks (later ones depend on
 * it). Any refusal anywhere refuses everything.
 *
 * Per pinned entry: 1 `manifest_exists`, 2 `manifest_sha256` (= pin), 3 `manifest_schema`, 4 `manifest_identity`
 * (release id and dataset = pin), 5 `file_sizes` (every listed file exists with its size; `file_checksums` too with
 * `full`), 6 `overview_checksum` (listed, present, multihash = manifest), 7 `overview_schema`, 8 `overview_identity`
 * (release id, declaration digest, dataset = pin), 9 `static_assets` (a static dataset names a listed data COG per
 * variable), 10 `encoding` (scale finite and non-zero, offset finite: physical values are served), 11 `time_axis`
 * (the axis rebuilds and its count = `time.count`), 12 `cog_paths` (the time-to-band rule names exactly the
 * manifest's `cogs/` files).
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { isAppError } from '../../errors.js';
import { joinStorageUrl } from '../../registry/lookup.resolve.js';
import type { SourceResolver } from '../../storage/source.js';
import { multihashOfHex, sha256Hex } from '../format/digest.js';
import { DocumentError, parseOverview, parseReleaseManifest } from '../format/documents.js';
import type { Overview, ReleaseManifest } from '../format/documents.js';
import { AxisError, ChunkLayout, enumeratedAxis, regularAxis, type TimeAxis } from '../format/timeaxis.js';
import type { PinEntry } from './pin.js';
import type { Refusal } from './refusal.js';

/** A release that passed every check: its documents and its time-to-band rule, ready to compose. */
export interface VerifiedRelease {
  entry: PinEntry;
  /** URL or absolute path of `<release_root>/<release_id>`. */
  dir: string;
  manifest: ReleaseManifest;
  overview: Overview;
  manifestSha256: string;
  /** Null for a static dataset. */
  layout: ChunkLayout | null;
}

/** The result of checking one release: the release when every check passed, else the refusal that stopped it. */
export interface ReleaseCheck {
  release: VerifiedRelease | null;
  refusals: Refusal[];
  /** Files whose size (and, with `full`, checksum) was checked, and their bytes. */
  files: number;
  bytes: number;
}

/** Bytes read per request while hashing a file (`full`). */
const HASH_CHUNK = 8 * 1024 * 1024;

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.check);
  }
}

/**
 * Runs checks 1–12 on one pinned release under `root`.
 * @param options.full also compare every file's multihash with the manifest (promotion; reads every byte).
 */
export async function checkPinnedRelease(
  entry: PinEntry,
  root: string,
  resolver: SourceResolver,
  options: { full?: boolean; concurrency?: number } = {},
): Promise<ReleaseCheck> {
  const dir = joinStorageUrl(root, entry.release_id);
  const refuse = (requirement: string, check: string, expected: string, observed: string): never => {
    throw new Refused({ requirement, dataset: entry.dataset, release_id: entry.release_id, check, expected, observed });
  };
  const stats = { files: 0, bytes: 0 };
  try {
    // 1. The manifest exists.
    const manifestBytes = await readAll(resolver, joinStorageUrl(dir, 'release-manifest.json')).catch((err: unknown) =>
      refuse('PIN-001', 'manifest_exists', `${entry.release_id}/release-manifest.json exists`, describe(err)),
    );
    // 2. Its bytes are the pinned ones.
    const manifestSha256 = sha256Hex(manifestBytes);
    if (manifestSha256 !== entry.manifest_sha256) {
      refuse('PIN-001', 'manifest_sha256', entry.manifest_sha256, manifestSha256);
    }
    // 3. It is a release manifest 1.0.0 (unknown fields refused).
    let manifest: ReleaseManifest;
    try {
      manifest = parseReleaseManifest(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
    } catch (err) {
      return refuse('TXN-011', 'manifest_schema', 'a release manifest 1.0.0', problems(err));
    }
    // 4. It describes the pinned release of the pinned dataset.
    if (manifest.release_id !== entry.release_id) {
      refuse('PIN-001', 'manifest_identity', `release_id ${entry.release_id}`, manifest.release_id);
    }
    if (manifest.dataset.id !== entry.dataset) {
      refuse('PIN-001', 'manifest_identity', `dataset ${entry.dataset}`, manifest.dataset.id);
    }
    // 5. Every listed file exists with its size (and its checksum when `full`).
    const limit = pLimit(options.concurrency ?? 8);
    const failures: { path: string; what: string }[] = [];
    await Promise.all(
      manifest.files.map((f) =>
        limit(async () => {
          const url = joinStorageUrl(dir, f.path);
          const source = resolver.open(url);
          try {
            const { size } = await source.head();
            if (size !== f.size) return void failures.push({ path: f.path, what: `size ${size} (manifest ${f.size})` });
            if (options.full === true) {
              const hex = await hashSource(source, size);
              if (multihashOfHex(hex) !== f.checksum) failures.push({ path: f.path, what: 'checksum differs' });
            }
            stats.files += 1;
            stats.bytes += size;
          } catch (err) {
            failures.push({ path: f.path, what: describe(err) });
          } finally {
            await source.close?.();
          }
        }),
      ),
    );
    if (failures.length > 0) {
      failures.sort((a, b) => (a.path < b.path ? -1 : 1));
      const checksums = failures.every((x) => x.what === 'checksum differs');
      refuse(
        'TXN-011',
        checksums ? 'file_checksums' : 'file_sizes',
        checksums ? 'every file matches its manifest checksum' : 'every manifest file exists with its size',
        failures.map((x) => `${x.path}: ${x.what}`).join('; '),
      );
    }
    // 6. The overview is listed, present, and its bytes are the listed ones.
    const listed = manifest.files.find((f) => f.path === 'overview.yml');
    if (listed === undefined)
      return refuse('TXN-011', 'overview_checksum', 'overview.yml listed in the manifest', 'not listed');
    const overviewBytes = await readAll(resolver, joinStorageUrl(dir, 'overview.yml')).catch((err: unknown) =>
      refuse('TXN-011', 'overview_checksum', 'overview.yml exists', describe(err)),
    );
    const overviewHash = multihashOfHex(sha256Hex(overviewBytes));
    if (overviewHash !== listed.checksum) refuse('TXN-011', 'overview_checksum', listed.checksum, overviewHash);
    // 7. It is an overview 1.0.0 (unknown fields refused; `time` present exactly for temporal datasets).
    let overview: Overview;
    try {
      overview = parseOverview(new TextDecoder('utf-8', { fatal: true }).decode(overviewBytes));
    } catch (err) {
      return refuse('API-002', 'overview_schema', 'an overview 1.0.0', problems(err));
    }
    // 8. It describes the pinned release, declaration and dataset.
    if (overview.release_id !== entry.release_id) {
      refuse('PIN-001', 'overview_identity', `release_id ${entry.release_id}`, overview.release_id);
    }
    if (overview.declaration_digest !== entry.declaration_digest) {
      refuse(
        'PIN-001',
        'overview_identity',
        `declaration_digest ${entry.declaration_digest}`,
        overview.declaration_digest,
      );
    }
    if (overview.dataset.id !== entry.dataset) {
      refuse('PIN-001', 'overview_identity', `dataset ${entry.dataset}`, overview.dataset.id);
    }
    const cogs = manifest.files.filter((f) => f.path.startsWith('cogs/')).map((f) => f.path);
    const time = overview.dataset.time;
    const variableIds = Object.keys(overview.variables).sort();
    // 9. Static datasets (served with the single timestep `static`): each variable names a listed COG.
    if (time === null) {
      const hrefs = variableIds.map((id) => (overview.variables[id]?.asset_href ?? '').replace(/^\.\//, ''));
      const missing = hrefs.filter((h) => !cogs.includes(h));
      if (missing.length > 0)
        refuse('PROTO-008', 'static_assets', 'every asset_href a listed cogs/ file', missing.join(', '));
      const extra = cogs.filter((c) => !hrefs.includes(c));
      if (extra.length > 0)
        refuse('PROTO-008', 'static_assets', 'no cogs/ file beyond the variables', extra.join(', '));
    }
    // 10. Scale and offset usable for physical values.
    for (const id of variableIds) {
      const v = overview.variables[id] as Overview['variables'][string];
      if (!Number.isFinite(v.scale) || v.scale === 0 || !Number.isFinite(v.offset)) {
        refuse(
          'PROTO-010',
          'encoding',
          `${id}: finite non-zero scale, finite offset`,
          `scale ${v.scale}, offset ${v.offset}`,
        );
      }
    }
    if (time === null)
      return { release: { entry, dir, manifest, overview, manifestSha256, layout: null }, refusals: [], ...stats };
    // 11. The time axis rebuilds and has `count` timesteps.
    let axis: TimeAxis;
    let layout: ChunkLayout;
    try {
      axis =
        time.kind === 'regular'
          ? regularAxis(time.precision, time.origin, time.step, time.count)
          : enumeratedAxis(time.precision, time.values);
      axis.keys(); // every key must be a real date
      layout = new ChunkLayout(overview.dataset.id, axis, time.chunk_size);
    } catch (err) {
      return refuse(
        'API-002',
        'time_axis',
        `a ${time.kind} axis of ${time.count} timesteps`,
        err instanceof AxisError ? err.message : describe(err),
      );
    }
    if (axis.count !== time.count) refuse('API-002', 'time_axis', `${time.count} timesteps`, `${axis.count}`);
    // 12. The time-to-band rule names exactly the manifest's COGs.
    const named = new Set(layout.cogPaths(variableIds));
    const missing = [...named].filter((p) => !cogs.includes(p)).sort();
    const extra = cogs.filter((p) => !named.has(p)).sort();
    if (missing.length > 0 || extra.length > 0) {
      refuse(
        'API-002',
        'cog_paths',
        'the COG paths of the time-to-band rule = the manifest cogs/ files',
        [
          missing.length > 0 ? `not in the manifest: ${clip(missing)}` : '',
          extra.length > 0 ? `not named by the rule: ${clip(extra)}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      );
    }
    return { release: { entry, dir, manifest, overview, manifestSha256, layout }, refusals: [], ...stats };
  } catch (err) {
    if (err instanceof Refused) return { release: null, refusals: [err.refusal], ...stats };
    throw err;
  }
}

/** The whole object's bytes. */
async function readAll(resolver: SourceResolver, url: string): Promise<Uint8Array> {
  const source = resolver.open(url);
  try {
    return new Uint8Array(await source.fetch(0));
  } finally {
    await source.close?.();
  }
}

/** SHA-256 hex of a source's `size` bytes, read in chunks. */
async function hashSource(
  source: { fetch(offset: number, length?: number): Promise<ArrayBuffer> },
  size: number,
): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += HASH_CHUNK) {
    hash.update(new Uint8Array(await source.fetch(offset, Math.min(HASH_CHUNK, size - offset))));
  }
  return hash.digest('hex');
}

function describe(err: unknown): string {
  if (isAppError(err, 'source_not_found')) return 'missing';
  if (isAppError(err)) return `${err.code}`;
  return err instanceof Error ? err.message : String(err);
}

function problems(err: unknown): string {
  return err instanceof DocumentError ? err.problems.join('; ') : describe(err);
}

function clip(paths: readonly string[]): string {
  return paths.length > 5 ? `${paths.slice(0, 5).join(', ')} … (${paths.length})` : paths.join(', ');
}
