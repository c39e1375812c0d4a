import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rescaleToCodes } from './colorize.js';
import { geographicTileCrs } from './tile.crs.js';
import { tileBounds } from './tile.matrix.js';
import type { SourceSamples } from './warp.js';
import { neededWindow, sourceCoords, warpNearest, warpNearestCodes } from './warp.js';

describe('warp kernels', () => {
  it('fused nearest → codes equals warpNearest then rescaleToCodes (separable and grid paths)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 3, max: 7 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (w, h, z, grid, seed) => {
          // A raster over −110…−110 + w·0.1°, 40…40 − h·0.1° with some nodata (7) and NaN cells.
          const data = new Float32Array(w * h).map((_, k) => ((k * 2654435761 + seed) >>> 0) % 13);
          data[0] = NaN;
          const src: SourceSamples = {
            window: { col: 0, row: 0, width: w, height: h },
            data,
            nodata: 7,
            levelWidth: w,
            levelHeight: h,
          };
          const crs = grid ? { ...geographicTileCrs('EPSG:4326'), geographic: false } : geographicTileCrs('EPSG:4326');
          const n = 2 ** z;
          const x = Math.floor(((-110 + 180) / 360) * n);
          const coords = sourceCoords(
            tileBounds({ z, x, y: Math.floor(n * 0.37) }),
            64,
            64,
            crs,
            [0.1, 0, -110, 0, -0.1, 40],
            8,
          );
          expect(coords.kind).toBe(grid ? 'grid' : 'separable');
          const r = { lo: 1, hi: 11 };
          expect(Array.from(warpNearestCodes(coords, src, r))).toEqual(
            Array.from(rescaleToCodes(warpNearest(coords, src), r)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('integer samples coded through the cached table equal warpNearest then rescaleToCodes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('u16', 'i16', 'u8', 'i8'),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 3, max: 9 }),
        fc.boolean(),
        fc.integer({ min: -300, max: 300 }),
        fc.integer({ min: 1, max: 70000 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (kind, w, h, z, grid, lo, span, seed) => {
          const Ctor = { u16: Uint16Array, i16: Int16Array, u8: Uint8Array, i8: Int8Array }[kind];
          // Values over the dtype's whole range (the typed array wraps them), nodata the first cell's value.
          const data = new Ctor(w * h).map((_, k) => (k * 2654435761 + seed) >>> 7);
          const src: SourceSamples = {
            window: { col: 0, row: 0, width: w, height: h },
            data,
            nodata: data[0] as number,
            levelWidth: w,
            levelHeight: h,
          };
          const crs = grid ? { ...geographicTileCrs('EPSG:4326'), geographic: false } : geographicTileCrs('EPSG:4326');
          const n = 2 ** z;
          const coords = sourceCoords(
            tileBounds({ z, x: Math.floor(((-110 + 180) / 360) * n), y: Math.floor(n * 0.37) }),
            64,
            64,
            crs,
            [0.1, 0, -110, 0, -0.1, 40],
            8,
          );
          const r = { lo, hi: lo + span };
          expect(Array.from(warpNearestCodes(coords, src, r))).toEqual(
            Array.from(rescaleToCodes(warpNearest(coords, src), r)),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it('interpolated grid coordinates match the exact projection for a lon/lat grid', () => {
    const b = tileBounds({ z: 6, x: 12, y: 24 });
    const exact = sourceCoords(b, 256, 256, geographicTileCrs('EPSG:4326'), [0.01, 0, -110, 0, -0.01, 40]);
    const grid = sourceCoords(
      b,
      256,
      256,
      { ...geographicTileCrs('EPSG:4326'), geographic: false },
      [0.01, 0, -110, 0, -0.01, 40],
    );
    if (exact.kind !== 'separable' || grid.kind !== 'grid') throw new Error('unexpected kinds');
    let worst = 0;
    for (let j = 0; j < 256; j++) {
      for (let i = 0; i < 256; i++) {
        worst = Math.max(
          worst,
          Math.abs(grid.col[j * 256 + i]! - exact.col[i]!),
          Math.abs(grid.row[j * 256 + i]! - exact.row[j]!),
        );
      }
    }
    // Longitude is linear in x; latitude is curved in Mercator y: the default 16 px grid keeps the error at ~1/50
    // cell here (0.0125 output px), ten times under GDAL's default approximation error of 0.125 px.
    expect(worst).toBeLessThan(0.02);
    expect(neededWindow(grid, 1000, 800, 'nearest')).toEqual(neededWindow(exact, 1000, 800, 'nearest'));
  });
});
