/**
 * Resolution of a time range or one timestep to storage URLs and bands through a parsed lookup.
 */
import { AppError } from '../errors.js';
import { normalizeReleaseBound, normalizeTimestep, requireCanonicalKey } from './timestep.js';
import type { DatasetEntry, Lookup, LookupEntry, TemporalSelection } from './types.js';

/** A dataset's time protocol: `release` for a pinned release (docs/RELEASES.md), else the lookup.json rules. */
export type TimeProtocol = DatasetEntry['release'];

/** The reserved timestep key of a static release dataset (one value, no time axis). */
export const STATIC_KEY = 'static';

/**
 * The timesteps of `variableId` within [gte, lte] and where their bands live: both bounds are normalised to
 * the precision of the variable's first key, then keys are compared as strings. One ref per timestep, in timestep
 * order (callers never depend on file/band ordering).
 * @param baseUrl storage root: a local directory, `file://`, `s3://bucket/prefix` or `http(s)://` URL.
 * @throws AppError `variable_not_found` | `timestep_malformed` | `time_range_empty`.
 */
export function resolveTemporalSlice(
  lookup: Lookup,
  variableId: string,
  gte: string,
  lte: string,
  baseUrl: string,
  protocol?: TimeProtocol,
): TemporalSelection {
  const steps = variableSteps(lookup, variableId);
  const first = steps.keys().next().value as string;
  const release = protocol?.precision;
  const bound = (k: string): string =>
    release === undefined
      ? normalizeTimestep(k, first)
      : release === 'static'
        ? staticKey(k)
        : normalizeReleaseBound(k, release);
  const start = bound(gte);
  const end = bound(lte);
  const selection: TemporalSelection = { timesteps: [], refs: [] };
  for (const [key, entry] of steps) {
    if (key > end) break;
    if (key < start) continue;
    selection.timesteps.push(key);
    selection.refs.push({ url: joinStorageUrl(baseUrl, entry.file), bidx: entry.bidx });
  }
  if (selection.timesteps.length === 0) {
    const sentence =
      release === undefined
        ? 'No data available within the specific requested time slice.'
        : `The time range [${start}, ${end}] selects no timesteps.`;
    throw new AppError('time_range_empty', sentence, {
      details: { variable: variableId, gte: start, lte: end },
    });
  }
  return selection;
}

/**
 * The file and band of one timestep (upstream's `resolve_uri_single_band`), after normalising `timestep` to the
 * variable's precision. `timestep` in the result is the normalised key.
 * @throws AppError `variable_not_found` | `timestep_malformed` | `timestep_not_found`.
 */
export function resolveSingleBand(
  lookup: Lookup,
  variableId: string,
  timestep: string,
  baseUrl: string,
  protocol?: TimeProtocol,
): { url: string; bidx: number; timestep: string } {
  const steps = variableSteps(lookup, variableId);
  const release = protocol?.precision;
  // Release tile keys get no normalisation: the path key must already be canonical.
  const key =
    release === undefined
      ? normalizeTimestep(timestep, steps.keys().next().value as string)
      : release === 'static'
        ? staticKey(timestep)
        : requireCanonicalKey(timestep, release);
  const entry = steps.get(key);
  if (!entry) {
    throw new AppError(
      'timestep_not_found',
      `Timestep '${key}' is not available for '${variableId}' in this dataset.`,
      {
        details: { variable: variableId, timestep: key },
      },
    );
  }
  return { url: joinStorageUrl(baseUrl, entry.file), bidx: entry.bidx, timestep: key };
}

/**
 * `base` + `/` + `file` as upstream (`base.rstrip('/') + '/' + file`). For a URL base (`file:`, `s3:`, `http(s):`)
 * each path segment of `file` is percent-encoded so names with `#`, `?`, `%` or spaces stay part of the path;
 * a local directory base gets the file verbatim.
 */
export function joinStorageUrl(baseUrl: string, file: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const isUrl = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(base);
  const path = isUrl ? file.split('/').map(encodeURIComponent).join('/') : file;
  return `${base}/${path}`;
}

/** A static dataset's only key. @throws AppError `timestep_malformed` for anything else. */
function staticKey(key: string): string {
  if (key !== STATIC_KEY) {
    throw new AppError(
      'timestep_malformed',
      `Timestep '${key}' is not valid for a static dataset: its only timestep is '${STATIC_KEY}'.`,
    );
  }
  return key;
}

function variableSteps(lookup: Lookup, variableId: string): ReadonlyMap<string, LookupEntry> {
  const steps = lookup.get(variableId);
  if (!steps || steps.size === 0) {
    throw new AppError('variable_not_found', `Variable '${variableId}' not found in lookup dictionary.`, {
      details: { variable: variableId },
    });
  }
  return steps;
}
