import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../../test/support/env.js';
import { FileSource } from '../../storage/source.file.js';
import { openCog } from '../cog.js';
import { rowsFromCog, writeCog } from './cog.writer.js';
import type { CogWriteSpec } from './cog.spec.js';
import { DTYPE_ARRAY, DTYPE_RANGE } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';

const DTYPES: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
/** Extremes written into the test data: each integer dtype's range, and large finite floats. */
const RANGE: Record<DType, readonly [number, number]> = {
  ...DTYPE_RANGE,
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

/** Expected overview by a direct 2×2 mean of the valid cells (ignores nodata; NaN spreads), rounding half up for ints. */
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
        if (v !== nodata) vals.push(v);
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

const dir = useTempDir('cogw-');

describe('writeCog round trip (every dtype × interleave × predictor)', () => {
  const cases = DTYPES.flatMap((dtype) =>
    (['pixel', 'band'] as const).flatMap((interleave) =>
      (
        [
          ['none', 1],
          ['deflate', 1],
          ['deflate', dtype.startsWith('float') ? 3 : 2],
          ['zstd', dtype.startsWith('float') ? 3 : 2],
          ['lzw', dtype.startsWith('float') ? 3 : 2],
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
      const path = join(dir(), `${c.dtype}-${c.interleave}-${c.compression}-${c.predictor}.tif`);
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
        expect(r.compression, l).toBe(c.compression === 'none' ? null : c.compression);
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
    const out = join(dir(), 'sliced.tif');
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
          compression: fc.constantFrom('deflate' as const, 'zstd' as const, 'lzw' as const),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        async ({ w, h, bands, dtype, interleave, blockSize, compression, seed }) => {
          const float = dtype.startsWith('float');
          const lo = float ? -500.25 : RANGE[dtype][0];
          const span = float ? 1e6 : Math.min(RANGE[dtype][1] - lo, 1e6);
          const data = Array.from({ length: bands }, (_, b) => {
            const a = new DTYPE_ARRAY[dtype](w * h);
            for (let i = 0; i < a.length; i++) a[i] = lo + (((i + 1) * 7919 + b * 104729 + seed * 31) % span);
            return a;
          });
          const path = join(dir(), 'prop.tif');
          await writeCog(path, {
            width: w,
            height: h,
            bands,
            dtype,
            interleave,
            blockSize,
            compression,
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
