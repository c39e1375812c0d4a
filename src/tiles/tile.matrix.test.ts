import { describe, expect, it } from 'vitest';
import {
  MERCATOR_HALF,
  isTileInMatrix,
  latToMercatorY,
  lonToMercatorX,
  maximumOverviewLevel,
  mercatorToLonLat,
  tileBounds,
  tileResolution,
  zoomForResolution,
  zoomRange,
} from './tile.matrix.js';

describe('tile matrix', () => {
  it('gives the world at z0 and quarters below', () => {
    expect(tileBounds({ z: 0, x: 0, y: 0 })).toEqual([-MERCATOR_HALF, -MERCATOR_HALF, MERCATOR_HALF, MERCATOR_HALF]);
    expect(tileBounds({ z: 1, x: 1, y: 0 })).toEqual([0, 0, MERCATOR_HALF, MERCATOR_HALF]);
    // −h + 5·(2h/32), h − 12·(2h/32), 2h/32
    const b = tileBounds({ z: 5, x: 5, y: 12 });
    expect(b[0]).toBeCloseTo(-13775786.985667605, 6);
    expect(b[3]).toBeCloseTo(5009377.085697312, 6);
    expect(b[2] - b[0]).toBeCloseTo(1252344.271424327, 6);
  });

  it('knows which tiles exist', () => {
    expect(isTileInMatrix({ z: 0, x: 0, y: 0 })).toBe(true);
    expect(isTileInMatrix({ z: 3, x: 7, y: 7 })).toBe(true);
    expect(isTileInMatrix({ z: 3, x: 8, y: 0 })).toBe(false);
    expect(isTileInMatrix({ z: 3, x: 0, y: -1 })).toBe(false);
    expect(isTileInMatrix({ z: 25, x: 0, y: 0 })).toBe(false);
    expect(isTileInMatrix({ z: 1.5, x: 0, y: 0 })).toBe(false);
  });

  it('converts between lon/lat and Web Mercator', () => {
    const [lon, lat] = mercatorToLonLat(lonToMercatorX(-108.5), latToMercatorY(37));
    expect(lon).toBeCloseTo(-108.5, 12);
    expect(lat).toBeCloseTo(37, 12);
    // rasterio.warp.transform('EPSG:4326', 'EPSG:3857', [-108.5], [37])
    expect(lonToMercatorX(-108.5)).toBeCloseTo(-12078164.751070183, 6);
    expect(latToMercatorY(37)).toBeCloseTo(4439106.787250586, 6);
    expect(mercatorToLonLat(MERCATOR_HALF, MERCATOR_HALF)[1]).toBeCloseTo(85.0511287798066, 10);
  });

  it('picks zooms like morecantile zoom_for_res (auto)', () => {
    expect(tileResolution(0)).toBeCloseTo(156543.03392804097, 8);
    for (let z = 0; z <= 24; z++) expect(zoomForResolution(tileResolution(z))).toBe(z);
    expect(zoomForResolution(900)).toBe(7); // z7 1222.99 m, z8 611.5 m: 1223/900 = 1.36 < 900/611.5 = 1.47
    expect(zoomForResolution(800)).toBe(8); // 1223/800 = 1.53 > 800/611.5 = 1.31
    expect(zoomForResolution(1e9)).toBe(0);
    expect(zoomForResolution(1e-6)).toBe(24);
  });

  it('derives TileJSON zooms as rio-tiler does', () => {
    expect(maximumOverviewLevel(1560, 1440)).toBe(3); // 1440 → 720 → 360 → 180
    expect(maximumOverviewLevel(200, 160)).toBe(0);
    // PaleoCAR in EPSG:3857: ≈ 927.6 m cells, ≈ 1562 × 1774 px → maxzoom 7, minzoom fits 927.6 × 8 m → 4
    expect(zoomRange(927.6, 1562, 1774)).toEqual({ minzoom: 4, maxzoom: 7 });
  });
});
