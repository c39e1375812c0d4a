import { describe, expect, it } from 'vitest';
import {
  analyzeBody,
  chartColumns,
  DEFAULT_ANALYSIS,
  missingTimesteps,
  resultCsv,
  type TimeseriesResult,
} from './analysis.js';
import { areaSquareMetres, boxPolygon, describeArea, readArea } from './area.js';
import { decodeState, encodeState } from './urlstate.js';

describe('analysis bodies', () => {
  it('transform and smoother as the API names them; a centred width is made odd', () => {
    expect(
      analyzeBody('id', {
        ...DEFAULT_ANALYSIS,
        stat: 'median',
        transform: 'moving',
        zWidth: 25,
        smoother: 'centered',
        smoothWidth: 10,
      }),
    ).toEqual({
      extraction_id: 'id',
      zonal_statistic: 'median',
      transform: { type: 'ZScoreMovingInterval', width: 25 },
      requested_series_options: [
        { name: 'series', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 11 } },
      ],
    });
    expect(
      analyzeBody('id', { ...DEFAULT_ANALYSIS, transform: 'zscore', refFrom: '1900', refTo: '1950' })['transform'],
    ).toEqual({
      type: 'ZScoreFixedInterval',
      time_range: { gte: '1900', lte: '1950' },
    });
    expect(analyzeBody('id', { ...DEFAULT_ANALYSIS, transform: 'zscore' })['transform']).toEqual({
      type: 'ZScoreFixedInterval',
      time_range: null,
    });
  });

  it('CSV of a result: the export route layout (docs/API.md example), missing values empty, names quoted', () => {
    const series = (name: string, values: (number | null)[]): TimeseriesResult['series'][number] => ({
      options: { name },
      timesteps: ['0001', '0002', '0003'].slice(0, values.length),
      values,
    });
    const result = { series: [series('raw', [111.0999984741211, 211.1000061035156])] } as TimeseriesResult;
    expect(resultCsv(result)).toBe('timestep,raw\n0001,111.0999984741211\n0002,211.1000061035156\n');
    const two = { series: [series('a,"b"', [1.5, null, -2]), series('c', [null, 3, 4])] } as TimeseriesResult;
    expect(resultCsv(two)).toBe('timestep,"a,""b""",c\n0001,1.5,\n0002,,3\n0003,-2,4\n');
    expect(missingTimesteps(two)).toEqual(['0002']);
  });

  it('chart columns: nulls stay gaps, a hole in the axis becomes a gap, points = the API values', () => {
    const result = {
      series: [
        {
          options: { name: 'series' },
          timesteps: ['0100', '0101', '0102', '0105', '0106'],
          values: [1, null, 3, 4, 5],
        },
      ],
    } as unknown as TimeseriesResult;
    const c = chartColumns(result);
    expect(c.points).toBe(5);
    expect(c.x).toEqual([100, 101, 102, 103.5, 105, 106]);
    expect(c.y).toEqual([1, null, 3, null, 4, 5]);
  });
});

describe('area', () => {
  it('a 1° box at the equator: R²·Δλ·(sin φ₂ − sin φ₁) on the sphere of radius 6 371 008.8 m', () => {
    const R = 6371008.8;
    const expected = R * R * (Math.PI / 180) * Math.sin(Math.PI / 180);
    expect(areaSquareMetres([boxPolygon(0, 0, 1, 1)]) / expected).toBeCloseTo(1, 6);
    expect(describeArea([boxPolygon(0, 0, 1, 1)])).toBe('1 polygon, 12,364 km²');
    expect(describeArea([{ type: 'Point', coordinates: [1, 2] }])).toBe('1 point');
  });
  it('reads features, multipolygons and points; refuses lines', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: {
            type: 'MultiPolygon',
            coordinates: [boxPolygon(0, 0, 1, 1).coordinates, boxPolygon(2, 2, 3, 3).coordinates],
          },
        },
        { type: 'Feature', geometry: { type: 'Point', coordinates: [5, 6] } },
      ],
    };
    expect(readArea(fc).map((g) => g.type)).toEqual(['Polygon', 'Polygon', 'Point']);
    expect(() =>
      readArea({
        type: 'LineString',
        coordinates: [
          [0, 0],
          [1, 1],
        ],
      }),
    ).toThrow(/lines have no area/);
    expect(() => readArea({ type: 'FeatureCollection', features: [] })).toThrow(/no polygon or point/);
  });
});

describe('URL state', () => {
  it('round-trips the view, area, job and chart options', () => {
    const s = {
      dataset: 'paleocar_demo',
      variable: 'ppt_annual',
      timestep: '0500',
      map: { lon: -108.5, lat: 37, zoom: 4.25 },
      area: [boxPolygon(-110, 37, -109.123456789, 38), { type: 'Point' as const, coordinates: [-108, 36] }],
      job: '1e349e27-a80c-49f5-a885-df474ed3dd43',
      analysis: {
        ...DEFAULT_ANALYSIS,
        transform: 'zscore' as const,
        refFrom: '1900',
        refTo: '1950',
        smoother: 'trailing' as const,
        smoothWidth: 5,
      },
    };
    const back = decodeState(`#${encodeState(s)}`);
    expect(back).toEqual({ ...s, area: [boxPolygon(-110, 37, -109.12346, 38), s.area[1]] });
  });
  it('ignores what it cannot read', () => {
    expect(decodeState('#d=../x&m=1,2&a=%5Bnope&job=<script>&tf=log&zw=900')).toEqual({ analysis: DEFAULT_ANALYSIS });
  });
});
