/** Axis-aligned boxes (`[west, south, east, north]`) as GeoJSON. */
import type { Position } from './geojson.js';

/** The closed ring (x0, y0) → (x1, y0) → (x1, y1) → (x0, y1) → (x0, y0): counter-clockwise when x0 < x1, y0 < y1. */
export function boxRing(x0: number, y0: number, x1: number, y1: number): Position[] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
}

/** A GeoJSON Polygon whose one ring is `boxRing(x0, y0, x1, y1)`. */
export function boxPolygon(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): { type: 'Polygon'; coordinates: Position[][] } {
  return { type: 'Polygon', coordinates: [boxRing(x0, y0, x1, y1)] };
}
