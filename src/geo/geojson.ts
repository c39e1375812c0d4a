import { AppError } from '../errors.js';

/** A GeoJSON position reduced to `[lon, lat]` in degrees (EPSG:4326); a third (altitude) number is dropped. */
export type Position = [number, number];

/** One shape of a selected area, coordinates in lon/lat degrees (EPSG:4326) until projected. */
export type Shape =
  | { type: 'Point'; coordinates: Position }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

/** A validated `selected_area`: Point, Polygon, MultiPolygon, or Features / a FeatureCollection of them. */
export interface SelectedArea {
  /** One shape per Point/Polygon/MultiPolygon, per Feature, or per feature of a FeatureCollection. */
  shapes: Shape[];
  /** True when every shape is a Point (the size pre-flight is skipped: each point is one cell). */
  pointsOnly: boolean;
  /** Number of shapes, as Shapely counts them (a MultiPolygon is one shape). */
  nShapes: number;
  /** Total coordinates as Shapely counts them: ring-closing positions and holes count. */
  nCoordinates: number;
}

/** Complexity limits of a selected area (`max_geometry_shapes`, `max_geometry_coordinates`). */
export interface GeometryLimits {
  maxShapes: number;
  maxCoordinates: number;
}

const KNOWN_UNSUPPORTED = new Set(['LineString', 'MultiLineString', 'MultiPoint', 'GeometryCollection']);

function invalid(message: string): AppError {
  return new AppError('invalid_geometry', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A checked position. The path is built only for an error message (`index` appended), and a valid `[lon, lat]` is
 * returned as is: 10 000 coordinates allocate nothing new.
 */
function parsePosition(value: unknown, base: string, index?: number): Position {
  // No closure here: this runs once per coordinate.
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    throw invalid(`${at(base, index)} must be a position [longitude, latitude].`);
  }
  for (const n of value) {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(`${at(base, index)} must contain finite numbers.`);
  }
  const lon = value[0] as number;
  const lat = value[1] as number;
  if (lon < -180 || lon > 180) {
    throw invalid(`${at(base, index)} has longitude ${lon}; it must be between -180 and 180.`);
  }
  if (lat < -90 || lat > 90) throw invalid(`${at(base, index)} has latitude ${lat}; it must be between -90 and 90.`);
  return value.length === 2 ? (value as Position) : [lon, lat];
}

/** `base[index]`, or `base` without an index. */
function at(base: string, index: number | undefined): string {
  return index === undefined ? base : `${base}[${index}]`;
}

function parseRing(value: unknown, path: string): Position[] {
  if (!Array.isArray(value)) throw invalid(`${path} must be an array of positions.`);
  const ring = value.map((p, i) => parsePosition(p, path, i));
  if (ring.length < 4) throw invalid(`${path} has ${ring.length} positions; a polygon ring needs at least 4.`);
  const first = ring[0] as Position;
  const last = ring[ring.length - 1] as Position;
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw invalid(`${path} is not closed: its first and last positions must be equal.`);
  }
  return ring;
}

function parsePolygonCoords(value: unknown, path: string): Position[][] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(`${path} must be a non-empty array of rings.`);
  return value.map((r, i) => parseRing(r, `${path}[${i}]`));
}

function parseGeometry(value: unknown, path: string): Shape {
  if (!isObject(value)) throw invalid(`${path} must be a GeoJSON geometry object.`);
  const type = value['type'];
  const coords = value['coordinates'];
  const at = `${path}.coordinates`;
  switch (type) {
    case 'Point':
      return { type, coordinates: parsePosition(coords, at) };
    case 'Polygon':
      return { type, coordinates: parsePolygonCoords(coords, at) };
    case 'MultiPolygon': {
      if (!Array.isArray(coords) || coords.length === 0) throw invalid(`${at} must be a non-empty array of polygons.`);
      return { type, coordinates: coords.map((p, i) => parsePolygonCoords(p, `${at}[${i}]`)) };
    }
    default:
      if (typeof type === 'string' && KNOWN_UNSUPPORTED.has(type)) {
        throw invalid(`Geometry type '${type}' is not supported; use Point, Polygon or MultiPolygon.`);
      }
      throw invalid(`${path} has unknown geometry type ${JSON.stringify(type) ?? 'undefined'}.`);
  }
}

function parseFeature(value: unknown, path: string): Shape {
  if (!isObject(value) || value['type'] !== 'Feature') throw invalid(`${path} must be a GeoJSON Feature.`);
  if (!('geometry' in value)) throw invalid(`${path} needs a 'geometry' key.`);
  if (!('properties' in value)) throw invalid(`${path} needs a 'properties' key (it may be null).`);
  const props = value['properties'];
  if (props !== null && !isObject(props)) throw invalid(`${path}.properties must be an object or null.`);
  if (value['geometry'] === null) throw invalid(`${path} has no geometry.`);
  return parseGeometry(value['geometry'], `${path}.geometry`);
}

/** Shapely's `len(shape.coords)` summed over the parts of a shape. */
function countCoordinates(shape: Shape): number {
  switch (shape.type) {
    case 'Point':
      return 1;
    case 'Polygon':
      return shape.coordinates.reduce((n, ring) => n + ring.length, 0);
    case 'MultiPolygon':
      return shape.coordinates.reduce((n, poly) => n + poly.reduce((m, ring) => m + ring.length, 0), 0);
  }
}

/**
 * Validate a request's `selected_area` (GeoJSON, lon/lat degrees in EPSG:4326) and split it into shapes.
 * Accepts Point, Polygon and MultiPolygon geometries, a Feature (keys `geometry` and `properties` required) and a
 * FeatureCollection (one shape per feature). Polygon rings need ≥ 4 positions and must be closed.
 * @throws AppError `invalid_geometry` for malformed or unsupported input, `geometry_too_complex` with the upstream
 *   sentences when a limit is exceeded.
 */
export function parseSelectedArea(input: unknown, limits: GeometryLimits): SelectedArea {
  if (!isObject(input)) throw invalid('selected_area must be a GeoJSON object.');
  let shapes: Shape[];
  switch (input['type']) {
    case 'Feature':
      shapes = [parseFeature(input, 'selected_area')];
      break;
    case 'FeatureCollection': {
      const features = input['features'];
      if (!Array.isArray(features)) throw invalid('selected_area.features must be an array of Features.');
      if (features.length === 0) throw invalid('selected_area is a FeatureCollection without features.');
      shapes = features.map((f, i) => parseFeature(f, `selected_area.features[${i}]`));
      break;
    }
    default:
      shapes = [parseGeometry(input, 'selected_area')];
  }
  const nShapes = shapes.length;
  if (nShapes > limits.maxShapes) {
    throw new AppError('geometry_too_complex', `Selected area has ${nShapes} shapes; maximum is ${limits.maxShapes}.`);
  }
  const nCoordinates = shapes.reduce((n, s) => n + countCoordinates(s), 0);
  if (nCoordinates > limits.maxCoordinates) {
    throw new AppError(
      'geometry_too_complex',
      `Selected area has ${nCoordinates} coordinates; maximum is ${limits.maxCoordinates}.`,
    );
  }
  return { shapes, pointsOnly: shapes.every((s) => s.type === 'Point'), nShapes, nCoordinates };
}
