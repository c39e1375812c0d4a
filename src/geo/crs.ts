import proj4 from 'proj4';
import { AppError } from '../errors.js';

/**
 * A coordinate reference system a dataset may use, with the transform from request coordinates (lon/lat degrees,
 * EPSG:4326, lon first — pyproj `always_xy=True`) to dataset CRS units and back.
 */
export interface Crs {
  /** As given, upper-cased when it is an `EPSG:<n>` code. */
  code: string;
  /** True for lon/lat CRSs (units: degrees); areas are then geodesic on `ellipsoid`. */
  geographic: boolean;
  /** Semi-major axis `a` (metres) and flattening `f` of the CRS ellipsoid; null when unknown. */
  ellipsoid: { a: number; f: number } | null;
  /** EPSG:4326 lon/lat (degrees) → CRS x/y (CRS units). */
  forward(lon: number, lat: number): [number, number];
  /** CRS x/y → EPSG:4326 lon/lat (degrees). */
  inverse(x: number, y: number): [number, number];
  /** True when `forward` and `inverse` return the coordinates unchanged (lon/lat on a datum treated as WGS84). */
  identity?: boolean;
}

const WGS84 = { a: 6378137, rf: 298.257223563 } as const;
const GRS80 = { a: 6378137, rf: 298.257222101 } as const;

interface BuiltIn {
  proj: string;
  geographic: boolean;
  ellps: { a: number; rf: number } | { a: number; b: number };
}

function utm(zone: number, south: boolean, ellps: 'WGS84' | 'GRS80'): BuiltIn {
  return {
    proj: `+proj=utm +zone=${zone}${south ? ' +south' : ''} +ellps=${ellps} +units=m +no_defs`,
    geographic: false,
    ellps: ellps === 'WGS84' ? WGS84 : GRS80,
  };
}

/**
 * The EPSG codes we know without a database. NAD83 (4269, 269xx) is treated as WGS84 with a null datum shift, as
 * PROJ does for "NAD83 to WGS 84 (1)", but keeps its GRS80 ellipsoid for areas (what pyproj uses).
 */
function builtIn(epsg: number): BuiltIn | null {
  if (epsg === 4326) return { proj: '+proj=longlat +ellps=WGS84 +no_defs', geographic: true, ellps: WGS84 };
  if (epsg === 4269) return { proj: '+proj=longlat +ellps=GRS80 +no_defs', geographic: true, ellps: GRS80 };
  if (epsg === 3857 || epsg === 900913) {
    const sphere = { a: 6378137, b: 6378137 };
    return {
      proj: '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +no_defs',
      geographic: false,
      ellps: sphere,
    };
  }
  if (epsg >= 32601 && epsg <= 32660) return utm(epsg - 32600, false, 'WGS84');
  if (epsg >= 32701 && epsg <= 32760) return utm(epsg - 32700, true, 'WGS84');
  if (epsg >= 26901 && epsg <= 26923) return utm(epsg - 26900, false, 'GRS80');
  return null;
}

function unsupported(crs: string): AppError {
  return new AppError('invalid_request', `Unsupported CRS '${crs}'.`);
}

function fromConverter(
  code: string,
  geographic: boolean,
  ellipsoid: { a: number; f: number } | null,
  converter: proj4.Converter | null,
): Crs {
  if (converter === null) {
    // Lon/lat on a datum treated as WGS84: the coordinates do not change.
    return {
      code,
      geographic,
      ellipsoid,
      forward: (lon, lat) => [lon, lat],
      inverse: (x, y) => [x, y],
      identity: true,
    };
  }
  const check = (p: number[], what: string): [number, number] => {
    const [x, y] = p as [number, number];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new AppError('invalid_geometry', `A coordinate cannot be ${what} ${code}.`);
    }
    return [x, y];
  };
  return {
    code,
    geographic,
    ellipsoid,
    forward: (lon, lat) => check(converter.forward([lon, lat]), 'projected to'),
    inverse: (x, y) => check(converter.inverse([x, y]), 'converted from'),
  };
}

function flatteningOf(e: { a: number; rf: number } | { a: number; b: number }): { a: number; f: number } {
  return 'rf' in e ? { a: e.a, f: 1 / e.rf } : { a: e.a, f: (e.a - e.b) / e.a };
}

function build(crs: string): Crs {
  const trimmed = crs.trim();
  const m = /^EPSG:(\d{1,6})$/i.exec(trimmed);
  if (m !== null) {
    const def = builtIn(Number(m[1]));
    if (def === null) throw unsupported(crs);
    const code = `EPSG:${Number(m[1])}`;
    const ellipsoid = flatteningOf(def.ellps);
    if (def.geographic) return fromConverter(code, true, ellipsoid, null);
    // Source lon/lat on the target's own ellipsoid: no datum shift, as PROJ's null WGS84↔NAD83 operation.
    const e = def.ellps;
    const src =
      'rf' in e ? `+proj=longlat +a=${e.a} +rf=${e.rf} +no_defs` : `+proj=longlat +a=${e.a} +b=${e.b} +no_defs`;
    return fromConverter(code, false, ellipsoid, proj4(src, def.proj));
  }
  if (trimmed.startsWith('+proj=')) {
    let projection: { projName?: string; a?: number; b?: number };
    let converter: proj4.Converter;
    try {
      projection = proj4.Proj(trimmed) as unknown as { projName?: string; a?: number; b?: number };
      converter = proj4('+proj=longlat +datum=WGS84 +no_defs', trimmed);
      converter.forward([0, 0]);
    } catch (err) {
      throw new AppError('invalid_request', `Unsupported CRS '${crs}'.`, { cause: err });
    }
    const { a, b } = projection;
    const ellipsoid = a !== undefined && b !== undefined && a > 0 ? { a, f: (a - b) / a } : null;
    const geographic = projection.projName === 'longlat';
    return fromConverter(trimmed, geographic, ellipsoid, converter);
  }
  throw unsupported(crs);
}

/**
 * Resolve a dataset CRS: `EPSG:4326`, `EPSG:4269`, `EPSG:3857`, WGS84 UTM `EPSG:326xx`/`EPSG:327xx`, NAD83 UTM
 * `EPSG:269xx`, or any proj4 string (`+proj=…`). Pass a `cache` (one per process or per registry) to reuse resolved
 * CRSs by code.
 * @throws AppError `invalid_request` — `Unsupported CRS '<x>'.`
 */
export function resolveCrs(crs: string, cache?: Map<string, Crs>): Crs {
  const hit = cache?.get(crs);
  if (hit !== undefined) return hit;
  const resolved = build(crs);
  cache?.set(crs, resolved);
  return resolved;
}

/** A resolver with its own cache, for long-lived owners (registry, extraction deps). */
export function createCrsResolver(): (crs: string) => Crs {
  const cache = new Map<string, Crs>();
  return (crs) => resolveCrs(crs, cache);
}
