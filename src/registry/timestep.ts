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
