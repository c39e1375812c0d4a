import { describe, expect, it } from 'vitest';
import { chooseView, MetadataError, readMetadata, tileUrl } from './metadata.js';
import { timeAxis, keyToYear } from './timeaxis.js';

/** The demo registry as the legacy `/metadata` answers it (src/cli/demo.ts, docs/API.md). */
const LEGACY = [
  {
    id: 'paleocar_demo',
    title: 'PaleoCAR demo (synthetic)',
    ordering: 1,
    description: 'synthetic',
    region: {
      center: [37, -108.5],
      zoom: 4,
      extents: [
        [43, -115],
        [31, -102],
      ],
    },
    timespan: { resolution: 'year', period: { timeZero: 1, gte: '0103', lte: '2000', suffix: 'CE' } },
    crs: 'EPSG:4269',
    variables: [
      {
        id: 'ppt_annual',
        name: 'Annual precipitation',
        units: 'mm',
        colormap: 'skope-precip',
        min: 0,
        max: 1000,
        colormap_stops: ['#B5834A', '#CDAA78', '#358C87'],
        description: 'No data 0417–0589.',
      },
      { id: 'gdd_annual', name: 'GDD', units: '°F GDD', colormap: 'viridis', colormap_stops: ['#440154', '#fde725'] },
    ],
  },
  {
    id: 'monthly',
    title: 'Monthly',
    ordering: 0,
    timespan: { resolution: { months: 1 }, period: { gte: '1981-11', lte: '1982-02' } },
    variables: [],
  },
];

/** Schema 1.0.0, the illustrative answer of the release spec (prose elided). */
const PINNED = {
  schema_version: '1.0.0',
  datasets: [
    {
      id: 'paleocar_v3',
      title: 'PaleoCAR v3',
      description: '…',
      bbox: [-114.995833333457, 30.99583333406604, -101.995833334055, 42.9958333336016],
      time: { kind: 'regular', precision: 'year', count: 1898, origin: '0103', end: '2000', step: 'P1Y', values: null },
      map_view: { center: { lon: -108.5, lat: 37.0 }, zoom: 4 },
      default_variable: 'gdd_cotton_annual',
      variables: [
        {
          id: 'ppt_annual',
          title: 'Annual Precipitation',
          unit: 'mm',
          display: {
            type: 'continuous',
            palette: 'skope-precip',
            colors: ['#B5834A', '#358C87'],
            range: [0.0, 1807.5],
            ticks: 5,
            note: 'Provisional',
          },
        },
        {
          id: 'gdd_cotton_annual',
          title: 'Cotton GDD',
          unit: '°F GDD',
          display: {
            type: 'continuous',
            palette: 'skope-precip',
            colors: ['#B5834A', '#358C87'],
            range: [0.0, 2177.5],
            ticks: 5,
            note: null,
          },
        },
      ],
    },
    {
      id: 'enumerated',
      title: 'E',
      description: '',
      bbox: [0, 0, 1, 1],
      map_view: null,
      default_variable: null,
      time: {
        kind: 'enumerated',
        precision: 'year',
        count: 3,
        origin: '1990',
        end: '2010',
        step: null,
        values: ['1990', '2000', '2010'],
      },
      variables: [
        {
          id: 'c',
          title: 'Classes',
          unit: '',
          display: { type: 'categorical', palette: 'p', colors: ['#000000', '#ffffff'], range: null },
        },
      ],
    },
  ],
};

describe('readMetadata', () => {
  it('reads the legacy array: ordering, region (lat/lon order), period, min/max, stops', () => {
    const m = readMetadata(LEGACY);
    expect(m.schema).toBe('legacy');
    expect(m.datasets.map((d) => d.id)).toEqual(['monthly', 'paleocar_demo']);
    const d = m.datasets[1]!;
    expect(d.bbox).toEqual([-115, 31, -102, 43]);
    // The extent is fitted (the legacy zoom is Leaflet's).
    expect(d.view).toBeNull();
    expect(d.timesteps.length).toBe(2000 - 103 + 1);
    expect(d.timesteps[0]).toBe('0103');
    expect(d.defaultVariable).toBe('ppt_annual');
    expect(d.variables[0]).toEqual({
      id: 'ppt_annual',
      title: 'Annual precipitation',
      unit: 'mm',
      colors: ['#B5834A', '#CDAA78', '#358C87'],
      range: [0, 1000],
      palette: 'skope-precip',
      note: 'No data 0417–0589.',
    });
    // No bounds in the registry: the server's default rescale.
    expect(d.variables[1]?.range).toEqual([0, 100]);
    expect(m.datasets[0]?.timesteps).toEqual(['1981-11', '1981-12', '1982-01', '1982-02']);
    expect(m.datasets[0]?.precision).toBe('month');
  });

  it('reads schema 1.x: bbox, map_view, regular and enumerated axes, display', () => {
    const m = readMetadata(PINNED);
    expect(m.schema).toBe('1.x');
    const d = m.datasets[0]!;
    expect(d.bbox).toEqual(PINNED.datasets[0]!.bbox);
    expect(d.view).toEqual({ lon: -108.5, lat: 37, zoom: 4 });
    expect(d.timesteps.length).toBe(1898);
    expect(d.timesteps[1897]).toBe('2000');
    expect(d.defaultVariable).toBe('gdd_cotton_annual');
    expect(d.variables[0]).toMatchObject({
      unit: 'mm',
      range: [0, 1807.5],
      palette: 'skope-precip',
      note: 'Provisional',
    });
    const e = m.datasets[1]!;
    expect(e.timesteps).toEqual(['1990', '2000', '2010']);
    expect(e.view).toBeNull();
    expect(e.variables[0]?.range).toBeNull();
  });

  it('refuses another major version and other shapes', () => {
    expect(() => readMetadata({ schema_version: '2.0.0', datasets: [] })).toThrow(MetadataError);
    expect(() => readMetadata({ datasets: [] })).toThrow(MetadataError);
    expect(() => readMetadata('x')).toThrow(MetadataError);
  });

  it('tile URLs: legacy carries colormap and rescale, schema 1.x none (the server styles them)', () => {
    const legacy = readMetadata(LEGACY);
    const d = legacy.datasets[1]!;
    expect(tileUrl(legacy, d, d.variables[0]!, '0500')).toBe(
      '/tiles/paleocar_demo/ppt_annual/0500/{z}/{x}/{y}.png?colormap=skope-precip&rescale=0%2C1000',
    );
    const pinned = readMetadata(PINNED);
    const p = pinned.datasets[0]!;
    expect(tileUrl(pinned, p, p.variables[0]!, '0590')).toBe('/tiles/paleocar_v3/ppt_annual/0590/{z}/{x}/{y}');
  });
});

describe('chooseView', () => {
  it('takes the wanted dataset, variable and timestep; falls back to the first dataset, default variable, last year', () => {
    const m = readMetadata(PINNED);
    const wanted = chooseView(m, 'paleocar_v3', 'ppt_annual', '0590');
    expect([wanted?.dataset.id, wanted?.variable?.id, wanted?.dataset.timesteps[wanted.index]]).toEqual([
      'paleocar_v3',
      'ppt_annual',
      '0590',
    ]);
    const fallback = chooseView(m, 'nope', 'nope', '9999');
    expect([fallback?.dataset.id, fallback?.variable?.id, fallback?.index]).toEqual([
      'paleocar_v3',
      'gdd_cotton_annual',
      1897,
    ]);
    expect(chooseView({ schema: '1.x', datasets: [] }, undefined, undefined, undefined)).toBeNull();
  });
});

describe('timeAxis', () => {
  it('years and months with steps, zero-padded', () => {
    expect(timeAxis('0001', '0004', 'year', null)).toEqual(['0001', '0002', '0003', '0004']);
    expect(timeAxis('1900', '1920', 'year', 'P10Y')).toEqual(['1900', '1910', '1920']);
    expect(timeAxis('1999-11', '2000-05', 'month', 'P3M')).toEqual(['1999-11', '2000-02', '2000-05']);
    expect(timeAxis('2009', '2009', 'year', null)).toEqual(['2009']);
    expect(timeAxis('2000-01-01', '2000-01-03', 'day', null)).toEqual(['2000-01-01', '2000-01-03']);
  });
  it('keys as decimal years', () => {
    expect(keyToYear('0103')).toBe(103);
    expect(keyToYear('1981-07')).toBe(1981.5);
    expect(keyToYear('x')).toBeNaN();
  });
});
