import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Position, Shape } from './geojson.js';
import { packShapes, unpackShapes } from './pack.js';

const position = fc.tuple(fc.double({ noNaN: true }), fc.double({ noNaN: true })) as fc.Arbitrary<Position>;
const rings = fc.array(fc.array(position, { maxLength: 6 }), { maxLength: 3 });
const shape: fc.Arbitrary<Shape> = fc.oneof(
  position.map((coordinates): Shape => ({ type: 'Point', coordinates })),
  rings.map((coordinates): Shape => ({ type: 'Polygon', coordinates })),
  fc.array(rings, { maxLength: 3 }).map((coordinates): Shape => ({ type: 'MultiPolygon', coordinates })),
);

describe('packShapes / unpackShapes', () => {
  it('a worked example: a point, a polygon with a hole, a two-part MultiPolygon', () => {
    const shapes: Shape[] = [
      { type: 'Point', coordinates: [1, 2] },
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [4, 0],
            [4, 4],
            [0, 0],
          ],
          [
            [1, 1],
            [2, 1],
            [1, 1],
          ],
        ],
      },
      {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [5, 5],
              [6, 5],
              [5, 5],
            ],
          ],
          [
            [
              [7, 7],
              [8, 7],
              [7, 7],
            ],
          ],
        ],
      },
    ];
    const packed = packShapes(shapes);
    expect([...packed.kinds]).toEqual([0, 1, 2]);
    expect([...packed.counts]).toEqual([2, 4, 3, 2, 1, 3, 1, 3]);
    expect([...packed.coords]).toEqual([
      1, 2, 0, 0, 4, 0, 4, 4, 0, 0, 1, 1, 2, 1, 1, 1, 5, 5, 6, 5, 5, 5, 7, 7, 8, 7, 7, 7,
    ]);
    expect(unpackShapes(packed)).toEqual(shapes);
  });

  it('unpack(pack(shapes)) equals shapes, and survives a structured clone', () => {
    fc.assert(
      fc.property(fc.array(shape, { maxLength: 5 }), (shapes) => {
        expect(unpackShapes(structuredClone(packShapes(shapes)))).toEqual(shapes);
      }),
    );
  });
});
