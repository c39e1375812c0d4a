import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_GDAL, HAS_RASTERIO, PYTHON, requireTool } from '../../../test/support/env.js';
import { FileSource } from '../../storage/source.file.js';
import { openCog } from '../cog.js';
import { rowsFromCog, writeCog } from './cog.writer.js';
import type { CogWriteSpec } from './cog.spec.js';
import { DTYPE_ARRAY } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';

const DTYPES: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
const RANGE: Record<DType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: [-3.4e38, 3.4e38],
  float64: [-1.7e308, 1.7e308],
};
/** Odd sizes so edge tiles are partial and overview sizes round up: 40×37 → 20×19 → 10×10 with 16² blocks. */
const W = 40;
const H = 37;
const BANDS = 3;
/** The PaleoCAR v3 grid's transform (30″ cells, EPSG:4269): full doubles must survive the round trip exactly. */
const T = [0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016] as const;

/** Deterministic band data with the dtype's extremes, negatives, nodata cells and (floats) NaN and fractions. */
function makeBand(dtype: DType, band: number, nodata: number): TypedArray {
  const a = new DTYPE_ARRAY[dtype](W * H);
  const [lo, hi] = RANGE[dtype];
  const float = dtype.startsWith('float');
  for (let i = 0; i < a.length; i++) {
    const v = ((i * 37 + band * 101) % 251) - (lo < 0 ? 125 : 0);
    a[i] = float ? v * 1.37 + 0.001 * band : v;
  }
  a[1] = lo;
  a[2] = hi;
  a[W + 3] = nodata;
  a[W + 4] = nodata;
  if (float) a[5] = NaN;
  return a;
}

function spec(dtype: DType, extra: Partial<CogWriteSpec>, data: TypedArray[]): CogWriteSpec {
  return {
    width: W,
    height: H,
    bands: BANDS,
    dtype,
    crs: 'EPSG:4269',
    transform: T,
    blockSize: 16,
    readRows: (b, r, h) => (data[b - 1] as TypedArray).slice(r * W, (r + h) * W),
    ...extra,
  };
}

/** Expected overview by a direct 2×2 mean of the valid cells (ignores nodata/NaN), rounding half up for ints. */
function expectedOverview(src: TypedArray, w: number, h: number, dtype: DType, nodata: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < Math.ceil(h / 2); y++) {
    for (let x = 0; x < Math.ceil(w / 2); x++) {
      const vals: number[] = [];
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        if (y * 2 + dy >= h || x * 2 + dx >= w) continue;
        const v = src[(y * 2 + dy) * w + x * 2 + dx] as number;
        if (v !== nodata && !Number.isNaN(v)) vals.push(v);
      }
      const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
      const ints = !dtype.startsWith('float');
      const cast = new DTYPE_ARRAY[dtype](1);
      cast[0] = vals.length === 0 ? nodata : ints ? Math.floor(mean + 0.5) : mean;
      out.push(cast[0]);
    }
  }
  return out;
}

const READ_PY = `
import json, sys, math, rasterio
out = {}
for path in sys.argv[1:]:
    with rasterio.open(path) as ds:
        arr = ds.read()
        ovs = ds.overviews(1)
        tags = ds.tags(ns='IMAGE_STRUCTURE')
        r = {'dtype': ds.dtypes[0], 'shape': list(arr.shape), 'nodata': None if ds.nodata is None or math.isnan(ds.nodata) else ds.nodata,
             'crs': ds.crs.to_string() if ds.crs else None, 'transform': list(ds.transform)[:6],
             'block': list(ds.block_shapes[0]), 'overviews': ovs, 'interleave': ds.interleaving.name if ds.interleaving else None,
             'compression': ds.compression.name if ds.compression else None, 'predictor': tags.get('PREDICTOR'),
             'values': [None if isinstance(v, float) and math.isnan(v) else v for v in arr.ravel().tolist()]}
    if ovs:
        with rasterio.open(path, overview_level=0) as ov:
            a = ov.read(1)
            r['ov1'] = [None if isinstance(v, float) and math.isnan(v) else v for v in a.ravel().tolist()]
    out[path] = r
print(json.dumps(out))
`;

interface PyResult {
  dtype: string;
  shape: number[];
  nodata: number | null;
  crs: string | null;
  transform: number[];
  block: number[];
  overviews: number[];
  interleave: string | null;
  compression: string | null;
  predictor: string | undefined;
  values: (number | null)[];
  ov1?: (number | null)[];
}

const toJson = (a: ArrayLike<number>): (number | null)[] => Array.from(a, (v) => (Number.isNaN(v) ? null : v));

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cogw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeCog round trip (every dtype × interleave × predictor)', () => {
  const cases = DTYPES.flatMap((dtype) =>
    (['pixel', 'band'] as const).flatMap((interleave) =>
      (
        [
          ['none', 1],
          ['deflate', 1],
          ['deflate', dtype.startsWith('float') ? 3 : 2],
        ] as const
      ).map(([compression, predictor]) => ({ dtype, interleave, compression, predictor })),
    ),
  );
  const files = new Map<string, { data: TypedArray[]; nodata: number; c: (typeof cases)[number] }>();
  const label = (c: (typeof cases)[number]): string => `${c.dtype} ${c.interleave} ${c.compression} p${c.predictor}`;

  beforeAll(async () => {
    for (const c of cases) {
      const nodata = c.dtype.startsWith('float') ? -9999.5 : c.dtype.startsWith('int') ? -7 : 7;
      const data = Array.from({ length: BANDS }, (_, b) => makeBand(c.dtype, b + 1, nodata));
      const path = join(dir, `${c.dtype}-${c.interleave}-${c.compression}-${c.predictor}.tif`);
      await writeCog(
        path,
        spec(c.dtype, { interleave: c.interleave, compression: c.compression, predictor: c.predictor, nodata }, data),
      );
      files.set(path, { data, nodata, c });
    }
  });

  it.runIf(requireTool('rasterio', HAS_RASTERIO()))(
    'rasterio reads every value, the overview and the metadata back',
    () => {
      const got = JSON.parse(
        execFileSync(PYTHON, ['-c', READ_PY, ...files.keys()], { encoding: 'utf8', maxBuffer: 1 << 28 }),
      ) as Record<string, PyResult>;
      for (const [path, { data, nodata, c }] of files) {
        const r = got[path] as PyResult;
        const l = label(c);
        expect(r.dtype, l).toBe(c.dtype);
        expect(r.shape, l).toEqual([BANDS, H, W]);
        expect(r.nodata, l).toBe(nodata);
        expect(r.crs, l).toBe('EPSG:4269');
        expect(r.transform, l).toEqual([...T]);
        expect(r.block, l).toEqual([16, 16]);
        expect(r.overviews, l).toEqual([2, 4]);
        expect(r.interleave, l).toBe(c.interleave);
        expect(r.compression, l).toBe(c.compression === 'none' ? null : 'deflate');
        expect(r.predictor ?? '1', l).toBe(String(c.predictor));
        expect(r.values, l).toEqual(data.flatMap((d) => toJson(d)));
        expect(r.ov1, l).toEqual(toJson(expectedOverview(data[0] as TypedArray, W, H, c.dtype, nodata)));
      }
    },
  );

  it('our reader (openCog) reads every value, the overview and the metadata back', async () => {
    for (const [path, { data, nodata, c }] of files) {
      const l = label(c);
      const source = new FileSource(path);
      const cog = await openCog(source);
      try {
        const m = cog.metadata;
        expect(
          [m.width, m.height, m.bands, m.dtype, m.crs, m.interleave, m.compression, m.predictor, m.tiled],
          l,
        ).toEqual([W, H, BANDS, c.dtype, 'EPSG:4269', c.interleave, c.compression, c.predictor, true]);
        expect(m.nodata, l).toBe(nodata);
        expect(m.transform, l).toEqual([...T]);
        expect(
          m.levels.map((v) => [v.width, v.height, v.blockWidth, v.blockHeight]),
          l,
        ).toEqual([
          [40, 37, 16, 16],
          [20, 19, 16, 16],
          [10, 10, 16, 16],
        ]);
        const all = await cog.read({ bands: [1, 2, 3], window: { col: 0, row: 0, width: W, height: H } });
        expect(toJson(all.data), l).toEqual(data.flatMap((d) => toJson(d)));
        const ov = await cog.read({ bands: [1], window: { col: 0, row: 0, width: 20, height: 19 }, level: 1 });
        expect(toJson(ov.data), l).toEqual(toJson(expectedOverview(data[0] as TypedArray, W, H, c.dtype, nodata)));
      } finally {
        await cog.close();
        await source.close();
      }
    }
  });

  it('rowsFromCog slices bands of an existing COG into a new one, values and georeferencing kept', async () => {
    const src = [...files.keys()].find((p) => p.includes('int16-band-deflate-2')) as string;
    const { data, nodata } = files.get(src) as { data: TypedArray[]; nodata: number };
    const source = new FileSource(src);
    const cog = await openCog(source);
    const out = join(dir, 'sliced.tif');
    try {
      const m = cog.metadata;
      await writeCog(out, {
        width: m.width,
        height: m.height,
        bands: 2,
        dtype: m.dtype,
        crs: m.crs ?? '',
        transform: m.transform,
        nodata: m.nodata,
        blockSize: 32,
        readRows: rowsFromCog(cog, [3, 1]),
      });
    } finally {
      await cog.close();
      await source.close();
    }
    const s2 = new FileSource(out);
    const sliced = await openCog(s2);
    try {
      expect([sliced.metadata.bands, sliced.metadata.nodata, sliced.metadata.crs]).toEqual([2, nodata, 'EPSG:4269']);
      expect(sliced.metadata.transform).toEqual([...T]);
      const got = await sliced.read({ bands: [1, 2], window: { col: 0, row: 0, width: W, height: H } });
      expect(Array.from(got.data)).toEqual([
        ...Array.from(data[2] as TypedArray),
        ...Array.from(data[0] as TypedArray),
      ]);
    } finally {
      await sliced.close();
      await s2.close();
    }
  });
});

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
        const path = join(dir, `gdal-${interleave}.tif`);
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
        // gdalinfo prints 15 significant digits; the exact doubles are checked through rasterio above.
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
      const utm = join(dir, 'utm.tif');
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

      const nanPath = join(dir, 'nan.tif');
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

      const rotated = join(dir, 'rotated.tif');
      await writeCog(rotated, { ...base, crs: 'EPSG:4326', transform: [0.5, 0.1, -120, 0.2, -0.5, 45], overviews: [] });
      const rinfo = JSON.parse(execFileSync('gdalinfo', ['-json', rotated], { encoding: 'utf8' })) as {
        geoTransform: number[];
        bands: { overviews?: unknown[] }[];
      };
      expect(rinfo.geoTransform).toEqual([-120, 0.5, 0.1, 45, 0.2, -0.5]);
      expect(rinfo.bands[0]?.overviews ?? []).toEqual([]);
    },
  );
});

describe('writeCog → openCog property', () => {
  it('any size, band count, dtype, interleave and block size reads back equal (full resolution and first overview)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          w: fc.integer({ min: 1, max: 70 }),
          h: fc.integer({ min: 1, max: 70 }),
          bands: fc.integer({ min: 1, max: 4 }),
          dtype: fc.constantFrom(...DTYPES),
          interleave: fc.constantFrom('pixel' as const, 'band' as const),
          blockSize: fc.constantFrom(16, 32),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        async ({ w, h, bands, dtype, interleave, blockSize, seed }) => {
          const float = dtype.startsWith('float');
          const lo = float ? -500.25 : RANGE[dtype][0];
          const span = float ? 1e6 : Math.min(RANGE[dtype][1] - lo, 1e6);
          const data = Array.from({ length: bands }, (_, b) => {
            const a = new DTYPE_ARRAY[dtype](w * h);
            for (let i = 0; i < a.length; i++) a[i] = lo + (((i + 1) * 7919 + b * 104729 + seed * 31) % span);
            return a;
          });
          const path = join(dir, 'prop.tif');
          await writeCog(path, {
            width: w,
            height: h,
            bands,
            dtype,
            interleave,
            blockSize,
            crs: 4326,
            transform: [1, 0, 0, 0, -1, 0],
            readRows: (b, r, n) => (data[b - 1] as TypedArray).slice(r * w, (r + n) * w),
          });
          const source = new FileSource(path);
          const cog = await openCog(source);
          try {
            const all = Array.from({ length: bands }, (_, i) => i + 1);
            const got = await cog.read({ bands: all, window: { col: 0, row: 0, width: w, height: h } });
            expect(Array.from(got.data)).toEqual(data.flatMap((d) => Array.from(d)));
            // 'auto' overviews: halve until the level fits in one block.
            const sizes: number[][] = [[w, h]];
            for (let f = 2; (sizes.at(-1) as number[]).some((v) => v > blockSize); f *= 2)
              sizes.push([Math.ceil(w / f), Math.ceil(h / f)]);
            expect(cog.metadata.levels.map((l) => [l.width, l.height])).toEqual(sizes);
            if (sizes.length > 1) {
              const [ow, oh] = sizes[1] as [number, number];
              const ov = await cog.read({ bands: [1], level: 1, window: { col: 0, row: 0, width: ow, height: oh } });
              expect(Array.from(ov.data)).toEqual(expectedOverview(data[0] as TypedArray, w, h, dtype, NaN));
            }
          } finally {
            await cog.close();
            await source.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
