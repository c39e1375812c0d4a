/**
 * The pixel half of a tile: read the planned window of one band, warp it onto the tile grid, and rescale to
 * colormap codes (`tile.plan.ts` decides what to read, `tile.image.ts` encodes the codes). Kept apart from the
 * plan so the route can answer 304 and the shared transparent tile from the plan alone, before any pixel read.
 */
import type { FetchOptions } from '../storage/source.js';
import type { Cog, PixelWindow, RasterLevel } from '../raster/types.js';
import type { TileAddress } from './tile.matrix.js';
import type { TilePlan } from './tile.plan.js';
import type { Rescale, TileCodes } from './colorize.js';
import { categoryCodes, rescaleToCodes, toPhysical } from './colorize.js';
import type { Resampling, SourceSamples } from './warp.js';
import { warpBilinear, warpNearest, warpNearestCodes } from './warp.js';

/** What determines a tile's pixels besides the file and band. */
export interface TileSpec {
  tile: TileAddress;
  /** Edge length, px. */
  size: number;
  resampling: Resampling;
  rescale: Rescale;
  /** Categorical: codes are positions in these ascending values (nearest resampling only), not a rescale. */
  categories?: readonly number[] | undefined;
  /** Physical = stored × scale + offset before colouring (default 1 and 0). */
  scale?: number | undefined;
  offset?: number | undefined;
}

/**
 * Reads the planned window of band `bidx` and returns the warped values (float64, NaN = no data), row-major
 * `size`×`size`. A plan without a window gives all-NaN without reading.
 * @throws AppError from `Cog.read` (source errors, `band_out_of_range`, `raster_invalid`, `aborted`)
 */
export async function readTileValues(
  cog: Cog,
  plan: TilePlan,
  bidx: number,
  resampling: Resampling,
  options: FetchOptions = {},
): Promise<Float64Array> {
  if (plan.window === null) return new Float64Array(plan.size * plan.size).fill(NaN);
  const src = await readSamples(cog, plan, plan.window, bidx, options);
  return resampling === 'bilinear' ? warpBilinear(plan.coords, src) : warpNearest(plan.coords, src);
}

/** Reads and rescales one tile to colormap codes (`TRANSPARENT` where there is no data). */
export async function readTileCodes(
  cog: Cog,
  plan: TilePlan,
  bidx: number,
  spec: TileSpec,
  options: FetchOptions = {},
): Promise<TileCodes> {
  const scale = spec.scale ?? 1;
  const offset = spec.offset ?? 0;
  if (spec.categories !== undefined) {
    // Categories are never interpolated: the nearest cell's value is the category drawn.
    const values = toPhysical(await readTileValues(cog, plan, bidx, 'nearest', options), scale, offset);
    return categoryCodes(values, spec.categories);
  }
  if (spec.resampling === 'bilinear' || plan.window === null || scale !== 1 || offset !== 0) {
    const values = toPhysical(await readTileValues(cog, plan, bidx, spec.resampling, options), scale, offset);
    return rescaleToCodes(values, spec.rescale);
  }
  const src = await readSamples(cog, plan, plan.window, bidx, options);
  return warpNearestCodes(plan.coords, src, spec.rescale);
}

async function readSamples(
  cog: Cog,
  plan: TilePlan,
  window: PixelWindow,
  bidx: number,
  options: FetchOptions,
): Promise<SourceSamples> {
  const level = cog.metadata.levels[plan.level] as RasterLevel;
  const block = await cog.read({ bands: [bidx], window, level: plan.level, ...options });
  return { window, data: block.data, nodata: cog.metadata.nodata, levelWidth: level.width, levelHeight: level.height };
}
