/**
 * Golden tiles against GDAL: our plan + warp of a fixture level versus `gdalwarp` of the same level to the
 * tile's EPSG:3857 bounds and size, both rescaled to colormap codes. Nearest: ≥ 99.9 % identical and every
 * other pixel takes a cell adjacent to ours.
 */
import { describe, expect, it } from 'vitest';
import { HAS_GDAL, requireTool } from '../../test/support/env.js';
import { fixture, gdalLevels, gdalReadLevel, gdalwarpTile } from '../../test/fixtures/tiles/gdal.js';
import type { TileCrs } from './tile.crs.js';
import { geographicTileCrs, tileCrsFrom } from './tile.crs.js';
import { resolveCrs } from '../geo/crs.js';
import { latToMercatorY, lonToMercatorX, MERCATOR_HALF } from './tile.matrix.js';
import type { TileAddress } from './tile.matrix.js';
import { planTile } from './tile.plan.js';
import { TRANSPARENT, rescaleToCodes } from './colorize.js';
import type { SourceSamples } from './warp.js';
import { warpBilinear, warpNearest } from './warp.js';

const hasGdal = requireTool('gdal', HAS_GDAL());

/** The tile of zoom z holding lon/lat. */
function tileAt(lon: number, lat: number, z: number): TileAddress {
  const n = 2 ** z;
  const x = Math.floor(((lonToMercatorX(lon) + MERCATOR_HALF) / (2 * MERCATOR_HALF)) * n);
  const y = Math.floor(((MERCATOR_HALF - latToMercatorY(lat)) / (2 * MERCATOR_HALF)) * n);
  return { z, x, y };
}

interface Case {
  file: string;
  band: number;
  crs: TileCrs;
  rescale: { lo: number; hi: number };
  /** lon/lat of a point the tiles contain, and the zooms with the level we expect there. */
  at: [number, number];
  zooms: [z: number, level: number][];
}

const CASES: Case[] = [
  {
    file: 'geo4269.tif',
    band: 1,
    crs: geographicTileCrs('EPSG:4269'),
    rescale: { lo: 0, hi: 1000 },
    at: [-109.7, 39.1],
    zooms: [
      [2, 2],
      [3, 1],
      [4, 0],
      [5, 0],
      [7, 0],
      [9, 0],
    ],
  },
  {
    file: 'geo4269.tif',
    band: 2,
    crs: geographicTileCrs('EPSG:4269'),
    rescale: { lo: 100, hi: 900 },
    at: [-114.99, 35.02], // the raster's south-west corner: edge tiles
    zooms: [
      [6, 0],
      [8, 0],
    ],
  },
  {
    file: 'geo4326f.tif',
    band: 1,
    crs: geographicTileCrs('EPSG:4326'),
    rescale: { lo: 10, hi: 90 },
    at: [-121.3, 43.6], // beside the NaN hole
    zooms: [
      [2, 1],
      [3, 0],
      [4, 0],
      [8, 0],
    ],
  },
  {
    file: 'utm12.tif',
    band: 1,
    crs: tileCrsFrom(resolveCrs('EPSG:32612')),
    rescale: { lo: -500, hi: 1500 },
    at: [-111.6, 37.7],
    zooms: [
      [6, 2],
      [7, 1],
      [8, 0],
      [10, 0],
    ],
  },
];

function codesOf(values: Float64Array, r: { lo: number; hi: number }): Uint16Array {
  return rescaleToCodes(values, r);
}

describe.skipIf(!hasGdal)('tiles match gdalwarp', () => {
  for (const c of CASES) {
    const path = fixture(c.file);
    for (const [z, expectedLevel] of c.zooms) {
      const tile = tileAt(c.at[0], c.at[1], z);
      it(`${c.file} band ${c.band} z${z}/${tile.x}/${tile.y} nearest (level ${expectedLevel})`, () => {
        const levels = gdalLevels(path);
        const plan = planTile(levels, c.crs, tile, 256, 'nearest');
        expect(plan.level).toBe(expectedLevel);
        const lv = levels[plan.level]!;
        const src: SourceSamples = {
          window: { col: 0, row: 0, width: lv.width, height: lv.height },
          data: gdalReadLevel(path, c.band, plan.level),
          nodata: null,
          levelWidth: lv.width,
          levelHeight: lv.height,
        };
        // GDAL's ENVI dump keeps nodata values: mark them as no data the way the COG reader's nodata does.
        const nodata = c.file === 'geo4269.tif' ? 65535 : c.file === 'utm12.tif' ? -9999 : null;
        const ours = codesOf(warpNearest(plan.coords, { ...src, nodata }), c.rescale);
        const gdal = codesOf(gdalwarpTile(path, c.band, plan.bounds, 256, plan.level, 'near', 0), c.rescale);
        let same = 0;
        let opaque = 0;
        const bad: string[] = [];
        for (let k = 0; k < ours.length; k++) {
          if (ours[k] !== TRANSPARENT) opaque++;
          if (ours[k] === gdal[k]) {
            same++;
            continue;
          }
          // A mismatch must be one cell off: GDAL's value is a neighbour of the cell we sampled.
          const i = k % 256;
          const j = Math.floor(k / 256);
          const col = plan.coords.kind === 'separable' ? plan.coords.col[i]! : plan.coords.col[k]!;
          const row = plan.coords.kind === 'separable' ? plan.coords.row[j]! : plan.coords.row[k]!;
          let near = false;
          for (let dr = -1; dr <= 1; dr++) {
            for (let dc = -1; dc <= 1; dc++) {
              const cc = Math.floor(col) + dc;
              const rr = Math.floor(row) + dr;
              const v = cc >= 0 && rr >= 0 && cc < lv.width && rr < lv.height ? src.data[rr * lv.width + cc]! : NaN;
              const code = codesOf(Float64Array.of(v === nodata ? NaN : v), c.rescale)[0];
              if (code === gdal[k]) near = true;
            }
          }
          if (!near) bad.push(`(${i},${j}) ours ${ours[k]} gdal ${gdal[k]}`);
        }
        expect(opaque).toBeGreaterThan(0);
        expect(bad.slice(0, 5)).toEqual([]);
        expect(same / ours.length).toBeGreaterThanOrEqual(0.999);
      });
    }
  }

  it("chooses the level gdalwarp's AUTO overview choice reads (z0–z6, geo4269)", () => {
    const path = fixture('geo4269.tif');
    const levels = gdalLevels(path);
    const chosen: number[] = [];
    for (let z = 0; z <= 6; z++) {
      const plan = planTile(levels, geographicTileCrs('EPSG:4269'), tileAt(-109.7, 39.1, z), 256, 'nearest');
      chosen.push(plan.level);
      const auto = gdalwarpTile(path, 1, plan.bounds, 256, null);
      const ours = gdalwarpTile(path, 1, plan.bounds, 256, plan.level);
      let same = 0;
      for (let k = 0; k < ours.length; k++) if (Object.is(ours[k], auto[k])) same++;
      expect(same, `z${z}`).toBe(ours.length);
    }
    expect(chosen).toEqual([2, 2, 2, 1, 0, 0, 0]);
  });

  it('bilinear agrees with gdalwarp where the tile magnifies the data (z9, geo4269)', () => {
    const path = fixture('geo4269.tif');
    const tile = tileAt(-109.7, 39.1, 9);
    const levels = gdalLevels(path);
    const plan = planTile(levels, geographicTileCrs('EPSG:4269'), tile, 256, 'bilinear');
    const lv = levels[0]!;
    const src: SourceSamples = {
      window: { col: 0, row: 0, width: lv.width, height: lv.height },
      data: gdalReadLevel(path, 1, 0),
      nodata: 65535,
      levelWidth: lv.width,
      levelHeight: lv.height,
    };
    const ours = warpBilinear(plan.coords, src);
    const gdal = gdalwarpTile(path, 1, plan.bounds, 256, 0, 'bilinear');
    let close = 0;
    for (let k = 0; k < ours.length; k++) if (Math.abs(ours[k]! - gdal[k]!) <= 0.5) close++;
    // The pattern wraps at 1000 (a cliff bilinear smears differently at the cell boundary); elsewhere equal.
    expect(close / ours.length).toBeGreaterThan(0.97);
  });
});
