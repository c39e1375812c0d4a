import { describe, expect, it } from 'vitest';
import type { RasterLevel } from '../raster/types.js';
import { geographicTileCrs } from './tile.crs.js';
import { chooseLevel, planTile } from './tile.plan.js';
import { sourceCoords, warpNearest } from './warp.js';
import { tileBounds } from './tile.matrix.js';

const crs = geographicTileCrs('EPSG:4326');
/** 1000 × 800 cells of 0.01° from (-110, 40), with overviews 500×400 and 250×200. */
const levels: RasterLevel[] = [1, 2, 4].map((f) => ({
  width: 1000 / f,
  height: 800 / f,
  transform: [0.01 * f, 0, -110, 0, -0.01 * f, 40] as const,
  blockWidth: 256,
  blockHeight: 256,
}));

describe('tile plan', () => {
  it('chooses the coarsest level within 1.2× of the output pixel', () => {
    expect(chooseLevel(levels, 0.5)).toBe(0);
    expect(chooseLevel(levels, 1.6)).toBe(0); // 2 > 1.92
    expect(chooseLevel(levels, 1.67)).toBe(1); // 2 ≤ 2.004
    expect(chooseLevel(levels, 3.3)).toBe(1); // 4 > 3.96
    expect(chooseLevel(levels, 3.34)).toBe(2);
    expect(chooseLevel(levels, 100)).toBe(2);
    expect(chooseLevel(levels.slice(0, 1), 100)).toBe(0);
  });

  it('plans no read for tiles wholly outside the raster', () => {
    expect(planTile(levels, crs, { z: 5, x: 0, y: 0 }, 256, 'nearest').window).toBeNull();
    expect(planTile(levels, crs, { z: 8, x: 200, y: 90 }, 256, 'nearest').window).toBeNull();
  });

  it('reads only the cells a partial edge tile needs', () => {
    // z6 tile x=11 y=24 spans lon −118.125…−112.5, lat 36.6…40.98: the raster's west edge (−110) is east of it.
    const outside = planTile(levels, crs, { z: 6, x: 11, y: 24 }, 256, 'nearest');
    expect(outside.window).toBeNull();
    expect(planTile(levels, crs, { z: 6, x: 12, y: 24 }, 256, 'nearest').level).toBe(1);
    // z8 x=49 y=97 spans lon −111.09375…−109.6875, lat 39.9097…38.8226 on the raster's west edge: columns
    // 0…30 (the last pixel centre is at −109.6903, col 30.97), rows 9.03…117.7 → 9…117.
    const edge = planTile(levels, crs, { z: 8, x: 49, y: 97 }, 256, 'nearest');
    expect(edge.level).toBe(0);
    expect(edge.window).toEqual({ col: 0, row: 9, width: 31, height: 109 });
  });

  it('nearest at scale 1 over a geographic grid is the identity', () => {
    // A 256×256 raster in EPSG:4326 whose cells are exactly the tile's pixels in lon; rows vary in size.
    const b = tileBounds({ z: 2, x: 1, y: 1 });
    const coords = sourceCoords(b, 256, 256, crs, [90 / 256, 0, -90, 0, -1, 90]);
    expect(coords.kind).toBe('separable');
    const data = new Float64Array(256 * 180).map((_, k) => k % 256);
    const out = warpNearest(coords, {
      window: { col: 0, row: 0, width: 256, height: 180 },
      data,
      nodata: null,
      levelWidth: 256,
      levelHeight: 180,
    });
    for (let i = 0; i < 256; i++) expect(out[100 * 256 + i]).toBe(i);
  });
});
