/**
 * Shared pieces of the tile benchmark (bench/tiles.bench.ts and its child process bench/tiles.child.ts): the tile
 * set (z4–z12 over the PaleoCAR extent) and a TileService wired like the server's (registry, LookupStore, source
 * resolver, one open COG per URL, optional decoded-block cache).
 */
import { readFile } from 'node:fs/promises';
import { createBlockCache } from '../src/raster/block.cache.js';
import type { BlockCache } from '../src/raster/block.cache.js';
import { openCog } from '../src/raster/cog.js';
import type { Cog } from '../src/raster/types.js';
import { createColormapSet, parseCustomColormaps } from '../src/registry/colormaps.js';
import { LookupStore } from '../src/registry/lookup.store.js';
import { parseRegistry } from '../src/registry/registry.js';
import { createSourceResolver } from '../src/storage/resolver.js';
import type { TileRequest } from '../src/tiles/tile.service.js';
import { TileService } from '../src/tiles/tile.service.js';
import { MERCATOR_HALF, latToMercatorY, lonToMercatorX } from '../src/tiles/tile.matrix.js';
import type { TileAddress } from '../src/tiles/tile.matrix.js';

/** PaleoCAR extent, degrees: west, south, east, north. */
const EXTENT = [-114.99, 31.01, -102.01, 42.99] as const;
/** Rescale used throughout (PaleoCAR annual precipitation, mm). */
export const RESCALE = '0,1000';

/** Up to `perZoom` tiles of each zoom 4…12 that intersect the extent, picked with a fixed-seed PRNG. */
export function tileSet(perZoom = 8): TileAddress[] {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const out: TileAddress[] = [];
  for (let z = 4; z <= 12; z++) {
    const n = 2 ** z;
    const tx = (lon: number): number => Math.floor(((lonToMercatorX(lon) + MERCATOR_HALF) / (2 * MERCATOR_HALF)) * n);
    const ty = (lat: number): number => Math.floor(((MERCATOR_HALF - latToMercatorY(lat)) / (2 * MERCATOR_HALF)) * n);
    const [x0, x1, y0, y1] = [tx(EXTENT[0]), tx(EXTENT[2]), ty(EXTENT[3]), ty(EXTENT[1])];
    const all: TileAddress[] = [];
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) all.push({ z, x, y });
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [all[i], all[j]] = [all[j] as TileAddress, all[i] as TileAddress];
    }
    out.push(...all.slice(0, perZoom));
  }
  return out;
}

/** A service over a generated dataset root. */
export async function createBenchService(
  root: string,
  blockCacheBytes: number,
): Promise<{ service: TileService; blockCache: BlockCache | null }> {
  const resolver = createSourceResolver();
  const custom = parseCustomColormaps(await readFile(`${root}/colormaps.json`, 'utf8'), 'colormaps.json');
  const colormaps = createColormapSet(custom);
  const registry = parseRegistry(await readFile(`${root}/metadata.yml`, 'utf8'), colormaps, 'metadata.yml');
  const blockCache = blockCacheBytes > 0 ? createBlockCache(blockCacheBytes) : null;
  const cogs = new Map<string, Promise<Cog>>();
  const service = new TileService({
    registry,
    colormaps,
    lookups: new LookupStore({ resolver, baseUrl: root, checkIntervalMs: 3_600_000 }),
    baseUrl: root,
    openCog: (url) => {
      let p = cogs.get(url);
      if (!p) cogs.set(url, (p = openCog(resolver.open(url), blockCache ? { blockCache } : {})));
      return p;
    },
  });
  return { service, blockCache };
}

/** The request for one tile of year `timestep`. */
export function tileRequest(t: TileAddress, timestep: string): TileRequest {
  return {
    datasetId: 'paleocar_v3',
    variableId: 'ppt_annual',
    timestep,
    ...t,
    colormap: 'viridis',
    rescale: RESCALE,
    size: 256,
    format: 'png',
    resampling: 'nearest',
  };
}

/** Renders one tile; resolves with the PNG's size in bytes. */
export async function renderOne(service: TileService, t: TileAddress, timestep: string): Promise<number> {
  const prepared = await service.prepare(tileRequest(t, timestep));
  return (await service.render(prepared)).length;
}
