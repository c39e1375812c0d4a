/**
 * Which resolution level and which source window feed tile z/x/y (pure: no pixels, no I/O).
 *
 * Overview choice (GDAL's rule, so a tile reads the level GDAL and TiTiler would): the coarsest level whose
 * downsampling factor is at most the output pixel's size in full-resolution cells × 1.2 (GDAL's oversampling
 * slack); full resolution when zoomed in past the data. A tile that lands on no cell of the raster plans no read
 * (`window: null`).
 */
import type { RasterLevel } from '../raster/types.js';
import type { TileCrs } from './tile.crs.js';
import type { Bounds, TileAddress } from './tile.matrix.js';
import { tileBounds } from './tile.matrix.js';
import type { Resampling, SourceCoords } from './warp.js';
import { neededWindow, sourceCoords } from './warp.js';
import type { PixelWindow } from '../raster/types.js';

/** GDAL_OVERVIEW_OVERSAMPLING_THRESHOLD's value for this purpose. */
export const OVERVIEW_SLACK = 1.2;

/** What to read and how to sample it for one tile. */
export interface TilePlan {
  /** EPSG:3857 bounds of the tile, metres. */
  bounds: Bounds;
  /** Output size, px (square). */
  size: number;
  /** Resolution level to read: 0 = full resolution. */
  level: number;
  /** Full-resolution cells per output pixel (the smaller of the x and y ratios). */
  downsampling: number;
  /** Source coordinates of every output pixel centre, in the chosen level's pixels. */
  coords: SourceCoords;
  /** Window of the chosen level to read, or null: the tile is wholly outside the raster. */
  window: PixelWindow | null;
}

/**
 * The level GDAL would read for a given downsampling factor (full-resolution cells per output pixel).
 * @example chooseLevel([{width:1000…}, {width:500…}, {width:250…}], 2.3) → 1 (factor 2 ≤ 2.76 < 4)
 */
export function chooseLevel(levels: readonly Pick<RasterLevel, 'width' | 'height'>[], downsampling: number): number {
  const base = levels[0];
  if (base === undefined) return 0;
  let best = 0;
  let bestFactor = 1;
  for (let l = 1; l < levels.length; l++) {
    const lv = levels[l] as Pick<RasterLevel, 'width' | 'height'>;
    const factor = Math.min(base.width / lv.width, base.height / lv.height);
    if (factor <= downsampling * OVERVIEW_SLACK && factor > bestFactor) {
      best = l;
      bestFactor = factor;
    }
  }
  return best;
}

/** Full-resolution cells per output pixel: the smaller of the x and y steps between neighbouring output pixels. */
export function downsamplingOf(coords: SourceCoords): number {
  const { width, height, col, row } = coords;
  let dx: number;
  let dy: number;
  if (coords.kind === 'separable') {
    dx = Math.abs((col[width - 1] as number) - (col[0] as number)) / Math.max(1, width - 1);
    dy = Math.abs((row[height - 1] as number) - (row[0] as number)) / Math.max(1, height - 1);
  } else {
    // Mean step between neighbouring output pixels, over pixels every 16 rows/columns where the projection is
    // defined (low-zoom tiles over a projected CRS have undefined parts).
    const step = (a: number, b: number): number => {
      const d = Math.hypot((col[b] as number) - (col[a] as number), (row[b] as number) - (row[a] as number));
      return Number.isFinite(d) ? d : NaN;
    };
    let sx = 0;
    let nx = 0;
    let sy = 0;
    let ny = 0;
    for (let j = 0; j < height; j += 16) {
      for (let i = 0; i < width; i += 16) {
        const k = j * width + i;
        const h = i + 1 < width ? step(k, k + 1) : NaN;
        const v = j + 1 < height ? step(k, k + width) : NaN;
        if (!Number.isNaN(h)) {
          sx += h;
          nx++;
        }
        if (!Number.isNaN(v)) {
          sy += v;
          ny++;
        }
      }
    }
    dx = nx > 0 ? sx / nx : 1;
    dy = ny > 0 ? sy / ny : 1;
  }
  return Math.min(dx, dy);
}

/** Scale source coordinates of level 0 to a level `sx`× narrower and `sy`× shorter. */
function scaleCoords(coords: SourceCoords, sx: number, sy: number): SourceCoords {
  const col = coords.col.map((c) => c / sx);
  const row = coords.row.map((r) => r / sy);
  return { ...coords, col, row };
}

/**
 * Plan tile z/x/y of `size` px over a raster with `levels` (level 0 first) in `crs`.
 * @example planTile(levels, crs, { z: 0, x: 0, y: 0 }, 256, 'nearest') — a small raster: level 0, a small window
 */
export function planTile(
  levels: readonly RasterLevel[],
  crs: TileCrs,
  tile: TileAddress,
  size: number,
  resampling: Resampling,
  gridStep = 16,
): TilePlan {
  const base = levels[0];
  if (base === undefined) throw new RangeError('a raster has at least one level');
  const bounds = tileBounds(tile);
  const coords0 = sourceCoords(bounds, size, size, crs, base.transform, gridStep);
  const downsampling = downsamplingOf(coords0);
  const level = chooseLevel(levels, downsampling);
  const lv = levels[level] as RasterLevel;
  const coords = level === 0 ? coords0 : scaleCoords(coords0, base.width / lv.width, base.height / lv.height);
  const window = neededWindow(coords, lv.width, lv.height, resampling);
  return { bounds, size, level, downsampling, coords, window };
}
