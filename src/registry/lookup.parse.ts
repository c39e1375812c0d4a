/**
 * Parsing and validation of a dataset's `lookup.json` (timestep → file and band per variable). Every entry is checked (upstream checked only the
 * first one).
 */
import { AppError } from '../errors.js';
import { isOrderedObject, parseOrderedJson } from './json.ordered.js';
import type { OrderedJson } from './json.ordered.js';
import { precisionOf, TIMESTEP_PATTERN } from './timestep.js';
import type { Lookup, LookupEntry } from './types.js';

const SCHEMA_FAILED = 'Data origin schema validation failed or data is empty.';
const NOT_SORTED = 'Upstream data prep error: Temporal keys are not sorted chronologically.';

/**
 * Parses and validates a lookup file: a non-empty object of variable → (timestep key → `{file, bidx}`).
 * Every entry is checked: `file` a non-empty relative path that stays inside the storage root (`.`/`..` segments are
 * resolved), `bidx` an integer ≥ 1, keys ISO timesteps of one precision per variable, strictly increasing in file
 * order. Messages start with the upstream sentences; the offending variable/timestep follows.
 * @param source where the text came from (URL or path), for messages.
 * @throws AppError `lookup_invalid`.
 */
export function parseLookup(jsonText: string, source: string): Lookup {
  let root: OrderedJson;
  try {
    root = parseOrderedJson(jsonText);
  } catch (err) {
    throw new AppError('lookup_invalid', `${SCHEMA_FAILED} (${source}: ${(err as Error).message})`, {
      cause: err,
      details: { source },
    });
  }
  if (!isOrderedObject(root) || root.members.length === 0) {
    throw schemaError(source, 'expected a non-empty object of variables');
  }
  const lookup = new Map<string, ReadonlyMap<string, LookupEntry>>();
  for (const [variable, steps] of root.members) {
    if (lookup.has(variable)) throw schemaError(source, 'duplicate variable', { variable });
    if (!isOrderedObject(steps)) throw schemaError(source, 'expected an object of timesteps', { variable });
    lookup.set(variable, parseSteps(steps.members, variable, source));
  }
  return lookup;
}

/** One variable's timestep → entry members, validated in file order. */
function parseSteps(members: [string, OrderedJson][], variable: string, source: string): Map<string, LookupEntry> {
  const entries = new Map<string, LookupEntry>();
  // Many entries share a file (100 bands per COG slice): validate each distinct name once.
  const files = new Map<string, string>();
  let previous: string | null = null;
  for (const [timestep, entry] of members) {
    const where = { variable, timestep };
    if (!TIMESTEP_PATTERN.test(timestep) || !isKnownLength(timestep)) {
      throw new AppError('lookup_invalid', `Upstream time format violation: ${timestep}`, {
        details: { source, ...where },
      });
    }
    if (previous !== null && !(timestep > previous)) {
      throw new AppError('lookup_invalid', `${NOT_SORTED} ('${previous}' then '${timestep}' in '${variable}')`, {
        details: { source, ...where },
      });
    }
    if (previous !== null && timestep.length !== previous.length) {
      const message = `Upstream time format violation: ${timestep} (mixes precisions with '${previous}')`;
      throw new AppError('lookup_invalid', message, { details: { source, ...where } });
    }
    previous = timestep;
    entries.set(
      timestep,
      parseEntry(entry, files, (why) => {
        throw schemaError(source, why, where);
      }),
    );
  }
  return entries;
}

/** The upstream schema sentence, then where and why. */
function schemaError(source: string, why: string, where: Record<string, string> = {}): AppError {
  const at = Object.entries(where)
    .map(([k, v]) => `, ${k} '${v}'`)
    .join('');
  return new AppError('lookup_invalid', `${SCHEMA_FAILED} (${source}${at}: ${why})`, { details: { source, ...where } });
}

function isKnownLength(key: string): boolean {
  try {
    precisionOf(key);
    return true;
  } catch {
    return false;
  }
}

function parseEntry(entry: OrderedJson, files: Map<string, string>, fail: (why: string) => never): LookupEntry {
  if (!isOrderedObject(entry)) return fail('expected an object with "file" and "bidx"');
  let file: OrderedJson | undefined;
  let bidx: OrderedJson | undefined;
  for (const [k, v] of entry.members) {
    if (k === 'file') file = v;
    else if (k === 'bidx') bidx = v;
  }
  if (typeof file !== 'string' || file.trim() === '') return fail('"file" must be a non-empty string');
  if (typeof bidx !== 'number' || !Number.isSafeInteger(bidx) || bidx < 1) {
    return fail('"bidx" must be an integer >= 1');
  }
  let normalised = files.get(file);
  if (normalised === undefined) {
    normalised = normaliseRelativePath(file, fail);
    files.set(file, normalised);
  }
  return { file: normalised, bidx };
}

/** Resolves `.`/`..` segments; refuses absolute paths, URLs and anything that climbs above the storage root. */
function normaliseRelativePath(file: string, fail: (why: string) => never): string {
  if (file.startsWith('/') || file.startsWith('\\') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(file)) {
    return fail(`"file" must be relative to the storage root, got '${file}'`);
  }
  if (file.includes('\\') || hasControlChar(file)) {
    return fail(`"file" must be a '/'-separated path without control characters, got ${JSON.stringify(file)}`);
  }
  const segments: string[] = [];
  for (const segment of file.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return fail(`"file" must stay inside the storage root, got '${file}'`);
      segments.pop();
    } else segments.push(segment);
  }
  if (segments.length === 0) return fail(`"file" must name a file, got '${file}'`);
  return segments.join('/');
}

/** True when `s` holds a C0 control character (never part of a real file name). */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

/**
 * `lookup.json` text for `lookup`, members in map order. Use this (not `JSON.stringify` of a plain object): JS
 * objects enumerate integer-like keys such as `"1000"` first, which would write years ≥ 1000 before `"0103"` and
 * produce a file that `parseLookup` (like upstream) rejects as not sorted.
 * @example serializeLookup(new Map([['ppt', new Map([['0999', e1], ['1000', e2]])]])) // '{"ppt":{"0999":…,"1000":…}}'
 */
export function serializeLookup(lookup: Lookup, indent = 0): string {
  const nl = indent > 0 ? '\n' : '';
  const pad = (depth: number): string => ' '.repeat(indent * depth);
  const sep = indent > 0 ? ': ' : ':';
  const variables = [...lookup].map(([variable, steps]) => {
    const members = [...steps].map(
      ([key, e]) => `${pad(2)}${JSON.stringify(key)}${sep}${JSON.stringify({ file: e.file, bidx: e.bidx })}`,
    );
    const body = members.length === 0 ? '{}' : `{${nl}${members.join(`,${nl}`)}${nl}${pad(1)}}`;
    return `${pad(1)}${JSON.stringify(variable)}${sep}${body}`;
  });
  return `{${nl}${variables.join(`,${nl}`)}${nl}}`;
}
