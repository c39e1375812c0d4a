/**
 * Timestep keys (ISO-8601 strings such as `0103`, `0001-02`) and their precision normalisation.
 */
import { AppError } from '../errors.js';

/**
 * The ISO pattern upstream accepts for time bounds and lookup keys: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
 * `YYYY-MM-DDTHH:MM:SS` with an optional `Z` or `±HH:MM`. No calendar check (month 13 passes). ASCII digits only.
 */
export const TIMESTEP_PATTERN =
  /^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$/;

/** A timestep's precision, detected from its length alone as upstream does. */
export type Precision = 'year' | 'month' | 'day' | 'datetime';

const PRECISION_BY_LENGTH: ReadonlyMap<number, Precision> = new Map([
  [4, 'year'],
  [7, 'month'],
  [10, 'day'],
  [20, 'datetime'],
]);

/** The canonical start of every period; a finer key may drop exactly the matching slice of it. */
const CANONICAL_EXTENSION = '-01-01T00:00:00Z';

/**
 * The precision of a key by its length: 4 → year, 7 → month, 10 → day, 20 → datetime (`YYYY-MM-DDTHH:MM:SSZ`).
 * @throws AppError `timestep_malformed` with the upstream sentence for any other length.
 */
export function precisionOf(key: string): Precision {
  const precision = PRECISION_BY_LENGTH.get(key.length);
  if (precision === undefined) {
    throw new AppError(
      'timestep_malformed',
      `Timestep '${key}' has an unrecognized ISO-8601 length (${key.length}). ` +
        `Expected 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM:SSZ'.`,
    );
  }
  return precision;
}

/**
 * Brings `key` to the precision of `datasetKey` (the first lookup key of the variable), as the upstream API does:
 * same precision → unchanged; finer → truncated, but only when the dropped part is the canonical start of the period
 * (`0103-01-01` → `0103` on yearly data; `0103-08-12` is an error); coarser → an error.
 * Also rejects keys that have a valid length but are not ISO timesteps (`abcd`), which upstream let through.
 * @example normalizeTimestep('0002-01-01T00:00:00Z', '0001-01') // '0002-01'
 * @throws AppError `timestep_malformed` with the upstream sentences.
 */
export function normalizeTimestep(key: string, datasetKey: string): string {
  const precision = precisionOf(key);
  if (!TIMESTEP_PATTERN.test(key)) {
    throw new AppError(
      'timestep_malformed',
      `Timestep '${key}' is not a valid ISO-8601 timestep. ` +
        `Expected 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM:SSZ'.`,
    );
  }
  const datasetPrecision = precisionOf(datasetKey);
  const n = datasetKey.length;
  if (key.length === n) return key;
  if (key.length < n) {
    throw new AppError(
      'timestep_malformed',
      `Timestep '${key}' (${precision} precision) is coarser than this dataset's ${datasetPrecision} resolution.`,
    );
  }
  const truncated = key.slice(0, n);
  if (key.slice(n) !== CANONICAL_EXTENSION.slice(n - 4, key.length - 4)) {
    throw new AppError(
      'timestep_malformed',
      `Timestep '${key}' specifies sub-${datasetPrecision} precision, but this dataset uses ${datasetPrecision} ` +
        `resolution. Use '${truncated}' instead.`,
    );
  }
  return truncated;
}

/** Whole-string key forms of the release contract, by precision (nothing finer, nothing coarser). */
const RELEASE_KEY: Readonly<Record<Precision, RegExp>> = {
  year: /^(\d{4})$/,
  month: /^(\d{4})-(\d{2})$/,
  day: /^(\d{4})-(\d{2})-(\d{2})$/,
  datetime: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/,
};

/** Proleptic Gregorian month lengths (index 1…12). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * True when `key` is a canonical timestep key at `precision` under the release contract: the precision's exact form,
 * a real proleptic-Gregorian date/time, year 0001 or later (there is no year 0000).
 * @example isCanonicalKey('0103', 'year') // true; '103', '0103-01', '0000' → false
 */
export function isCanonicalKey(key: string, precision: Precision): boolean {
  const m = RELEASE_KEY[precision].exec(key);
  if (m === null) return false;
  const [year, month = 1, day = 1, hour = 0, minute = 0, second = 0] = m.slice(1).map(Number) as number[];
  if ((year as number) < 1) return false;
  if (month < 1 || month > 12) return false;
  if (day < 1 || day > daysInMonth(year as number, month)) return false;
  return hour <= 23 && minute <= 59 && second <= 59;
}

/**
 * A tile path key under the release contract: it must already be canonical at the dataset's precision (no
 * normalisation: `0103-01` on a yearly dataset is malformed).
 * @throws AppError `timestep_malformed` (422).
 */
export function requireCanonicalKey(key: string, precision: Precision): string {
  if (!isCanonicalKey(key, precision)) {
    throw new AppError(
      'timestep_malformed',
      `Timestep '${key}' is not a canonical ${precision} key of this dataset (expected ${KEY_FORM[precision]}).`,
    );
  }
  return key;
}

/**
 * A range bound under the release contract: normalised to the dataset precision as {@link normalizeTimestep} does
 * (a finer bound is cut only when the cut part is the start of the period), then checked to be a real date.
 * @throws AppError `timestep_malformed` (422).
 */
export function normalizeReleaseBound(key: string, precision: Precision): string {
  const template = '0001-01-01T00:00:00Z';
  const length = template.slice(0, { year: 4, month: 7, day: 10, datetime: 20 }[precision]);
  const normalized = normalizeTimestep(key, length);
  return requireCanonicalKey(normalized, precision);
}

const KEY_FORM: Readonly<Record<Precision, string>> = {
  year: "'YYYY'",
  month: "'YYYY-MM'",
  day: "'YYYY-MM-DD'",
  datetime: "'YYYY-MM-DDTHH:MM:SSZ'",
};
