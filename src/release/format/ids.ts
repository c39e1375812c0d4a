/**
 * Identifiers of a release: dataset/variable ids, release ids and their same-day sequence, item ids and paths.
 */

/** Dataset and variable ids: lower-case letter, then lower-case letters, digits, `_`. */
export const IDENTIFIER_RE = /^[a-z][a-z0-9_]*$/;
/** `<dataset>-r-YYYY.MM.DD` or `…-N` with N = 2, 3, … (no `-1`, no leading zero). */
export const RELEASE_ID_RE = /^[a-z][a-z0-9_]*-r-\d{4}\.\d{2}\.\d{2}(-([2-9]|[1-9]\d+))?$/;
/** 64 lower-case hex digits (declaration digest, manifest SHA-256). */
export const SHA256_HEX_RE = /^[0-9a-f]{64}$/;
/** sha2-256 multihash: `1220` + 64 lower-case hex digits. */
export const MULTIHASH_RE = /^1220[0-9a-f]{64}$/;
/** RFC 3339 UTC to the second with `Z`. */
export const RFC3339_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** A parsed release id. `sequence` is 1 for the first release of a day (no suffix), then 2, 3, … */
export interface ReleaseIdParts {
  dataset: string;
  /** `YYYY.MM.DD`. */
  date: string;
  sequence: number;
}

/** Parse a release id, or null when it does not match the release-id pattern. */
export function parseReleaseId(id: string): ReleaseIdParts | null {
  if (!RELEASE_ID_RE.test(id)) return null;
  const m = /^(.*)-r-(\d{4}\.\d{2}\.\d{2})(?:-(\d+))?$/.exec(id);
  if (!m) return null;
  return { dataset: m[1] as string, date: m[2] as string, sequence: m[3] === undefined ? 1 : Number(m[3]) };
}

/** Format a release id; sequence 1 has no suffix. */
export function formatReleaseId(dataset: string, date: string, sequence: number): string {
  return sequence <= 1 ? `${dataset}-r-${date}` : `${dataset}-r-${date}-${sequence}`;
}

/** `YYYY.MM.DD` of an RFC 3339 UTC timestamp (`2026-10-07T15:10:00Z` → `2026.10.07`). */
export const releaseDate = (created: string): string => created.slice(0, 10).replaceAll('-', '.');

/** One ledger entry (`releases.yml`). */
export interface LedgerEntryLike {
  release_id: string;
  declaration_digest: string;
  withdrawn?: string | null | undefined;
}

/** The next release id of a dataset for a creation date: highest same-day sequence in the ledger + 1. */
export function nextReleaseId(dataset: string, created: string, ledger: readonly LedgerEntryLike[]): string {
  const date = releaseDate(created);
  let max = 0;
  for (const e of ledger) {
    const p = parseReleaseId(e.release_id);
    if (p && p.dataset === dataset && p.date === date) max = Math.max(max, p.sequence);
  }
  return formatReleaseId(dataset, date, max + 1);
}

/** A problem with a requested release id: requirement id and message. */
export interface ReleaseIdProblem {
  id: 'REL-006' | 'MAN-011' | 'REL-008';
  message: string;
}

/**
 * Check a requested release id against the dataset, the declaration's `release.created` and the ledger:
 * the dataset and date parts must match; an id already in the ledger is accepted only with the same digest and
 * never when withdrawn; a new id must be the next of that day's sequence and its digest must not be recorded
 * under another id. Returns every problem (empty when the id is acceptable).
 */
export function checkReleaseId(
  releaseId: string,
  opts: { dataset: string; created: string; digest: string; ledger: readonly LedgerEntryLike[] },
): ReleaseIdProblem[] {
  const problems: ReleaseIdProblem[] = [];
  const parts = parseReleaseId(releaseId);
  if (!parts) {
    return [
      {
        id: 'REL-006',
        message: `'${releaseId}' is not <dataset-id>-r-YYYY.MM.DD[-N] (N from 2, no leading zero).`,
      },
    ];
  }
  if (parts.dataset !== opts.dataset)
    problems.push({ id: 'REL-006', message: `release id names dataset '${parts.dataset}', not '${opts.dataset}'.` });
  const date = releaseDate(opts.created);
  if (parts.date !== date)
    problems.push({
      id: 'REL-006',
      message: `release id date ${parts.date} differs from the UTC date of release.created (${date}).`,
    });
  const existing = opts.ledger.find((e) => e.release_id === releaseId);
  if (existing) {
    if (existing.declaration_digest !== opts.digest)
      problems.push({
        id: 'MAN-011',
        message: `${releaseId} is already bound to digest ${existing.declaration_digest}; this declaration's digest is ${opts.digest}. A changed declaration needs a new release id.`,
      });
    if (existing.withdrawn != null && existing.withdrawn !== '')
      problems.push({
        id: 'REL-008',
        message: `${releaseId} was withdrawn (${existing.withdrawn}); its id is never reused.`,
      });
    return problems;
  }
  for (const e of opts.ledger) {
    if (e.declaration_digest === opts.digest)
      problems.push({
        id: 'MAN-011',
        message: `this declaration is already released as ${e.release_id}; two release ids never share a digest.`,
      });
  }
  const expected = nextReleaseId(opts.dataset, opts.created, opts.ledger);
  if (parts.dataset === opts.dataset && parts.date === date && releaseId !== expected)
    problems.push({ id: 'REL-006', message: `the next release id for ${opts.dataset} on ${date} is ${expected}.` });
  return problems;
}

/** Path patterns of the closed release layout. */
export const LAYOUT = {
  collection: 'collection.json',
  overview: 'overview.yml',
  manifest: 'release-manifest.json',
  item: /^items\/([a-z][a-z0-9_]*)--([0-9TZ-]+)--([0-9TZ-]+)\.json$/,
  temporalCog: /^cogs\/([a-z][a-z0-9_]*)\/([a-z][a-z0-9_]*)--([0-9TZ-]+)--([0-9TZ-]+)\.tif$/,
  staticCog: /^cogs\/([a-z][a-z0-9_]*)\.tif$/,
} as const;

/** Manifest file roles. */
export type FileRole = 'stac' | 'collection' | 'item' | 'data' | 'derived';

/** The roles a release-relative path implies, in order, or null for a path outside the closed layout. */
export function rolesForPath(path: string): FileRole[] | null {
  if (path === LAYOUT.collection) return ['stac', 'collection'];
  if (path === LAYOUT.overview) return ['derived'];
  if (LAYOUT.item.test(path)) return ['stac', 'item'];
  if (LAYOUT.temporalCog.test(path) || LAYOUT.staticCog.test(path)) return ['data'];
  return null;
}
