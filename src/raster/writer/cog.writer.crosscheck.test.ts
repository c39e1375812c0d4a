/**
 * COGs from `writeCog` read back by GDAL: `gdalinfo` sees the layout, georeferencing and overviews we meant, and
 * GDAL's COG validator accepts the files.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { HAS_GDAL, PYTHON, requireTool } from '../../../test/support/env.js';
import { FileSource } from '../../storage/source.file.js';
import { openCog } from '../cog.js';
import { writeCog } from './cog.writer.js';

const dir = useTempDir('cogw-gdal-');

describe('writeCog read back by GDAL', () => {
  const gdal = requireTool('gdal', HAS_GDAL());
  const validate = (path: string): string =>
    execFileSync(PYTHON, ['-m', 'osgeo_utils.samples.validate_cloud_optimized_geotiff', '--full-check=yes', path], {
      encoding: 'utf8',
    });
  const u16 = (w: number, h: number, seed: number): Uint16Array =>
    Uint16Array.from({ length: w * h }, (_, i) => (i * 7 + seed) % 60000);

  it.runIf(gdal)(
    'gdalinfo reports a tiled COG with overviews, nodata, EPSG and transform; the validator accepts it',
    async () => {
      const w = 600;
      const h = 500;
      for (const interleave of ['pixel', 'band'] as const) {
        const bands = [u16(w, h, 1), u16(w, h, 2)];
        const path = join(dir(), `gdal-${interleave}.tif`);
        await writeCog(path, {
          width: w,
          height: h,
          bands: 2,
          dtype: 'uint16',
          crs: 'EPSG:4269',
          transform: [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016],
          nodata: 65535,
          interleave,
          readRows: (b, r, n) => (bands[b - 1] as Uint16Array).subarray(r * w, (r + n) * w),
        });
        const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' })) as {
          size: number[];
          geoTransform: number[];
          metadata: Record<string, Record<string, string>>;
          stac: Record<string, unknown>;
          bands: { block: number[]; noDataValue: number; overviews: { size: number[] }[] }[];
        };
        expect(info.size).toEqual([600, 500]);
        // gdalinfo prints 15 significant digits; the exact doubles are checked through rasterio in cog.writer.test.ts.
        [-114.995833333457, 0.008333333332949996, 0, 42.9958333336016, 0, -0.008333333333010806].forEach((v, i) =>
          expect(info.geoTransform[i]).toBeCloseTo(v, 12),
        );
        expect(info.stac['proj:epsg']).toBe(4269);
        expect(info.metadata['IMAGE_STRUCTURE']).toMatchObject({
          COMPRESSION: 'DEFLATE',
          LAYOUT: 'COG',
          PREDICTOR: '2',
          INTERLEAVE: interleave.toUpperCase(),
        });
        expect(info.metadata['']).toMatchObject({ AREA_OR_POINT: 'Area' });
        for (const band of info.bands) {
          expect(band.block).toEqual([256, 256]);
          expect(band.noDataValue).toBe(65535);
          expect(band.overviews).toEqual([{ size: [300, 250] }, { size: [150, 125] }]);
        }
        expect(validate(path)).toContain('is a valid cloud optimized GeoTIFF');
      }
    },
  );

  it.runIf(gdal)(
    'writes projected GeoKeys, a rotated transform, BigTIFF, NaN nodata and explicit overview lists',
    async () => {
      const w = 70;
      const h = 50;
      const data = u16(w, h, 3);
      const base = {
        width: w,
        height: h,
        bands: 1,
        dtype: 'uint16',
        blockSize: 32,
        readRows: (_b: number, r: number, n: number) => data.slice(r * w, (r + n) * w),
      } as const;
      const utm = join(dir(), 'utm.tif');
      await writeCog(utm, {
        ...base,
        crs: 32612,
        transform: [800, 0, 500000, 0, -800, 4100000],
        overviews: [2, 8],
        bigTiff: true,
      });
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', utm], { encoding: 'utf8' })) as {
        stac: Record<string, unknown>;
        geoTransform: number[];
        bands: { overviews: { size: number[] }[] }[];
      };
      expect(info.stac['proj:epsg']).toBe(32612);
      expect(info.geoTransform).toEqual([500000, 800, 0, 4100000, 0, -800]);
      expect(info.bands[0]?.overviews).toEqual([{ size: [35, 25] }, { size: [9, 7] }]);
      expect(validate(utm)).toContain('is a valid cloud optimized GeoTIFF');
      const head = execFileSync('head', ['-c', '4', utm]);
      expect([...head]).toEqual([0x49, 0x49, 43, 0]);

      const source = new FileSource(utm);
      const cog = await openCog(source);
      expect(cog.metadata.crs).toBe('EPSG:32612');
      expect((await cog.read({ bands: [1], window: { col: 0, row: 0, width: w, height: h } })).data).toEqual(data);
      await cog.close();
      await source.close();

      const nanPath = join(dir(), 'nan.tif');
      const f32 = Float32Array.from({ length: w * h }, (_, i) => (i % 5 === 0 ? NaN : i / 4));
      await writeCog(nanPath, {
        ...base,
        dtype: 'float32',
        nodata: NaN,
        crs: 4326,
        transform: [1, 0, 0, 0, -1, 0],
        readRows: (_b, r, n) => f32.slice(r * w, (r + n) * w),
      });
      const ninfo = JSON.parse(execFileSync('gdalinfo', ['-json', '-stats', nanPath], { encoding: 'utf8' })) as {
        bands: { noDataValue: unknown; mean: number }[];
      };
      expect(ninfo.bands[0]?.noDataValue).toBe('NaN');
      // Mean of i/4 over the cells with i % 5 ≠ 0 (GDAL skips NaN nodata).
      const valid = [...f32].filter((v) => !Number.isNaN(v));
      expect(ninfo.bands[0]?.mean).toBeCloseTo(valid.reduce((a, b) => a + b, 0) / valid.length, 6);

      const rotated = join(dir(), 'rotated.tif');
      await writeCog(rotated, { ...base, crs: 'EPSG:4326', transform: [0.5, 0.1, -120, 0.2, -0.5, 45], overviews: [] });
      const rinfo = JSON.parse(execFileSync('gdalinfo', ['-json', rotated], { encoding: 'utf8' })) as {
        geoTransform: number[];
        bands: { overviews?: unknown[] }[];
      };
      expect(rinfo.geoTransform).toEqual([-120, 0.5, 0.1, 45, 0.2, -0.5]);
      expect(rinfo.bands[0]?.overviews ?? []).toEqual([]);
    },
  );

  it.runIf(gdal)('AREA_OR_POINT=Point: GDAL reads Point and the same transform; so does our reader', async () => {
    const w = 40;
    const h = 30;
    const path = join(dir(), 'point.tif');
    const t = [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016] as const;
    await writeCog(path, {
      width: w,
      height: h,
      bands: 1,
      dtype: 'uint16',
      crs: 'EPSG:4269',
      transform: t,
      areaOrPoint: 'Point',
      blockSize: 16,
      readRows: (_b, _r, n) => new Uint16Array(w * n).fill(3),
    });
    const info = JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' })) as {
      geoTransform: number[];
      metadata: Record<string, Record<string, string>>;
    };
    expect(info.metadata['']).toMatchObject({ AREA_OR_POINT: 'Point' });
    [t[2], t[0], t[1], t[5], t[3], t[4]].forEach((v, i) => expect(info.geoTransform[i]).toBeCloseTo(v, 12));
    const source = new FileSource(path);
    const cog = await openCog(source);
    cog.metadata.transform.forEach((v, i) => expect(v).toBeCloseTo(t[i] as number, 12));
    await cog.close();
    await source.close();
  });
});
