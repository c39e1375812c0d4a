import type { Crs } from '../geo/crs.js';

/**
 * The view of a dataset CRS that tile rendering needs: lon/lat ↔ dataset coordinates, and whether the CRS is
 * geographic (then the warp to Web Mercator is separable: a column depends on longitude only, a row on latitude
 * only). Tile code sees this narrow view rather than `Crs` itself so tests can build one from proj4 or by hand;
 * the tile service adapts `resolveCrs`'s `Crs` (src/geo/crs.ts) with `tileCrsFrom`.
 */
export interface TileCrs {
  /** `EPSG:<code>`. */
  readonly code: string;
  /** True for lon/lat CRSs (EPSG:4326, EPSG:4269): x is degrees east, y degrees north. */
  readonly geographic: boolean;
  /** WGS84 lon/lat degrees → dataset CRS (x, y) (degrees or metres). */
  fromLonLat(lon: number, lat: number): [x: number, y: number];
  /** Dataset CRS (x, y) → WGS84 lon/lat degrees. */
  toLonLat(x: number, y: number): [lon: number, lat: number];
}

/** A lon/lat CRS whose datum we treat as WGS84 (EPSG:4326; EPSG:4269 as GDAL's ballpark NAD83→WGS84 does). */
export function geographicTileCrs(code: string): TileCrs {
  return {
    code,
    geographic: true,
    fromLonLat: (lon, lat) => [lon, lat],
    toLonLat: (x, y) => [x, y],
  };
}

/**
 * Adapts a `Crs` from src/geo/crs.ts. A point the projection cannot map — an error, a non-finite result, or
 * (projected CRSs) a result that does not map back to the same lon/lat, as happens far outside a UTM zone — becomes
 * NaN (no data) instead: low-zoom tiles span far more than a projected dataset's zone.
 */
export function tileCrsFrom(crs: Crs): TileCrs {
  const safe =
    (fn: (a: number, b: number) => [number, number]) =>
    (a: number, b: number): [number, number] => {
      try {
        const p = fn(a, b);
        return Number.isFinite(p[0]) && Number.isFinite(p[1]) ? p : [NaN, NaN];
      } catch {
        return [NaN, NaN];
      }
    };
  const forward = safe((lon, lat) => crs.forward(lon, lat));
  const inverse = safe((x, y) => crs.inverse(x, y));
  const checkedForward = (lon: number, lat: number): [number, number] => {
    const p = forward(lon, lat);
    const [lon2, lat2] = inverse(p[0], p[1]);
    return Math.abs(lon2 - lon) < 1e-7 && Math.abs(lat2 - lat) < 1e-7 ? p : [NaN, NaN];
  };
  return {
    code: crs.code,
    geographic: crs.geographic,
    fromLonLat: crs.geographic ? forward : checkedForward,
    toLonLat: inverse,
  };
}
