import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { geographicTileCrs } from './tile.crs.js';
import { rasterFootprint } from './tilejson.js';

describe('raster footprint for TileJSON', () => {
  it('matches rasterio calculate_default_transform and rio-tiler zooms for PaleoCAR', () => {
    const f = rasterFootprint(
      1560,
      1440,
      [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016],
      geographicTileCrs('EPSG:4269'),
    );
    // calculate_default_transform(4269 → 3857): res 1044.12 m, 1386 × 1608 px
    expect(f.res3857).toBeCloseTo(1044.12, 1);
    expect([f.width3857, f.height3857]).toEqual([1386, 1608]);
    expect(f.bounds[0]).toBeCloseTo(-114.995833333457, 9);
    expect(f.bounds[1]).toBeCloseTo(42.9958333336016 - 1440 * 0.008333333333010806, 9);
    expect(f.bounds[2]).toBeCloseTo(-114.995833333457 + 1560 * 0.008333333332949996, 9);
    expect(f.bounds[3]).toBeCloseTo(42.9958333336016, 9);
    expect([f.minzoom, f.maxzoom]).toEqual([4, 7]);
  });

  it('handles a projected (UTM) raster', () => {
    const conv = proj4('EPSG:4326', '+proj=utm +zone=12 +datum=WGS84 +units=m +no_defs');
    const crs = {
      code: 'EPSG:32612',
      geographic: false,
      fromLonLat: (lon: number, lat: number) => conv.forward([lon, lat]) as [number, number],
      toLonLat: (x: number, y: number) => conv.inverse([x, y]) as [number, number],
    };
    const f = rasterFootprint(160, 140, [500, 0, 400000, 0, -500, 4200000], crs);
    // calculate_default_transform(32612 → 3857): res 631.91 m, 161 × 141 px. GDAL refines projected sources
    // further than the diagonal rule; within 1 % is enough to land on the same zooms.
    expect(Math.abs(f.res3857 / 631.91 - 1)).toBeLessThan(0.01);
    expect(Math.abs(f.width3857 - 161)).toBeLessThanOrEqual(2);
    expect(Math.abs(f.height3857 - 141)).toBeLessThanOrEqual(2);
    expect(f.maxzoom).toBe(8);
    expect(f.minzoom).toBe(8);
    expect(f.bounds[0]).toBeLessThan(-112);
    expect(f.bounds[3]).toBeGreaterThan(37.9);
  });
});
