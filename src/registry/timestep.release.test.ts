/** The release contract's time protocol: canonical keys (tile paths) and range bounds (extraction), with §6 examples. */
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { parseLookup } from './lookup.parse.js';
import { resolveSingleBand, resolveTemporalSlice } from './lookup.resolve.js';
import { isCanonicalKey, normalizeReleaseBound, requireCanonicalKey } from './timestep.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : 'other';
  }
  return 'ok';
}

describe('canonical release keys', () => {
  it('year precision: the documented malformed examples', () => {
    for (const k of ['103', '01030', '0103-01', 'abcd', '0000', '']) expect(isCanonicalKey(k, 'year')).toBe(false);
    for (const k of ['0001', '0103', '2000', '9999']) expect(isCanonicalKey(k, 'year')).toBe(true);
  });

  it('real proleptic-Gregorian dates only', () => {
    expect(isCanonicalKey('2000-02-29', 'day')).toBe(true);
    expect(isCanonicalKey('1900-02-29', 'day')).toBe(false);
    expect(isCanonicalKey('2000-13', 'month')).toBe(false);
    expect(isCanonicalKey('2000-00', 'month')).toBe(false);
    expect(isCanonicalKey('2000-01-01T24:00:00Z', 'datetime')).toBe(false);
    expect(isCanonicalKey('2000-01-01T06:00:00Z', 'datetime')).toBe(true);
    expect(isCanonicalKey('2000-01-01T06:00:00+00:00', 'datetime')).toBe(false);
  });

  it('tile keys get no normalisation; range bounds are cut only at the start of a period', () => {
    expect(code(() => requireCanonicalKey('0103-01', 'year'))).toBe('timestep_malformed');
    expect(normalizeReleaseBound('0103-01-01', 'year')).toBe('0103');
    expect(normalizeReleaseBound('0103-01', 'year')).toBe('0103');
    expect(normalizeReleaseBound('0103-01-01T00:00:00Z', 'year')).toBe('0103');
    expect(code(() => normalizeReleaseBound('0103-06-01', 'year'))).toBe('timestep_malformed');
    expect(normalizeReleaseBound('2000-03-01', 'month')).toBe('2000-03');
    expect(code(() => normalizeReleaseBound('2000', 'month'))).toBe('timestep_malformed');
    expect(code(() => normalizeReleaseBound('0000-01-01', 'year'))).toBe('timestep_malformed');
  });
});

describe('resolution under the release protocol', () => {
  // The enumerated worked example: values 0100 0103 0104 0110 0111, chunk 2.
  const lookup = parseLookup(
    JSON.stringify({
      v: {
        '0100': { file: 'cogs/v/ds--0100--0103.tif', bidx: 1 },
        '0103': { file: 'cogs/v/ds--0100--0103.tif', bidx: 2 },
        '0104': { file: 'cogs/v/ds--0104--0110.tif', bidx: 1 },
        '0110': { file: 'cogs/v/ds--0104--0110.tif', bidx: 2 },
        '0111': { file: 'cogs/v/ds--0111--0111.tif', bidx: 1 },
      },
    }),
    'test',
  );
  const protocol = { releaseId: 'ds-r-2026.10.07', precision: 'year' as const };

  it('tiles: canonical keys resolve, unknown keys are 404, malformed 422', () => {
    expect(resolveSingleBand(lookup, 'v', '0110', '/r', protocol)).toEqual({
      url: '/r/cogs/v/ds--0104--0110.tif',
      bidx: 2,
      timestep: '0110',
    });
    expect(code(() => resolveSingleBand(lookup, 'v', '0105', '/r', protocol))).toBe('timestep_not_found');
    expect(code(() => resolveSingleBand(lookup, 'v', '0110-01', '/r', protocol))).toBe('timestep_malformed');
    // The lookup.json rules normalise the same key instead.
    expect(resolveSingleBand(lookup, 'v', '0110-01', '/r').timestep).toBe('0110');
  });

  it('a range that selects nothing is 422 with the release sentence', () => {
    try {
      resolveTemporalSlice(lookup, 'v', '0105-01-01', '0109-01-01', '/r', protocol);
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err, 'time_range_empty')).toBe(true);
      expect((err as Error).message).toBe('The time range [0105, 0109] selects no timesteps.');
    }
    expect(resolveTemporalSlice(lookup, 'v', '0101', '0110', '/r', protocol).timesteps).toEqual([
      '0103',
      '0104',
      '0110',
    ]);
  });

  it("a static dataset's only key is `static`", () => {
    // Composed in memory by the release layer (a lookup.json could not hold this key).
    const statics = new Map([['e', new Map([['static', { file: 'cogs/e.tif', bidx: 1 }]])]]);
    const p = { releaseId: 'srtm-r-2026.10.07', precision: 'static' as const };
    expect(resolveSingleBand(statics, 'e', 'static', '/r', p).url).toBe('/r/cogs/e.tif');
    expect(code(() => resolveSingleBand(statics, 'e', '2009', '/r', p))).toBe('timestep_malformed');
    expect(resolveTemporalSlice(statics, 'e', 'static', 'static', '/r', p).timesteps).toEqual(['static']);
  });
});
