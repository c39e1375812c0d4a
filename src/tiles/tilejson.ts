/**
 * TileJSON facts of a raster (rio-tiler's rules): lon/lat bounds from the densified edges, and min/max zoom from
 * the resolution GDAL suggests for the raster reprojected to EPSG:3857 (`GDALSuggestedWarpOutput2`: the output
 * extent's diagonal over the input's diagonal in pixels).
 */
import { applyAffine } from '../geo/affine.js';
import type { Affine } from '../geo/affine.js';
import type { TileCrs } from './tile.crs.js';
import { latToMercatorY, lonToMercatorX, zoomRange } from './tile.matrix.js';

/** What TileJSON needs to say about a raster. */
export interface RasterFootprint {
  /** [west, south, east, north], degrees (EPSG:4326). */
  bounds: [number, number, number, number];
  /** Pixel size of the raster reprojected to EPSG:3857, metres (square pixels). */
  res3857: number;
  /** Size of the reprojected raster, px. */
  width3857: number;
  height3857: number;
  minzoom: number;
  maxzoom: number;
}

/** Points along the raster's outline, 21 per edge (rasterio's `densify_pts` default), as lon/lat. */
function outlineLonLat(width: number, height: number, transform: Affine, crs: TileCrs): [number, number][] {
  const pts: [number, number][] = [];
  const n = 21;
  for (let k = 0; k <= n; k++) {
    const t = k / n;
    for (const [c, r] of [
      [t * width, 0],
      [t * width, height],
      [0, t * height],
      [width, t * height],
    ] as [number, number][]) {
      const [x, y] = applyAffine(transform, c, r);
      pts.push(crs.toLonLat(x, y));
    }
  }
  return pts;
}

/**
 * Footprint and zoom range of a `width`×`height` raster with geotransform `transform` in `crs`.
 * @example PaleoCAR (1560×1440 at 30″, EPSG:4269) → res3857 ≈ 1044 m, 1386×1608 px, minzoom 4, maxzoom 7
 */
export function rasterFootprint(width: number, height: number, transform: Affine, crs: TileCrs): RasterFootprint {
  const pts = outlineLonLat(width, height, transform, crs);
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  let mx0 = Infinity;
  let my0 = Infinity;
  let mx1 = -Infinity;
  let my1 = -Infinity;
  for (const [lon, lat] of pts) {
    w = Math.min(w, lon);
    e = Math.max(e, lon);
    s = Math.min(s, lat);
    n = Math.max(n, lat);
    const mx = lonToMercatorX(lon);
    const my = latToMercatorY(lat);
    mx0 = Math.min(mx0, mx);
    mx1 = Math.max(mx1, mx);
    my0 = Math.min(my0, my);
    my1 = Math.max(my1, my);
  }
  const res3857 = Math.hypot(mx1 - mx0, my1 - my0) / Math.hypot(width, height);
  const width3857 = Math.floor((mx1 - mx0) / res3857 + 0.5);
  const height3857 = Math.floor((my1 - my0) / res3857 + 0.5);
  const { minzoom, maxzoom } = zoomRange(res3857, width3857, height3857);
  return { bounds: [w, s, e, n], res3857, width3857, height3857, minzoom, maxzoom };
}
