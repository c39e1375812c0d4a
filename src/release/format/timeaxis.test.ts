/** The time axis and the time-to-band rule: the worked examples of docs/RELEASES.md, and properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AxisError,
  ChunkLayout,
  enumeratedAxis,
  fname,
  interval,
  isKey,
  isRegular,
  normalizeBound,
  regularAxis,
  regularAxisToEnd,
  selectRange,
} from './timeaxis.js';

const kindOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof AxisError ? e.kind : 'other';
  }
};

describe('keys', () => {
  it('malformed year keys', () => {
    for (const k of ['103', '01030', '0103-01', 'abcd', '0000', '']) expect(isKey(k, 'year'), k).toBe(false);
    expect(isKey('0103', 'year')).toBe(true);
  });
  it('real calendar dates only', () => {
    expect(isKey('2000-02-29', 'day')).toBe(true);
    expect(isKey('1900-02-29', 'day')).toBe(false);
    expect(isKey('2001-13', 'month')).toBe(false);
    expect(isKey('2000-01-01T24:00:00Z', 'datetime')).toBe(false);
    expect(isKey('2000-01-01T23:59:59Z', 'datetime')).toBe(true);
  });
  it('fname replaces colons', () => {
    expect(fname('2000-01-01T06:00:00Z')).toBe('2000-01-01T06-00-00Z');
  });
});

describe('regular axes from origin, step and end', () => {
  it.each([
    ['year', '0103', 'P1Y', '2000', 1898],
    ['year', '0100', 'P5Y', '0120', 5],
    ['month', '2000-11', 'P1M', '2001-02', 4],
    ['day', '2000-02-27', 'P1D', '2000-03-01', 4],
    ['datetime', '2000-01-01T00:00:00Z', 'PT6H', '2000-01-01T18:00:00Z', 4],
  ] as const)('%s %s %s %s → %i', (precision, origin, step, end, count) => {
    expect(regularAxisToEnd(precision, origin, step, end).count).toBe(count);
  });
  it('lists the keys', () => {
    expect(regularAxisToEnd('year', '0100', 'P5Y', '0120').keys()).toEqual(['0100', '0105', '0110', '0115', '0120']);
    expect(regularAxisToEnd('day', '2000-02-27', 'P1D', '2000-03-01').keys()).toEqual([
      '2000-02-27',
      '2000-02-28',
      '2000-02-29',
      '2000-03-01',
    ]);
  });
  it('refuses axes that never reach end, run backwards, or use bad steps', () => {
    expect(kindOf(() => regularAxisToEnd('year', '0100', 'P2Y', '0103'))).toBe('axis');
    expect(kindOf(() => regularAxisToEnd('year', '0200', 'P1Y', '0100'))).toBe('axis');
    for (const s of ['P0Y', '1Y', 'P1Y2M', 'P1M'])
      expect(
        kindOf(() => regularAxisToEnd('year', '0100', s, '0110')),
        s,
      ).toBe('axis');
    expect(kindOf(() => regularAxisToEnd('day', '2000-01-31', 'P1M', '2000-03-31'))).toBe('axis'); // Jan 31 + P1M
  });
});

describe('exact lookup index(key)', () => {
  it('never rounds', () => {
    const a = regularAxis('year', '0100', 'P5Y', 5);
    expect(a.index('0105')).toBe(1);
    expect(kindOf(() => a.index('0102'))).toBe('unknown');
    const b = regularAxisToEnd('year', '0001', 'P2Y', '0009');
    expect(kindOf(() => b.index('0002'))).toBe('unknown');
    expect(kindOf(() => b.index('0000'))).toBe('malformed');
    expect(kindOf(() => b.index('0011'))).toBe('unknown');
  });
  it('maps to HTTP-facing error codes', () => {
    const a = regularAxis('year', '0100', 'P5Y', 5);
    try {
      a.index('01a0');
    } catch (e) {
      expect((e as AxisError).toAppError().code).toBe('timestep_malformed');
    }
  });
});

describe('the time-to-band rule', () => {
  const paleocar = new ChunkLayout('paleocar_v3', regularAxisToEnd('year', '0103', 'P1Y', '2000'), 100);
  it('PaleoCAR v3: 1898 timesteps in 19 chunks, the last one 98 bands', () => {
    expect(paleocar.axis.count).toBe(1898);
    expect(paleocar.chunkCount).toBe(19);
    expect(paleocar.chunkKeys(18)).toHaveLength(98);
    expect(paleocar.itemId(0)).toBe('paleocar_v3--0103--0202');
  });
  it.each([
    ['0103', 0, 0, 'cogs/ppt_annual/paleocar_v3--0103--0202.tif', 1],
    ['0590', 487, 4, 'cogs/ppt_annual/paleocar_v3--0503--0602.tif', 88],
    ['1000', 897, 8, 'cogs/ppt_annual/paleocar_v3--0903--1002.tif', 98],
    ['2000', 1897, 18, 'cogs/ppt_annual/paleocar_v3--1903--2000.tif', 98],
  ] as const)('%s → index %i, chunk %i, %s band %i', (key, index, chunk, path, band) => {
    const loc = paleocar.locate(key);
    expect([loc.index, loc.chunk, loc.band]).toEqual([index, chunk, band]);
    expect(paleocar.resolve('ppt_annual', key)).toEqual({ path, band });
  });
  it.each(['0102', '2001', '9999'])('%s is unknown', (key) => {
    expect(kindOf(() => paleocar.locate(key))).toBe('unknown');
  });
  it('enumerated example', () => {
    const l = new ChunkLayout('ds', enumeratedAxis('year', ['0100', '0103', '0104', '0110', '0111']), 2);
    expect(l.resolve('v', '0100')).toEqual({ path: 'cogs/v/ds--0100--0103.tif', band: 1 });
    expect(l.resolve('v', '0104')).toEqual({ path: 'cogs/v/ds--0104--0110.tif', band: 1 });
    expect(l.resolve('v', '0110')).toEqual({ path: 'cogs/v/ds--0104--0110.tif', band: 2 });
    expect(l.resolve('v', '0111')).toEqual({ path: 'cogs/v/ds--0111--0111.tif', band: 1 });
    expect(kindOf(() => l.resolve('v', '0105'))).toBe('unknown');
  });
  it('enumerated values must increase strictly', () => {
    expect(kindOf(() => enumeratedAxis('year', ['0100', '0100']))).toBe('axis');
    expect(kindOf(() => enumeratedAxis('year', []))).toBe('axis');
  });
  it('a regular key list is recognised as regular', () => {
    expect(isRegular('year', ['0100', '0105', '0110'], 'P5Y')).toBe(true);
    expect(isRegular('year', ['0100', '0105', '0111'], 'P5Y')).toBe(false);
  });
});

describe('ranges', () => {
  it('normalises bounds at year precision', () => {
    expect(normalizeBound('0103-01-01', 'year')).toBe('0103');
    expect(normalizeBound('0103-01', 'year')).toBe('0103');
    expect(normalizeBound('0103-01-01T00:00:00Z', 'year')).toBe('0103');
    expect(kindOf(() => normalizeBound('0103-06-01', 'year'))).toBe('malformed');
    expect(kindOf(() => normalizeBound('0103-01-01T00', 'year'))).toBe('malformed');
  });
  it('normalises bounds at month precision', () => {
    expect(normalizeBound('2000-03-01', 'month')).toBe('2000-03');
    expect(kindOf(() => normalizeBound('2000', 'month'))).toBe('malformed');
  });
  it('selects inclusively, possibly nothing', () => {
    const a = regularAxis('year', '0100', 'P5Y', 5);
    expect(selectRange(a, '0101', '0110-01-01')).toEqual([1, 2]);
    expect(selectRange(a, '0101', '0104')).toEqual([]);
  });
});

describe('STAC intervals', () => {
  const a = regularAxisToEnd('year', '0103', 'P1Y', '2000');
  it('aggregation periods end one second before the next step', () => {
    expect(interval(a, 'aggregation_period', '0103', '0202')).toEqual(['0103-01-01T00:00:00Z', '0202-12-31T23:59:59Z']);
    expect(interval(a, 'aggregation_period', '0103', '2000')).toEqual(['0103-01-01T00:00:00Z', '2000-12-31T23:59:59Z']);
  });
  it('instants are the keys themselves', () => {
    expect(interval(a, 'instant', '0103', '0202')).toEqual(['0103-01-01T00:00:00Z', '0202-01-01T00:00:00Z']);
  });
});

describe('properties', () => {
  const units = [
    ['year', 'Y'],
    ['month', 'M'],
    ['day', 'D'],
    ['datetime', 'H'],
    ['datetime', 'M'],
  ] as const;
  it('index(key(i)) = i and keys between steps are unknown', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...units),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 2500 }),
        ([precision, unit], n, count, year) => {
          const step = precision === 'datetime' ? `PT${n}${unit}` : `P${n}${unit}`;
          const origin = { year: '', month: '-01', day: '-01-01', datetime: '-01-01T00:00:00Z' }[precision];
          const axis = regularAxis(precision, `${String(year).padStart(4, '0')}${origin}`, step, count);
          const keys = axis.keys();
          keys.forEach((k, i) => expect(axis.index(k)).toBe(i));
          expect(new Set(keys).size).toBe(count);
          const layout = new ChunkLayout('ds', axis, 7);
          keys.forEach((k, i) => {
            const loc = layout.locate(k);
            expect(loc.chunk * 7 + loc.band - 1).toBe(i);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
