import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { boxPolygon as box } from './box.js';
import { parseSelectedArea } from './geojson.js';

const LIMITS = { maxShapes: 100, maxCoordinates: 10_000 };
const feature = (geometry: unknown): Record<string, unknown> => ({ type: 'Feature', geometry, properties: null });

function failure(input: unknown, limits = LIMITS): { code: string; message: string } {
  try {
    parseSelectedArea(input, limits);
  } catch (err) {
    if (isAppError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected parseSelectedArea to throw');
}

describe('parseSelectedArea', () => {
  it('accepts a Point (the upstream default request) as one point-only shape', () => {
    const a = parseSelectedArea({ type: 'Point', coordinates: [-110, 38] }, LIMITS);
    expect(a).toEqual({
      shapes: [{ type: 'Point', coordinates: [-110, 38] }],
      pointsOnly: true,
      nShapes: 1,
      nCoordinates: 1,
    });
  });

  it('accepts a Polygon and counts coordinates as Shapely does (closing position included)', () => {
    const a = parseSelectedArea(box(-122, 43, -121, 44), LIMITS);
    expect(a.shapes).toEqual([box(-122, 43, -121, 44)]);
    expect(a.pointsOnly).toBe(false);
    expect(a.nCoordinates).toBe(5);
  });

  it('counts holes and MultiPolygon parts; a MultiPolygon is one shape', () => {
    const outer = box(0, 0, 10, 10).coordinates[0]!;
    const hole = box(2, 2, 3, 3).coordinates[0]!.reverse();
    const a = parseSelectedArea(
      feature({ type: 'MultiPolygon', coordinates: [[outer, hole], box(20, 20, 21, 21).coordinates] }),
      LIMITS,
    );
    expect(a.nShapes).toBe(1);
    expect(a.nCoordinates).toBe(15);
    expect(a.shapes[0]?.type).toBe('MultiPolygon');
  });

  it('accepts a top-level MultiPolygon (CONTRACT) and drops an altitude', () => {
    const a = parseSelectedArea(
      {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [0, 0, 5],
              [1, 0, 5],
              [1, 1, 5],
              [0, 0, 5],
            ],
          ],
        ],
      },
      LIMITS,
    );
    expect(a.shapes[0]).toEqual({
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      ],
    });
  });

  it('gives one shape per feature of a FeatureCollection', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [feature(box(-113, 36, -111, 38)), { ...feature(box(-110, 37, -109, 38)), properties: { a: 1 } }],
    };
    const a = parseSelectedArea(fc, LIMITS);
    expect(a.nShapes).toBe(2);
    expect(a.nCoordinates).toBe(10);
    expect(a.shapes.map((s) => s.type)).toEqual(['Polygon', 'Polygon']);
  });

  it('is points-only for Features whose geometries are all Points, not for mixed collections', () => {
    const pts = { type: 'FeatureCollection', features: [feature({ type: 'Point', coordinates: [1, 2] })] };
    expect(parseSelectedArea(pts, LIMITS).pointsOnly).toBe(true);
    const mixed = { ...pts, features: [...pts.features, feature(box(0, 0, 1, 1))] };
    expect(parseSelectedArea(mixed, LIMITS).pointsOnly).toBe(false);
  });

  it('rejects more shapes than allowed with the upstream sentence', () => {
    const fc = { type: 'FeatureCollection', features: Array.from({ length: 3 }, () => feature(box(0, 0, 1, 1))) };
    expect(failure(fc, { maxShapes: 2, maxCoordinates: 100 })).toEqual({
      code: 'geometry_too_complex',
      message: 'Selected area has 3 shapes; maximum is 2.',
    });
  });

  it('rejects more coordinates than allowed with the upstream sentence (5 > 4)', () => {
    expect(failure(box(0, 0, 1, 1), { maxShapes: 100, maxCoordinates: 4 })).toEqual({
      code: 'geometry_too_complex',
      message: 'Selected area has 5 coordinates; maximum is 4.',
    });
  });

  it('allows exactly the limits', () => {
    expect(parseSelectedArea(box(0, 0, 1, 1), { maxShapes: 1, maxCoordinates: 5 }).nCoordinates).toBe(5);
  });

  it('rejects an unclosed ring and a ring of fewer than 4 positions', () => {
    const open = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
      ],
    };
    expect(failure(open)).toEqual({
      code: 'invalid_geometry',
      message: 'selected_area.coordinates[0] is not closed: its first and last positions must be equal.',
    });
    const short = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [0, 0],
        ],
      ],
    };
    expect(failure(short).message).toBe(
      'selected_area.coordinates[0] has 3 positions; a polygon ring needs at least 4.',
    );
  });

  it('requires the properties key of a Feature (null is fine)', () => {
    expect(failure({ type: 'Feature', geometry: box(0, 0, 1, 1) })).toEqual({
      code: 'invalid_geometry',
      message: "selected_area needs a 'properties' key (it may be null).",
    });
    expect(failure({ type: 'Feature', properties: {} }).message).toBe("selected_area needs a 'geometry' key.");
    expect(failure({ type: 'Feature', geometry: null, properties: null }).message).toBe(
      'selected_area has no geometry.',
    );
  });

  it('names an unsupported geometry type', () => {
    const line = {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [1, 1],
      ],
    };
    expect(failure(line)).toEqual({
      code: 'invalid_geometry',
      message: "Geometry type 'LineString' is not supported; use Point, Polygon or MultiPolygon.",
    });
    expect(failure(feature({ type: 'GeometryCollection', geometries: [] })).message).toContain("'GeometryCollection'");
    expect(failure({ type: 'Circle', coordinates: [0, 0] }).message).toBe(
      'selected_area has unknown geometry type "Circle".',
    );
  });

  it('rejects non-finite numbers and out-of-range lon/lat', () => {
    expect(failure({ type: 'Point', coordinates: [Number.NaN, 0] }).code).toBe('invalid_geometry');
    expect(failure({ type: 'Point', coordinates: ['1', 0] }).message).toBe(
      'selected_area.coordinates must contain finite numbers.',
    );
    expect(failure({ type: 'Point', coordinates: [181, 0] }).message).toBe(
      'selected_area.coordinates has longitude 181; it must be between -180 and 180.',
    );
    expect(failure({ type: 'Point', coordinates: [0, -90.5] }).message).toContain('latitude -90.5');
    expect(parseSelectedArea({ type: 'Point', coordinates: [-180, 90] }, LIMITS).nShapes).toBe(1);
  });

  it('rejects garbage without crashing', () => {
    for (const bad of [
      null,
      42,
      'x',
      [],
      {},
      { type: 'FeatureCollection' },
      { type: 'FeatureCollection', features: [] },
    ]) {
      expect(failure(bad).code).toBe('invalid_geometry');
    }
    expect(failure({ type: 'FeatureCollection', features: [box(0, 0, 1, 1)] }).message).toBe(
      'selected_area.features[0] must be a GeoJSON Feature.',
    );
  });
});
