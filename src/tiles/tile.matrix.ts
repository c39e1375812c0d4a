/**
 * WebMercatorQuad (OGC TMS, EPSG:3857): tile z/x/y → bounds, pixel centres → lon/lat, and the zoom that fits a
 * resolution (morecantile's `zoom_for_res`, as rio-tiler uses it for TileJSON min/max zoom).
 */

/** Half the width of the EPSG:3857 world, metres (π × 6378137). */
export const MERCATOR_HALF = 20037508.342789244;
/** Sphere radius of EPSG:3857, metres. */
export const MERCATOR_RADIUS = 6378137;
/** Deepest zoom we serve (morecantile's WebMercatorQuad goes to 24). */
export const MAX_ZOOM = 24;

/** An axis-aligned box `[minX, minY, maxX, maxY]` in one CRS (EPSG:3857 metres unless said otherwise). */
export type Bounds = readonly [minX: number, minY: number, maxX: number, maxY: number];

/** A tile address in WebMercatorQuad: zoom, column (from the west), row (from the north). */
export interface TileAddress {
  z: number;
  x: number;
  y: number;
}

/** True when z/x/y names a tile of the matrix (0 ≤ z ≤ 24, 0 ≤ x, y < 2^z, all integers). */
export function isTileInMatrix(t: TileAddress): boolean {
  const { z, x, y } = t;
  if (!Number.isInteger(z) || !Number.isInteger(x) || !Number.isInteger(y)) return false;
  if (z < 0 || z > MAX_ZOOM) return false;
  const n = 2 ** z;
  return x >= 0 && y >= 0 && x < n && y < n;
}

/**
 * Bounds of tile z/x/y in EPSG:3857 metres.
 * @example tileBounds({ z: 0, x: 0, y: 0 }) → [-20037508.34…, -20037508.34…, 20037508.34…, 20037508.34…]
 */
export function tileBounds(t: TileAddress): Bounds {
  const size = (2 * MERCATOR_HALF) / 2 ** t.z;
  const minX = -MERCATOR_HALF + t.x * size;
  const maxY = MERCATOR_HALF - t.y * size;
  return [minX, maxY - size, minX + size, maxY];
}

/** Size of one pixel of a `tileSize` px tile at zoom z, EPSG:3857 metres. */
export function tileResolution(z: number, tileSize = 256): number {
  return (2 * MERCATOR_HALF) / tileSize / 2 ** z;
}

/** EPSG:3857 metres → [lon, lat] degrees (spherical inverse). */
export function mercatorToLonLat(x: number, y: number): [lon: number, lat: number] {
  const lon = (x / MERCATOR_RADIUS) * (180 / Math.PI);
  const lat = Math.atan(Math.sinh(y / MERCATOR_RADIUS)) * (180 / Math.PI);
  return [lon, lat];
}

/** Degrees longitude → EPSG:3857 x metres. */
export function lonToMercatorX(lon: number): number {
  return (lon * Math.PI * MERCATOR_RADIUS) / 180;
}

/** Degrees latitude → EPSG:3857 y metres (clamped to ±85.0511°, the square world's edge). */
export function latToMercatorY(lat: number): number {
  const clamped = Math.max(-85.0511287798066, Math.min(85.0511287798066, lat));
  const phi = (clamped * Math.PI) / 180;
  return MERCATOR_RADIUS * Math.log(Math.tan(Math.PI / 4 + phi / 2));
}

/**
 * The zoom whose 256 px tile resolution best matches `res` (EPSG:3857 metres per pixel), morecantile's
 * `zoom_for_res` with `zoom_level_strategy="auto"`: the first zoom not finer than `res`, moved one level up
 * when the coarser neighbour is closer in ratio.
 * @example zoomForResolution(tileResolution(7)) → 7; zoomForResolution(900) → 7 (z7 ≈ 1223 m, z8 ≈ 611 m)
 */
export function zoomForResolution(res: number, minZ = 0, maxZ = MAX_ZOOM): number {
  let z = minZ;
  let matrixRes = tileResolution(z);
  for (z = minZ; z <= maxZ; z++) {
    matrixRes = tileResolution(z);
    if (res > matrixRes || Math.abs(res - matrixRes) / matrixRes <= 1e-8) break;
  }
  if (z > maxZ) z = maxZ;
  if (z > 0 && Math.abs(res - matrixRes) / matrixRes > 1e-8) {
    const coarser = tileResolution(Math.max(z - 1, minZ));
    if (coarser / res < res / matrixRes) z = Math.max(z - 1, minZ);
  }
  return z;
}

/**
 * rio-tiler's `get_maximum_overview_level`: how many times a `width`×`height` raster can be halved before its
 * short side drops to `minSize` px.
 */
export function maximumOverviewLevel(width: number, height: number, minSize = 256): number {
  let level = 0;
  let factor = 1;
  while (Math.min(Math.floor(width / factor), Math.floor(height / factor)) > minSize) {
    factor *= 2;
    level++;
  }
  return level;
}

/**
 * TileJSON min/max zoom from the raster's resolution in EPSG:3857 (rio-tiler's rule): maxzoom fits the native
 * resolution; minzoom fits the coarsest theoretical overview (short side halved down to 256 px).
 * @param res3857 native pixel size reprojected to EPSG:3857, metres
 * @param width3857 raster width in pixels at that resolution (likewise height)
 */
export function zoomRange(
  res3857: number,
  width3857: number,
  height3857: number,
): { minzoom: number; maxzoom: number } {
  const maxzoom = zoomForResolution(res3857);
  const ovr = maximumOverviewLevel(width3857, height3857, 256);
  const minzoom = Math.min(zoomForResolution(res3857 * 2 ** ovr), maxzoom);
  return { minzoom, maxzoom };
}
