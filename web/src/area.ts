/**
 * The selected area: polygons and points in lon/lat (EPSG:4326), as drawn or read from an uploaded GeoJSON file, its
 * size (geodesic, on the WGS 84 sphere of @turf/area), and the `selected_area` body field.
 */
import turfArea from '@turf/area';

/** One shape of the area. Coordinates: `[lon, lat]` degrees. */
export type AreaGeometry = { type: 'Polygon'; coordinates: number[][][] } | { type: 'Point'; coordinates: number[] };

/** A file or fragment that holds no usable shape (the message is shown as is). */
export class AreaError extends Error {}

const isPosition = (p: unknown): p is number[] =>
  Array.isArray(p) && p.length >= 2 && p.every((n) => typeof n === 'number' && Number.isFinite(n));

function polygon(coords: unknown): AreaGeometry {
  if (!Array.isArray(coords) || coords.length === 0 || !coords.every((r) => Array.isArray(r) && r.every(isPosition))) {
    throw new AreaError('A polygon needs rings of [longitude, latitude] positions.');
  }
  const rings = (coords as number[][][]).map((r) => r.map((p) => [p[0] ?? 0, p[1] ?? 0]));
  return { type: 'Polygon', coordinates: rings };
}

/**
 * The shapes of any GeoJSON object: Polygon, MultiPolygon (one polygon per part), Point, MultiPoint, Feature,
 * FeatureCollection, GeometryCollection. Lines and empty inputs are refused with an {@link AreaError}. Validity
 * (self-intersections …) is the API's to judge: its message is shown when it refuses the area.
 */
export function readArea(geojson: unknown): AreaGeometry[] {
  const out: AreaGeometry[] = [];
  const visit = (g: unknown): void => {
    if (typeof g !== 'object' || g === null) throw new AreaError('Not a GeoJSON object.');
    const o = g as Record<string, unknown>;
    switch (o['type']) {
      case 'FeatureCollection':
        if (!Array.isArray(o['features'])) throw new AreaError('A FeatureCollection needs a `features` array.');
        o['features'].forEach(visit);
        return;
      case 'Feature':
        visit(o['geometry']);
        return;
      case 'GeometryCollection':
        if (!Array.isArray(o['geometries'])) throw new AreaError('A GeometryCollection needs `geometries`.');
        o['geometries'].forEach(visit);
        return;
      case 'Polygon':
        out.push(polygon(o['coordinates']));
        return;
      case 'MultiPolygon':
        if (!Array.isArray(o['coordinates'])) throw new AreaError('A MultiPolygon needs `coordinates`.');
        o['coordinates'].forEach((c) => out.push(polygon(c)));
        return;
      case 'Point':
        if (!isPosition(o['coordinates'])) throw new AreaError('A point needs [longitude, latitude].');
        out.push({ type: 'Point', coordinates: [o['coordinates'][0] ?? 0, o['coordinates'][1] ?? 0] });
        return;
      case 'MultiPoint':
        if (!Array.isArray(o['coordinates']) || !o['coordinates'].every(isPosition)) {
          throw new AreaError('A MultiPoint needs [longitude, latitude] positions.');
        }
        (o['coordinates'] as number[][]).forEach((p) =>
          out.push({ type: 'Point', coordinates: [p[0] ?? 0, p[1] ?? 0] }),
        );
        return;
      default:
        throw new AreaError(
          `Unsupported GeoJSON type ${JSON.stringify(o['type'] ?? null)}: use polygons or points (lines have no area).`,
        );
    }
  };
  visit(geojson);
  if (out.length === 0) throw new AreaError('The GeoJSON holds no polygon or point.');
  return out;
}

/** The area as a GeoJSON FeatureCollection (the `selected_area` body field and the download). */
export function areaFeatureCollection(area: AreaGeometry[]): {
  type: 'FeatureCollection';
  features: { type: 'Feature'; properties: Record<string, never>; geometry: AreaGeometry }[];
} {
  return {
    type: 'FeatureCollection',
    features: area.map((geometry) => ({ type: 'Feature', properties: {}, geometry })),
  };
}

/** Size of the area's polygons, m² (overlaps counted twice: a display estimate; the API reports the exact area). */
export function areaSquareMetres(area: AreaGeometry[]): number {
  return turfArea(areaFeatureCollection(area) as Parameters<typeof turfArea>[0]);
}

/** A size for people: `12.3 km²`, `850 m²`, or the number of points. */
export function describeArea(area: AreaGeometry[]): string {
  const points = area.filter((g) => g.type === 'Point').length;
  const polygons = area.length - points;
  const parts: string[] = [];
  if (polygons > 0) {
    const m2 = areaSquareMetres(area);
    const size =
      m2 >= 1e6
        ? `${(m2 / 1e6).toLocaleString('en-US', { maximumFractionDigits: m2 >= 1e8 ? 0 : 1 })} km²`
        : `${Math.round(m2).toLocaleString('en-US')} m²`;
    parts.push(`${polygons === 1 ? '1 polygon' : `${polygons} polygons`}, ${size}`);
  }
  if (points > 0) parts.push(points === 1 ? '1 point' : `${points} points`);
  return parts.join(' + ');
}

/** The closed ring of the rectangle `[west, south, east, north]` (degrees): W,S → E,S → E,N → W,N → W,S. */
export function boxRing(w: number, s: number, e: number, n: number): number[][] {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

/** The rectangle `[west, south, east, north]` (degrees) as a polygon. */
export function boxPolygon(w: number, s: number, e: number, n: number): AreaGeometry {
  return { type: 'Polygon', coordinates: [boxRing(w, s, e, n)] };
}

/** Bounds `[west, south, east, north]` of the area. */
export function areaBounds(area: AreaGeometry[]): [number, number, number, number] | null {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const add = (p: number[]): void => {
    const [x, y] = p;
    if (x === undefined || y === undefined) return;
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  };
  for (const g of area) {
    if (g.type === 'Point') add(g.coordinates);
    else g.coordinates.forEach((r) => r.forEach(add));
  }
  return Number.isFinite(w) ? [w, s, e, n] : null;
}
