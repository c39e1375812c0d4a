import { describe, expect, it } from 'vitest';
import { fitView, tileTouches, tileUrlOf, viewTiles } from './tiles.js';

describe('tile arithmetic (web mercator, MapLibre 512 px world)', () => {
  it('the whole world at zoom 0 on a 512 px map: the four 256 px tiles of z1', () => {
    const tiles = viewTiles({ lon: 0, lat: 0, zoom: 0 }, 512, 512);
    expect(tiles).toEqual([
      { z: 1, x: 0, y: 0 },
      { z: 1, x: 0, y: 1 },
      { z: 1, x: 1, y: 0 },
      { z: 1, x: 1, y: 1 },
    ]);
  });

  it('fits a box as fitBounds does: the box spans the map less the padding on its tighter side', () => {
    // 10° × 10° at the equator: mercator height ≈ width (10.05° of latitude-equivalent); 1024 × 600 map, padding 50.
    const v = fitView([0, -5, 10, 5], 1024, 600, 50);
    expect(v.lon).toBeCloseTo(5, 9);
    expect(v.lat).toBeCloseTo(0, 9);
    // 500 px of height for the box's mercator height (0.0279 of the world): zoom = log2(500 / (0.0279 × 512)).
    const my = (lat: number): number => (1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2;
    expect(v.zoom).toBeCloseTo(Math.log2(500 / ((my(-5) - my(5)) * 512)), 9);
  });

  it('tiles of a view at a fractional zoom round as raster sources do; the extent test drops tiles outside', () => {
    // Zoom 5.6 → 256 px tiles of z7 (round(6.6)); the view at (−108.5, 37) over 960 × 800 px.
    const tiles = viewTiles({ lon: -108.5, lat: 37, zoom: 5.6 }, 960, 800);
    expect(new Set(tiles.map((t) => t.z))).toEqual(new Set([7]));
    // Centre at tile (25.42, 49.82) of z7; ±480 × ±400 px of a 512 × 2^5.6 = 24 833 px world is ±2.47 × ±2.06
    // tiles: x 22.95…27.90, y 47.76…51.88.
    const xs = [...new Set(tiles.map((t) => t.x))];
    const ys = [...new Set(tiles.map((t) => t.y))];
    expect([xs, ys]).toEqual([
      [22, 23, 24, 25, 26, 27],
      [47, 48, 49, 50, 51],
    ]);
    expect(tiles.length).toBe(30);
    expect(tileTouches(7, 25, 49, [-110, 36, -107, 38])).toBe(true);
    expect(tileTouches(7, 20, 49, [-110, 36, -107, 38])).toBe(false);
    expect(tileUrlOf('/tiles/d/v/0100/{z}/{x}/{y}.png?a=1', 7, 25, 49)).toBe('/tiles/d/v/0100/7/25/49.png?a=1');
  });
});
