import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { createCrsResolver, resolveCrs, type Crs } from './crs.js';

describe('resolveCrs', () => {
  it('treats EPSG:4326 and EPSG:4269 as lon/lat identities with their own ellipsoids', () => {
    const wgs = resolveCrs('EPSG:4326');
    expect(wgs.geographic).toBe(true);
    expect(wgs.ellipsoid).toEqual({ a: 6378137, f: 1 / 298.257223563 });
    expect(wgs.forward(-110.25, 37.5)).toEqual([-110.25, 37.5]);
    const nad = resolveCrs('epsg:4269');
    expect(nad.code).toBe('EPSG:4269');
    expect(nad.ellipsoid).toEqual({ a: 6378137, f: 1 / 298.257222101 });
    expect(nad.forward(-110.25, 37.5)).toEqual([-110.25, 37.5]);
  });

  it('projects to web mercator on the sphere', () => {
    const merc = resolveCrs('EPSG:3857');
    expect(merc.geographic).toBe(false);
    const [x, y] = merc.forward(-110, 37);
    // x = R·λ; y = R·ln(tan(π/4 + φ/2)) with R = 6 378 137 m.
    expect(x).toBeCloseTo((6378137 * -110 * Math.PI) / 180, 6);
    expect(y).toBeCloseTo(6378137 * Math.log(Math.tan(Math.PI / 4 + (37 * Math.PI) / 360)), 6);
    const [lon, lat] = merc.inverse(x, y);
    expect(lon).toBeCloseTo(-110, 9);
    expect(lat).toBeCloseTo(37, 9);
  });

  it('projects to UTM zones (north, south, NAD83) and back', () => {
    const cases: [string, number, number][] = [
      ['EPSG:32612', -110, 37],
      ['EPSG:32733', 15, -20],
      ['EPSG:26912', -111, 40],
    ];
    for (const [code, lon, lat] of cases) {
      const crs = resolveCrs(code);
      const [x, y] = crs.forward(lon, lat);
      expect(crs.geographic).toBe(false);
      const [lon2, lat2] = crs.inverse(x, y);
      expect(lon2).toBeCloseTo(lon, 9);
      expect(lat2).toBeCloseTo(lat, 9);
    }
    // On the central meridian of zone 12 (−111°), x is the false easting.
    expect(resolveCrs('EPSG:32612').forward(-111, 40)[0]).toBeCloseTo(500000, 6);
    // South zones add a 10 000 km false northing: the equator is at y = 10 000 000.
    expect(resolveCrs('EPSG:32733').forward(15, 0)[1]).toBeCloseTo(10_000_000, 6);
  });

  it('accepts a proj4 string', () => {
    const crs = resolveCrs('+proj=utm +zone=12 +datum=WGS84 +units=m +no_defs');
    expect(crs.geographic).toBe(false);
    expect(crs.forward(-111, 40)[0]).toBeCloseTo(500000, 6);
    expect(resolveCrs('+proj=longlat +ellps=GRS80 +no_defs').geographic).toBe(true);
  });

  it('rejects anything else with the contract sentence', () => {
    for (const bad of ['EPSG:9999', 'EPSG:32661', 'WGS 84', '', '+proj=nonsense']) {
      try {
        resolveCrs(bad);
        expect.unreachable(`'${bad}' should be rejected`);
      } catch (err) {
        expect(isAppError(err, 'invalid_request')).toBe(true);
        expect((err as Error).message).toBe(`Unsupported CRS '${bad}'.`);
      }
    }
  });

  it('reuses resolved CRSs through the cache', () => {
    const cache = new Map<string, Crs>();
    const a = resolveCrs('EPSG:32612', cache);
    expect(resolveCrs('EPSG:32612', cache)).toBe(a);
    const resolve = createCrsResolver();
    expect(resolve('EPSG:4326')).toBe(resolve('EPSG:4326'));
  });
});
