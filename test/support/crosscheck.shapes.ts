/**
 * Seeded random selected areas (lon/lat, EPSG:4326) for the cross-check: convex and concave polygons, polygons
 * with holes, multipolygons, slivers, points, overlapping feature collections, sub-cell polygons and polygons
 * reaching past the raster edge.
 */
type Pos = [number, number];

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A simple ring around (cx, cy): n jittered angles (gaps < π, so the ring is star-shaped and never self-intersects),
 * radius r·k with k ∈ [kmin, 1]; counter-clockwise, closed.
 */
function ring(rand: () => number, cx: number, cy: number, r: number, n: number, kmin: number): Pos[] {
  const turn = rand() * 2 * Math.PI;
  const angles = Array.from({ length: n }, (_, i) => turn + ((i + 0.8 * rand()) / n) * 2 * Math.PI);
  const pts: Pos[] = angles.map((a) => {
    const k = kmin + (1 - kmin) * rand();
    return [cx + r * k * Math.cos(a), cy + r * k * Math.sin(a)];
  });
  pts.push([...(pts[0] as Pos)]);
  return pts;
}

export type Kind =
  'convex' | 'concave' | 'hole' | 'multipolygon' | 'sliver' | 'point' | 'collection' | 'subcell' | 'edge';
export const KINDS: Kind[] = [
  'convex',
  'concave',
  'hole',
  'multipolygon',
  'sliver',
  'point',
  'collection',
  'subcell',
  'edge',
];

/**
 * One random area of `kind` inside `bbox` = [minLon, minLat, maxLon, maxLat]; `cell` is an approximate cell size in
 * degrees (scales the shapes).
 */
export function randomArea(
  rand: () => number,
  kind: Kind,
  bbox: [number, number, number, number],
  cell: number,
): Record<string, unknown> {
  const [x0, y0, x1, y1] = bbox;
  const cx = x0 + (x1 - x0) * (0.15 + 0.7 * rand());
  const cy = y0 + (y1 - y0) * (0.15 + 0.7 * rand());
  const r = cell * (0.8 + 8 * rand());
  const polygon = (rings: Pos[][]) => ({ type: 'Polygon', coordinates: rings });
  switch (kind) {
    case 'convex':
      return polygon([ring(rand, cx, cy, r, 3 + Math.floor(rand() * 10), 1)]);
    case 'concave':
      return polygon([ring(rand, cx, cy, r, 6 + Math.floor(rand() * 14), 0.3)]);
    case 'hole': {
      const outer = ring(rand, cx, cy, r * 1.5, 12, 0.8);
      const inner = ring(rand, cx, cy, r * 0.6, 7, 0.6).reverse();
      return polygon([outer, inner]);
    }
    case 'multipolygon': {
      const parts = [0, 1, 2].slice(0, 2 + Math.floor(rand() * 2)).map((i) => {
        const px = cx + (i - 1) * r * 2.5;
        return [ring(rand, px, cy + (rand() - 0.5) * r, r * 0.9, 5 + Math.floor(rand() * 6), 0.4)];
      });
      return { type: 'Feature', properties: null, geometry: { type: 'MultiPolygon', coordinates: parts } };
    }
    case 'sliver': {
      const a = rand() * Math.PI;
      const len = r * 2;
      const w = cell * (0.01 + 0.05 * rand());
      const [dx, dy] = [Math.cos(a), Math.sin(a)];
      const [nx, ny] = [-dy * w, dx * w];
      const p0: Pos = [cx - dx * len, cy - dy * len];
      const p1: Pos = [cx + dx * len, cy + dy * len];
      return polygon([[p0, p1, [p1[0] + nx, p1[1] + ny], [p0[0] + nx, p0[1] + ny], [...p0]]]);
    }
    case 'point':
      return { type: 'Point', coordinates: [cx, cy] };
    case 'collection':
      return {
        type: 'FeatureCollection',
        features: [0, 1].map((i) => ({
          type: 'Feature',
          properties: {},
          geometry: polygon([ring(rand, cx + i * r * 0.8, cy + i * r * 0.3, r, 4 + Math.floor(rand() * 8), 0.5)]),
        })),
      };
    case 'subcell':
      return polygon([ring(rand, cx, cy, cell * 0.15, 5, 0.5)]);
    case 'edge': {
      // Centre on the left or bottom edge of the bbox so part of the area lies outside the raster.
      const onLeft = rand() < 0.5;
      return polygon([ring(rand, onLeft ? x0 : cx, onLeft ? cy : y0, r, 8, 0.5)]);
    }
  }
}
