import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { normalizeTimestep, precisionOf, TIMESTEP_PATTERN } from './timestep.js';

const DATASET_KEY = { year: '0001', month: '0001-01', day: '0001-01-01', datetime: '0001-01-01T00:00:00Z' } as const;

function malformed(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isAppError(err, 'timestep_malformed')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected timestep_malformed');
}

describe('TIMESTEP_PATTERN', () => {
  it.each([
    '0100',
    '0001-01',
    '0001-13',
    '0001-01-01',
    '2000-12-31T23:59:59',
    '2000-12-31T23:59:59Z',
    '2000-01-01T00:00:00+02:00',
  ])('accepts %s', (key) => expect(TIMESTEP_PATTERN.test(key)).toBe(true));
  it.each(['not-a-date', '103', '0103-1', '0103-01-01T00:00', 'abcd', '', '０１０３', '0103 '])('rejects %j', (key) =>
    expect(TIMESTEP_PATTERN.test(key)).toBe(false),
  );
});

describe('precisionOf', () => {
  it('detects precision by length', () => {
    expect(precisionOf('0103')).toBe('year');
    expect(precisionOf('0103-02')).toBe('month');
    expect(precisionOf('0103-02-03')).toBe('day');
    expect(precisionOf('0103-02-03T00:00:00Z')).toBe('datetime');
  });
  it('rejects other lengths with the upstream sentence', () => {
    expect(malformed(() => precisionOf('0103-02-03T00:00:00'))).toBe(
      "Timestep '0103-02-03T00:00:00' has an unrecognized ISO-8601 length (19). " +
        "Expected 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM:SSZ'.",
    );
    expect(malformed(() => precisionOf('0103-02-03T00:00:00+00:00'))).toContain('length (25)');
    expect(malformed(() => precisionOf(''))).toContain('length (0)');
  });
});

describe('normalizeTimestep', () => {
  // The upstream canonical-suffix table: rows are dataset precisions, columns the finer inputs.
  it.each([
    ['0103-01-01', '0001', '0103'],
    ['0103-01', '0001', '0103'],
    ['0103-01-01T00:00:00Z', '0001', '0103'],
    ['0103-05-01', '0001-01', '0103-05'],
    ['0103-05-01T00:00:00Z', '0001-01', '0103-05'],
    ['0103-05-07T00:00:00Z', '0001-01-01', '0103-05-07'],
  ])('%s on %s data → %s', (key, datasetKey, expected) => {
    expect(normalizeTimestep(key, datasetKey)).toBe(expected);
  });

  it('returns same-precision keys unchanged', () => {
    for (const key of Object.values(DATASET_KEY)) expect(normalizeTimestep(key, key)).toBe(key);
    expect(normalizeTimestep('9999', '0001')).toBe('9999');
  });

  it('rejects a finer key that is not the start of the period', () => {
    expect(malformed(() => normalizeTimestep('0103-08-12', '0001'))).toBe(
      "Timestep '0103-08-12' specifies sub-year precision, but this dataset uses year resolution. Use '0103' instead.",
    );
    expect(malformed(() => normalizeTimestep('0103-02', '0001'))).toContain("Use '0103' instead.");
    expect(malformed(() => normalizeTimestep('0103-01-01T12:00:00Z', '0001'))).toContain('sub-year');
    expect(malformed(() => normalizeTimestep('0103-05-02', '0001-01'))).toBe(
      "Timestep '0103-05-02' specifies sub-month precision, but this dataset uses month resolution. Use '0103-05' instead.",
    );
    expect(malformed(() => normalizeTimestep('0103-05-02T00:00:01Z', '0001-01-01'))).toContain('sub-day');
  });

  it('rejects a coarser key', () => {
    expect(malformed(() => normalizeTimestep('0103', '0001-01'))).toBe(
      "Timestep '0103' (year precision) is coarser than this dataset's month resolution.",
    );
    expect(malformed(() => normalizeTimestep('0103-01', '0001-01-01'))).toBe(
      "Timestep '0103-01' (month precision) is coarser than this dataset's day resolution.",
    );
  });

  it('rejects malformed keys (422) instead of letting them miss', () => {
    expect(malformed(() => normalizeTimestep('abcd', '0001'))).toBe(
      "Timestep 'abcd' is not a valid ISO-8601 timestep. Expected 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', or 'YYYY-MM-DDTHH:MM:SSZ'.",
    );
    expect(malformed(() => normalizeTimestep('103', '0001'))).toContain('length (3)');
    expect(malformed(() => normalizeTimestep('', '0001'))).toContain('length (0)');
    expect(malformed(() => normalizeTimestep('0103-01-01T00:00:00', '0001'))).toContain('length (19)');
  });

  const anyKey = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.constantFrom(0, 1, 2, 3),
      fc.boolean(),
    )
    .map(([y, m, d, p, canonical]) => {
      const pad = (n: number, w: number): string => String(n).padStart(w, '0');
      const [mm, dd] = canonical ? ['01', '01'] : [pad(m, 2), pad(d, 2)];
      const full = `${pad(y, 4)}-${mm}-${dd}T${canonical ? '00:00:00' : '06:30:00'}Z`;
      return full.slice(0, [4, 7, 10, 20][p]);
    });
  const datasetKey = fc.constantFrom(...Object.values(DATASET_KEY));

  it('is idempotent and yields the dataset precision whenever it succeeds', () => {
    fc.assert(
      fc.property(anyKey, datasetKey, (key, dk) => {
        let once: string;
        try {
          once = normalizeTimestep(key, dk);
        } catch (err) {
          return isAppError(err, 'timestep_malformed');
        }
        return once.length === dk.length && key.startsWith(once) && normalizeTimestep(once, dk) === once;
      }),
    );
  });

  it('always accepts a key extended by the canonical period start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), (y) => {
        const year = String(y).padStart(4, '0');
        return ['', '-01', '-01-01', '-01-01T00:00:00Z'].every(
          (suffix) => normalizeTimestep(year + suffix, '0001') === year,
        );
      }),
    );
  });
});
