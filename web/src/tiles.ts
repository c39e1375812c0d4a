/**
 * Web-mercator tile arithmetic as MapLibre does it (a 512 px world at zoom 0, lon/lat degrees), for asking for the
 * first view's tiles before MapLibre is loaded (boot.ts) and for the raster source's extent.
 */

/** A map view: centre lon/lat (degrees) and MapLibre zoom. */
export interface MapView {
  lon: number;
  lat: number;
  zoom: number;
}

/** Mercator x, y of lon/lat in 0…1 (y down). */
const mx = (lon: number): number => (lon + 180) / 360;
const my = (lat: number): number => (1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2;
const latOf = (y: number): number => (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;

/** The view MapLibre's `fitBounds(bbox, {padding})` gives a `width` × `height` px map (CSS px). */
export function fitView(
  bbox: [number, number, number, number],
  width: number,
  height: number,
  padding: number,
): MapView {
  const dx = (mx(bbox[2]) - mx(bbox[0])) * 512;
  const dy = (my(bbox[1]) - my(bbox[3])) * 512;
  const zoom = Math.log2(Math.min((width - 2 * padding) / dx, (height - 2 * padding) / dy));
  return { lon: (bbox[0] + bbox[2]) / 2, lat: latOf((my(bbox[1]) + my(bbox[3])) / 2), zoom };
}

/**
 * The tiles (`tileSize` px, zoom rounded as MapLibre's raster sources do, at most `maxZoom`) that cover a
 * `width` × `height` px map showing `view`, north up, no pitch.
 */
export function viewTiles(
  view: MapView,
  width: number,
  height: number,
  tileSize = 256,
  maxZoom = 12,
): { z: number; x: number; y: number }[] {
  const z = Math.min(maxZoom, Math.max(0, Math.round(view.zoom + Math.log2(512 / tileSize))));
  const n = 2 ** z;
  const world = 512 * 2 ** view.zoom;
  const cx = mx(view.lon) * n;
  const cy = my(view.lat) * n;
  const hx = (width / 2 / world) * n;
  const hy = (height / 2 / world) * n;
  const clamp = (v: number): number => Math.min(n - 1, Math.max(0, v));
  const tiles: { z: number; x: number; y: number }[] = [];
  for (let x = clamp(Math.floor(cx - hx)); x <= clamp(Math.ceil(cx + hx) - 1); x++) {
    for (let y = clamp(Math.floor(cy - hy)); y <= clamp(Math.ceil(cy + hy) - 1); y++) tiles.push({ z, x, y });
  }
  return tiles;
}

/** Whether tile z/x/y overlaps `bbox` (degrees), as MapLibre's raster source decides with `bounds`. */
export function tileTouches(z: number, x: number, y: number, bbox: [number, number, number, number]): boolean {
  const n = 2 ** z;
  const lon = (i: number): number => (i / n) * 360 - 180;
  return lon(x) < bbox[2] && lon(x + 1) > bbox[0] && latOf((y + 1) / n) < bbox[3] && latOf(y / n) > bbox[1];
}

/** A tile's URL from a `{z}/{x}/{y}` template. */
export function tileUrlOf(template: string, z: number, x: number, y: number): string {
  return template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y));
}
