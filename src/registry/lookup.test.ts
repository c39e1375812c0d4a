import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { parseLookup, serializeLookup } from './lookup.parse.js';
import { joinStorageUrl, resolveSingleBand, resolveTemporalSlice } from './lookup.resolve.js';
import type { Lookup } from './types.js';

/** Upstream's `minimal_lookup_data` test fixture. */
const MINIMAL = {
  ppt: {
    '0100': { file: 'file_a.tif', bidx: 1 },
    '0101': { file: 'file_a.tif', bidx: 2 },
    '0102': { file: 'file_b.tif', bidx: 1 },
    '0103': { file: 'file_b.tif', bidx: 2 },
    '0104': { file: 'file_b.tif', bidx: 3 },
    '0105': { file: 'file_c.tif', bidx: 1 },
  },
  temp: { '0100': { file: 'temp_a.tif', bidx: 1 } },
};
const minimal = parseLookup(JSON.stringify(MINIMAL), 'minimal');

function fails(fn: () => unknown, code: ErrorCode): string {
  try {
    fn();
  } catch (err) {
    expect(isAppError(err, code), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected ${code}`);
}

const invalid = (text: string): string =>
  fails(() => parseLookup(text, 's3://bucket/ds/lookup.json'), 'lookup_invalid');

describe('parseLookup (upstream test_lookup_dicts)', () => {
  it('keeps variables and timesteps in file order', () => {
    expect([...minimal.keys()]).toEqual(['ppt', 'temp']);
    expect([...(minimal.get('ppt')?.keys() ?? [])]).toEqual(['0100', '0101', '0102', '0103', '0104', '0105']);
    expect(minimal.get('ppt')?.get('0104')).toEqual({ file: 'file_b.tif', bidx: 3 });
  });

  it('keeps file order across integer-like keys (JSON.parse would put "1000" before "0999")', () => {
    const lookup = parseLookup(
      '{"v": {"0999": {"file": "a.tif", "bidx": 1}, "1000": {"file": "a.tif", "bidx": 2}}}',
      'x',
    );
    expect([...(lookup.get('v')?.keys() ?? [])]).toEqual(['0999', '1000']);
    expect(invalid('{"v": {"2000": {"file": "a.tif", "bidx": 1}, "1999": {"file": "a.tif", "bidx": 2}}}')).toMatch(
      /not sorted/,
    );
  });

  it.each([
    ['{}', 'empty'],
    ['[]', 'array'],
    ['{"ppt": {"0100": {"bidx": 1}}}', 'missing file'],
    ['{"ppt": {"0100": {"file": "a.tif"}}}', 'missing bidx'],
    ['{"ppt": []}', 'variable not an object'],
    ['{"ppt": {"0100": "a.tif"}}', 'entry not an object'],
    ['{"ppt": {"0100": {"file": "", "bidx": 1}}}', 'empty file'],
    ['{"ppt": {"0100": {"file": "a.tif", "bidx": 0}}}', 'bidx 0'],
    ['{"ppt": {"0100": {"file": "a.tif", "bidx": 1.5}}}', 'fractional bidx'],
    ['{"ppt": {"0100": {"file": "a.tif", "bidx": "1"}}}', 'string bidx'],
    ['{"ppt": {"0100": {"file": 7, "bidx": 1}}}', 'numeric file'],
    ['{"ppt": {"0100": {"file": "a.tif", "bidx": 1}', 'truncated JSON'],
  ])('rejects %s (%s) with the schema sentence', (text) => {
    expect(invalid(text)).toMatch(/^Data origin schema validation failed or data is empty\./);
  });

  it('validates every entry of every variable, not just the first', () => {
    const later = { ...MINIMAL, temp: { '0100': { file: 'temp_a.tif', bidx: 1 }, '0101': { file: 'temp_a.tif' } } };
    expect(invalid(JSON.stringify(later))).toBe(
      "Data origin schema validation failed or data is empty. (s3://bucket/ds/lookup.json, variable 'temp', " +
        'timestep \'0101\': "bidx" must be an integer >= 1)',
    );
    const second = { ppt: { '0100': { file: 'a.tif', bidx: 1 }, '0101': { file: 'a.tif', bidx: -2 } } };
    expect(invalid(JSON.stringify(second))).toContain("timestep '0101'");
  });

  it.each(['../etc/passwd', 'a/../../b.tif', '/abs/a.tif', 's3://other/a.tif', 'C:\\a.tif', 'a\\b.tif', '.', 'a/..'])(
    'rejects file %j that is not a path inside the storage root',
    (file) => {
      expect(invalid(JSON.stringify({ v: { '0001': { file, bidx: 1 } } }))).toMatch(/"file" must/);
    },
  );

  it('normalises harmless ./ and .. segments', () => {
    const lookup = parseLookup(JSON.stringify({ v: { '0001': { file: './ds/x/../a.tif', bidx: 1 } } }), 'x');
    expect(lookup.get('v')?.get('0001')?.file).toBe('ds/a.tif');
  });

  it('rejects keys that are not ISO timesteps', () => {
    expect(invalid(JSON.stringify({ v: { 'not-a-date': { file: 'a.tif', bidx: 1 } } }))).toBe(
      'Upstream time format violation: not-a-date',
    );
    // Pattern-valid but of a length the normalisation cannot handle.
    expect(invalid(JSON.stringify({ v: { '0001-01-01T00:00:00': { file: 'a.tif', bidx: 1 } } }))).toMatch(
      /time format violation/,
    );
    expect(
      invalid(JSON.stringify({ v: { '0001': { file: 'a.tif', bidx: 1 }, '0001-02': { file: 'a.tif', bidx: 2 } } })),
    ).toMatch(/time format violation: 0001-02 \(mixes precisions/);
  });

  it('rejects keys not strictly increasing', () => {
    expect(
      invalid(JSON.stringify({ v: { '0103': { file: 'a.tif', bidx: 1 }, '0101': { file: 'a.tif', bidx: 2 } } })),
    ).toBe("Upstream data prep error: Temporal keys are not sorted chronologically. ('0103' then '0101' in 'v')");
    expect(invalid('{"v": {"0101": {"file": "a.tif", "bidx": 1}, "0101": {"file": "a.tif", "bidx": 2}}}')).toMatch(
      /not sorted/,
    );
  });
});

describe('serializeLookup', () => {
  const years = new Map<string, { file: string; bidx: number }>();
  for (let y = 103; y <= 2000; y++)
    years.set(String(y).padStart(4, '0'), { file: `v_${Math.ceil((y - 102) / 100)}.tif`, bidx: ((y - 103) % 100) + 1 });
  const lookup: Lookup = new Map([
    ['ppt', years],
    ['empty', new Map()],
  ]);

  it('writes keys in map order, which JSON.stringify of an object would not', () => {
    expect(() => parseLookup(JSON.stringify({ ppt: Object.fromEntries(years) }), 'x')).toThrow(/not sorted/);
    for (const indent of [0, 2]) {
      const text = serializeLookup(lookup, indent);
      expect(JSON.parse(text)).toEqual({ ppt: Object.fromEntries(years), empty: {} });
      const back = parseLookup(text, 'x');
      expect([...(back.get('ppt')?.keys() ?? [])]).toEqual([...years.keys()]);
      expect(back.get('ppt')?.get('2000')).toEqual({ file: 'v_19.tif', bidx: 98 });
    }
    expect(serializeLookup(new Map([['v', new Map([['0001', { file: 'a.tif', bidx: 1 }]])]]))).toBe(
      '{"v":{"0001":{"file":"a.tif","bidx":1}}}',
    );
  });

  it('round-trips any valid lookup through parseLookup', () => {
    const steps = fc
      .uniqueArray(fc.integer({ min: 0, max: 9999 }), { minLength: 1, maxLength: 40 })
      .chain((years) =>
        fc.tuple(
          fc.constant([...years].sort((a, b) => a - b).map((y) => String(y).padStart(4, '0'))),
          fc.array(fc.tuple(fc.constantFrom('a.tif', 'd/b c.tif', 'é/#1.tif'), fc.integer({ min: 1, max: 2000 })), {
            minLength: years.length,
            maxLength: years.length,
          }),
        ),
      )
      .map(([keys, entries]) => new Map(keys.map((k, i) => [k, { file: entries[i]![0], bidx: entries[i]![1] }])));
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), steps, { minKeys: 1, maxKeys: 4 }),
        (vars) => {
          const lookup: Lookup = new Map(Object.entries(vars));
          const back = parseLookup(serializeLookup(lookup), 'x');
          expect([...back].map(([v, m]) => [v, [...m]])).toEqual([...lookup].map(([v, m]) => [v, [...m]]));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('resolveTemporalSlice (upstream test_registry)', () => {
  const slice = (gte: string, lte: string, lookup: Lookup = minimal, v = 'ppt') =>
    resolveTemporalSlice(lookup, v, gte, lte, 's3://bucket');

  it('0101..0103', () => {
    expect(slice('0101', '0103')).toEqual({
      timesteps: ['0101', '0102', '0103'],
      refs: [
        { url: 's3://bucket/file_a.tif', bidx: 2 },
        { url: 's3://bucket/file_b.tif', bidx: 1 },
        { url: 's3://bucket/file_b.tif', bidx: 2 },
      ],
    });
  });

  it('0100..0105 selects 6 timesteps in 3 files', () => {
    const s = slice('0100', '0105');
    expect(s.timesteps).toEqual(['0100', '0101', '0102', '0103', '0104', '0105']);
    expect(new Set(s.refs.map((r) => r.url)).size).toBe(3);
  });

  it('0102..0102 selects one band', () => {
    expect(slice('0102', '0102')).toEqual({ timesteps: ['0102'], refs: [{ url: 's3://bucket/file_b.tif', bidx: 1 }] });
  });

  it('keeps refs in timestep order even when bands are not (one ref per timestep)', () => {
    const chunk = parseLookup(
      JSON.stringify({
        v: {
          '0100': { file: 'chunk.tif', bidx: 3 },
          '0101': { file: 'chunk.tif', bidx: 1 },
          '0102': { file: 'chunk.tif', bidx: 2 },
        },
      }),
      'x',
    );
    expect(slice('0100', '0102', chunk, 'v').refs.map((r) => r.bidx)).toEqual([3, 1, 2]);
  });

  it('normalises the bounds to the lookup precision', () => {
    expect(slice('0101-01-01', '0103-01-01T00:00:00Z').timesteps).toEqual(['0101', '0102', '0103']);
    expect(fails(() => slice('0101-06', '0103'), 'timestep_malformed')).toContain("Use '0101' instead.");
  });

  it('rejects an unknown variable and an empty range', () => {
    expect(fails(() => slice('0100', '0105', minimal, 'nonexistent'), 'variable_not_found')).toBe(
      "Variable 'nonexistent' not found in lookup dictionary.",
    );
    expect(fails(() => slice('0200', '0300'), 'time_range_empty')).toBe(
      'No data available within the specific requested time slice.',
    );
    expect(fails(() => slice('0103', '0101'), 'time_range_empty')).toMatch(/No data/);
  });

  it('always returns sorted keys within the normalised [gte, lte]', () => {
    const keys = [...(minimal.get('ppt')?.keys() ?? [])];
    const year = fc.integer({ min: 95, max: 110 }).map((y) => String(y).padStart(4, '0'));
    fc.assert(
      fc.property(year, year, fc.boolean(), (a, b, extend) => {
        const [gte, lte] = a <= b ? [a, b] : [b, a];
        const expected = keys.filter((k) => k >= gte && k <= lte);
        const run = () => slice(extend ? `${gte}-01-01` : gte, lte);
        if (expected.length === 0) return fails(run, 'time_range_empty') !== '';
        const s = run();
        return (
          JSON.stringify(s.timesteps) === JSON.stringify(expected) &&
          s.timesteps.every((k, i) => i === 0 || k > (s.timesteps[i - 1] as string)) &&
          s.refs.length === s.timesteps.length
        );
      }),
    );
  });
});

describe('resolveSingleBand', () => {
  it('resolves 0103 to file_b band 2', () => {
    expect(resolveSingleBand(minimal, 'ppt', '0103', 's3://bucket')).toEqual({
      url: 's3://bucket/file_b.tif',
      bidx: 2,
      timestep: '0103',
    });
    expect(resolveSingleBand(minimal, 'ppt', '0103-01-01', 's3://bucket/').timestep).toBe('0103');
  });

  it('rejects unknown, malformed and sub-precision timesteps and unknown variables', () => {
    expect(fails(() => resolveSingleBand(minimal, 'ppt', '9999', 's3://bucket'), 'timestep_not_found')).toBe(
      "Timestep '9999' is not available for 'ppt' in this dataset.",
    );
    fails(() => resolveSingleBand(minimal, 'ppt', 'abcd', 's3://bucket'), 'timestep_malformed');
    fails(() => resolveSingleBand(minimal, 'ppt', '103', 's3://bucket'), 'timestep_malformed');
    fails(() => resolveSingleBand(minimal, 'ppt', '0103-08-12', 's3://bucket'), 'timestep_malformed');
    fails(() => resolveSingleBand(minimal, 'nope', '0103', 's3://bucket'), 'variable_not_found');
  });
});

describe('joinStorageUrl', () => {
  it.each([
    ['/data', 'ds/a.tif', '/data/ds/a.tif'],
    ['/data/', 'ds/a b.tif', '/data/ds/a b.tif'],
    ['data', 'a.tif', 'data/a.tif'],
    ['file:///data/', 'ds/a b.tif', 'file:///data/ds/a%20b.tif'],
    ['s3://bucket', 'ds/a#1.tif', 's3://bucket/ds/a%231.tif'],
    ['s3://bucket/prefix//', 'a.tif', 's3://bucket/prefix/a.tif'],
    ['https://host/data', 'ds/a?.tif', 'https://host/data/ds/a%3F.tif'],
  ])('%s + %s → %s', (base, file, url) => expect(joinStorageUrl(base, file)).toBe(url));
});

describe('the upstream 5×5 fixtures (upstream pipeline lookups)', () => {
  const dir = fileURLToPath(new URL('../../test/fixtures/upstream-5x5', import.meta.url));
  const annual = parseLookup(
    JSON.stringify({
      ppt: Object.fromEntries(
        [1, 2, 3, 4, 5].map((b) => [`000${b}`, { file: 'annual_5x5x5_dataset_float32_variable.tif', bidx: b }]),
      ),
    }),
    'test-annual/lookup.json',
  );
  const monthlyEntries: Record<string, { file: string; bidx: number }> = {};
  for (let b = 1; b <= 60; b++) {
    const key = `000${Math.ceil(b / 12)}-${String(((b - 1) % 12) + 1).padStart(2, '0')}`;
    monthlyEntries[key] = { file: 'monthly_5x5x60_dataset_float32_variable.tif', bidx: b };
  }
  const monthly = parseLookup(JSON.stringify({ ppt: monthlyEntries }), 'test-monthly/lookup.json');

  it('annual 0001–0005 → bands 1–5 of an existing file', () => {
    const s = resolveTemporalSlice(annual, 'ppt', '0001', '0005', dir);
    expect(s.timesteps).toEqual(['0001', '0002', '0003', '0004', '0005']);
    expect(s.refs.map((r) => r.bidx)).toEqual([1, 2, 3, 4, 5]);
    expect(existsSync(s.refs[0]?.url ?? '')).toBe(true);
    expect(resolveTemporalSlice(annual, 'ppt', '0002', '0004', dir).timesteps).toEqual(['0002', '0003', '0004']);
  });

  it('monthly 0001-01–0005-12 → 60 bands; 0002 months are bands 13–24', () => {
    const all = resolveTemporalSlice(monthly, 'ppt', '0001-01', '0005-12', dir);
    expect(all.timesteps.length).toBe(60);
    expect(all.refs.map((r) => r.bidx)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(existsSync(all.refs[59]?.url ?? '')).toBe(true);
    const y2 = resolveTemporalSlice(monthly, 'ppt', '0002-01-01', '0002-12', dir);
    expect(y2.refs.map((r) => r.bidx)).toEqual(Array.from({ length: 12 }, (_, i) => i + 13));
    expect(resolveSingleBand(monthly, 'ppt', '0005-12', dir).bidx).toBe(60);
    expect(fails(() => resolveTemporalSlice(monthly, 'ppt', '0002', '0003', dir), 'timestep_malformed')).toBe(
      "Timestep '0002' (year precision) is coarser than this dataset's month resolution.",
    );
  });
});
