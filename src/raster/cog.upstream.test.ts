import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { TestFileSource } from '../../test/support/file.source.js';
import { openCog } from './cog.js';
import { UPSTREAM } from '../../test/support/cog.fixtures.js';

/**
 * The 5×5 fixtures of the original SKOPE service (test/fixtures/upstream-5x5): each cell is a formula of band b,
 * row r and column c, with a few missing cells, so every read can be checked without a reference library.
 */
const FILES = [
  {
    file: 'annual_5x5x5_dataset_float32_variable.tif',
    dtype: 'float32',
    nodata: NaN,
    bands: 5,
    f: (b: number, r: number, c: number) => 100 * b + 10 * r + 1.1 * c,
    missing: (b: number, r: number, c: number) => (r === 3 && c === 4) || (b === 3 && r === 2 && c === 4),
  },
  {
    file: 'annual_5x5x5_dataset_float32_variable_uncertainty.tif',
    dtype: 'float32',
    nodata: NaN,
    bands: 5,
    f: (b: number, r: number, c: number) => 10 * b + r + 0.1 * c,
    missing: () => false,
  },
  {
    file: 'annual_5x5x5_dataset_uint16_variable.tif',
    dtype: 'uint16',
    nodata: 65535,
    bands: 5,
    f: (b: number, r: number, c: number) => 100 * b + 10 * r + c,
    missing: (b: number, r: number, c: number) => (r === 3 && c === 4) || (b === 3 && r === 2 && c === 4),
  },
  {
    file: 'monthly_5x5x60_dataset_float32_variable.tif',
    dtype: 'float32',
    nodata: -9999,
    bands: 60,
    f: (b: number, r: number, c: number) => 100 * b + 10 * r + 1.1 * c,
    missing: (_b: number, r: number, c: number) => r === 3 && c === 4,
  },
  // 65535 cannot be an int16 sample: reported as no nodata (as rasterio does).
  {
    file: 'monthly_5x5x60_dataset_int16_variable.tif',
    dtype: 'int16',
    nodata: null,
    bands: 60,
    f: (b: number, r: number, c: number) => 100 * b + 10 * r + c,
    missing: () => false,
  },
] as const;

describe('upstream 5×5 fixtures', () => {
  for (const spec of FILES) {
    it(spec.file, async () => {
      const cog = await openCog(new TestFileSource(join(UPSTREAM, spec.file)));
      const m = cog.metadata;
      expect([m.width, m.height, m.bands, m.dtype, m.crs]).toEqual([5, 5, spec.bands, spec.dtype, 'EPSG:4326']);
      expect(m.nodata).toEqual(spec.nodata);
      expect(m.transform).toEqual([1, 0, -123, 0, -1, 45]);
      const bands = Array.from({ length: spec.bands }, (_, i) => i + 1);
      const block = await cog.read({ bands, window: { col: 0, row: 0, width: 5, height: 5 } });
      const missingValue = spec.dtype === 'float32' ? spec.nodata : 65535;
      for (const b of bands) {
        for (let r = 0; r < 5; r++) {
          for (let c = 0; c < 5; c++) {
            const got = block.data[(b - 1) * 25 + r * 5 + c]!;
            const want = spec.missing(b, r, c) ? missingValue! : Math.fround(spec.f(b, r, c));
            expect(got, `${spec.file} b${b} r${r} c${c}`).toEqual(want);
          }
        }
      }
      // Boundless: cells outside get the nodata value (0 when there is none).
      const edge = await cog.read({ bands: [1], window: { col: 4, row: -1, width: 2, height: 2 } });
      const fill = spec.nodata ?? 0;
      expect(Array.from(edge.data)).toEqual([fill, fill, Math.fround(spec.f(1, 0, 4)), fill]);
      await cog.close();
    });
  }
});
