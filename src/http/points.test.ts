/**
 * Points never allocate a window, through the API: with `DEFAULT_MAX_CELLS=4` on the 5 × 5 test grid, points at
 * opposite corners (their bounding window: 25 cells) cost 2 cells and are answered, and the v2 route and
 * `POST /timeseries/extract` agree with each other and with `/point` of each cell.
 */
import { describe, expect, it } from 'vitest';
import { appForFile, closeTo, extractAndWait } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';

const t = appForFile({ DEFAULT_MAX_CELLS: '4' });

const point = (lon: number, lat: number): unknown => ({ type: 'Point', coordinates: [lon, lat] });
const fc = (...geoms: unknown[]): unknown => ({
  type: 'FeatureCollection',
  features: geoms.map((geometry) => ({ type: 'Feature', geometry, properties: null })),
});
const cellBox = (lon: number, lat: number): unknown => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon, lat],
      [lon + 1, lat],
      [lon + 1, lat + 1],
      [lon, lat + 1],
      [lon, lat],
    ],
  ],
});

interface Result {
  n_cells: number;
  area: number;
  series: { values: (number | null)[] }[];
}

async function pointValues(lon: number, lat: number): Promise<number[]> {
  const res = await t.app.inject({ method: 'GET', url: `/point/test-annual/ppt/${lon},${lat}` });
  expect(res.statusCode).toBe(200);
  return res.json<{ values: number[] }>().values;
}

async function both(selected_area: unknown): Promise<{ job: Result; v2: Result }> {
  const { status } = await extractAndWait(t.app, extractPayload({ selected_area }));
  expect(status['status'], JSON.stringify(status)).toBe('SUCCESS');
  const res = await t.app.inject({ method: 'POST', url: '/timeseries', payload: extractPayload({ selected_area }) });
  expect(res.statusCode, res.body).toBe(200);
  return { job: status['result'] as Result, v2: res.json<Result>() };
}

describe('points cost one cell each (DEFAULT_MAX_CELLS=4)', () => {
  it('two points at opposite corners → 200 / SUCCESS, n_cells 2, the mean of the two cells, on both routes', async () => {
    const [a, b] = [await pointValues(-122.5, 44.5), await pointValues(-118.5, 40.5)];
    // The fixture: 100·band + 10·row + col (+ a fraction) in every band of these two cells.
    expect(a.map(Math.floor)).toEqual([100, 200, 300, 400, 500]);
    expect(b.map(Math.floor)).toEqual([144, 244, 344, 444, 544]);
    const expected = a.map((v, i) => (v + (b[i] as number)) / 2);
    const { job, v2 } = await both(fc(point(-122.5, 44.5), point(-118.5, 40.5)));
    for (const r of [job, v2]) {
      expect(r.n_cells).toBe(2);
      expect(r.area).toBe(0);
      expect(closeTo(r.series[0]?.values, expected, 1e-12)).toBe(true);
    }
    expect(v2.series[0]?.values).toEqual(job.series[0]?.values);
  });

  it('a cell polygon and a point in the far corner → n_cells 2 on both routes', async () => {
    const [a, b] = [await pointValues(-121.5, 43.5), await pointValues(-118.5, 40.5)];
    const { job, v2 } = await both(fc(cellBox(-122, 43), point(-118.5, 40.5)));
    for (const r of [job, v2]) {
      expect(r.n_cells).toBe(2);
      expect(
        closeTo(
          r.series[0]?.values,
          a.map((v, i) => (v + (b[i] as number)) / 2),
          1e-12,
        ),
      ).toBe(true);
    }
  });

  it('a window over the grid is still refused before a job exists: 422 area_too_large', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/timeseries/extract',
      payload: extractPayload({ selected_area: fc(cellBox(-123, 44), cellBox(-119, 40)) }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ code: string }>().code).toBe('area_too_large');
    expect(res.body).toContain('Estimated cell count: 25, maximum allowed: 4.');
  });
});
