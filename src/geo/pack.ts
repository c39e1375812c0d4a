/**
 * Shapes packed into typed arrays for a hop to a worker thread. Structured clone copies an array of 10 000 small
 * `[x, y]` arrays object by object (tens of milliseconds on the sending thread, the event loop); three typed arrays
 * are copied as bytes.
 */
import type { Position, Shape } from './geojson.js';

/** {@link Shape}s as typed arrays. Coordinates in whatever units the shapes had (lon/lat or dataset CRS). */
export interface PackedShapes {
  /** Per shape: 0 Point, 1 Polygon, 2 MultiPolygon. */
  kinds: Uint8Array;
  /**
   * The structure, shape after shape: a Polygon is its ring count then each ring's position count; a MultiPolygon is
   * its polygon count then each polygon as a Polygon; a Point adds nothing.
   */
  counts: Int32Array;
  /** x, y of every position, in order. */
  coords: Float64Array;
}

const KIND = { Point: 0, Polygon: 1, MultiPolygon: 2 } as const;

/** Packs `shapes` (see {@link PackedShapes}); {@link unpackShapes} gives them back equal. */
export function packShapes(shapes: readonly Shape[]): PackedShapes {
  let nCounts = 0;
  let nPositions = 0;
  const sizeRings = (rings: Position[][]): void => {
    nCounts += 1 + rings.length;
    for (const r of rings) nPositions += r.length;
  };
  for (const s of shapes) {
    if (s.type === 'Point') nPositions += 1;
    else if (s.type === 'Polygon') sizeRings(s.coordinates);
    else {
      nCounts += 1;
      s.coordinates.forEach(sizeRings);
    }
  }
  const kinds = new Uint8Array(shapes.length);
  const counts = new Int32Array(nCounts);
  const coords = new Float64Array(nPositions * 2);
  let c = 0;
  let p = 0;
  const put = (pos: Position): void => {
    coords[p++] = pos[0];
    coords[p++] = pos[1];
  };
  const putRings = (rings: Position[][]): void => {
    counts[c++] = rings.length;
    for (const r of rings) counts[c++] = r.length;
    for (const r of rings) for (let i = 0; i < r.length; i++) put(r[i] as Position);
  };
  shapes.forEach((s, i) => {
    kinds[i] = KIND[s.type];
    if (s.type === 'Point') put(s.coordinates);
    else if (s.type === 'Polygon') putRings(s.coordinates);
    else {
      counts[c++] = s.coordinates.length;
      s.coordinates.forEach(putRings);
    }
  });
  return { kinds, counts, coords };
}

/** The shapes {@link packShapes} packed. */
export function unpackShapes(packed: PackedShapes): Shape[] {
  const { kinds, counts, coords } = packed;
  let c = 0;
  let p = 0;
  const take = (): Position => {
    const pos: Position = [coords[p] as number, coords[p + 1] as number];
    p += 2;
    return pos;
  };
  const takeRings = (): Position[][] => {
    const n = counts[c++] as number;
    const sizes = Array.from({ length: n }, () => counts[c++] as number);
    return sizes.map((len) => Array.from({ length: len }, take));
  };
  return Array.from(kinds, (kind): Shape => {
    if (kind === KIND.Point) return { type: 'Point', coordinates: take() };
    if (kind === KIND.Polygon) return { type: 'Polygon', coordinates: takeRings() };
    const n = counts[c++] as number;
    return { type: 'MultiPolygon', coordinates: Array.from({ length: n }, takeRings) };
  });
}
