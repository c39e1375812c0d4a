/**
 * Bilinear, cubic and lanczos overviews against GDAL's: small rasters (odd sizes, so the ratio between levels is
 * not 2 and the edges clip the kernels) through test/support/overview.ref.py (gdaladdo's BuildOverviews on a tiled
 * GTiff), compared cell by cell with ours, every level computed from the previous one and fed in strips of 13 rows
 * (the writer's streaming path). Equal cell for cell (floats bit for bit).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../../test/support/env.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { DTYPE_ARRAY } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';
import { ConvolutionDownsampler } from './overview.convolve.js';
import type { ConvolutionMethod } from './overview.convolve.js';

const REF = join(import.meta.dirname, '..', '..', '..', 'test', 'support', 'overview.ref.py');
const dir = useTempDir('ovconv-');
const U32_NODATA = 4294967295;

/** A deterministic pseudo-random sequence (LCG) so fixtures need no committed binaries. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

interface Fixture {
  name: string;
  dtype: DType;
  width: number;
  height: number;
  nodata: number | null;
  pixels: TypedArray;
}

function fixtures(): Fixture[] {
  const r = lcg(12);
  const W = 203;
  const H = 157;
  // UInt32 with nodata: a smooth field plus noise, scattered nodata, a nodata block and a nodata-dotted last column.
  const u32 = new Uint32Array(W * H);
  // Float32 with a nodata of -9999 and NaN cells (NaN is a value here, as in GDAL).
  const f32 = new Float32Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      u32[i] = Math.round(1000 + 500 * Math.sin(x / 7) + 300 * Math.cos(y / 5) + r() * 200);
      if (r() < 0.08 || (y >= 5 && y < 12 && x >= 3 && x < 20) || (x === W - 1 && y % 3 === 0)) u32[i] = U32_NODATA;
      f32[i] = 250 * Math.sin(x / 9) * Math.cos(y / 4) + (r() - 0.5) * 6;
      if (r() < 0.05 || (y >= 20 && y < 30 && x >= 10 && x < 14)) f32[i] = -9999;
      if (r() < 0.002) f32[i] = NaN;
    }
  // UInt32 near the top of the range (above 2^24: GDAL works in Float32, so do we), no nodata.
  const big = new Uint32Array(131 * 97);
  for (let i = 0; i < big.length; i++) big[i] = 4_000_000_000 + Math.floor(r() * 1_000_003) * 97;
  // Values either side of a float nodata: results equal to it become GDAL's replacement value.
  const near = new Float32Array(67 * 45);
  for (let i = 0; i < near.length; i++) near[i] = r() < 0.05 ? -9999 : r() < 0.5 ? -9999.5 : -9998.5;
  // Float64 without nodata (GDAL works it in Float32 too) and int16 with nodata (signed rounding, clamping).
  const f64 = new Float64Array(131 * 97);
  const i16 = new Int16Array(131 * 97);
  for (let i = 0; i < f64.length; i++) {
    f64[i] = 250 * Math.sin(i / 90) + (r() - 0.5) * 10;
    i16[i] = r() < 0.05 ? -32768 : Math.round((r() - 0.5) * 60000);
  }
  return [
    { name: 'f64', dtype: 'float64', width: 131, height: 97, nodata: null, pixels: f64 },
    { name: 'i16-nodata', dtype: 'int16', width: 131, height: 97, nodata: -32768, pixels: i16 },
    { name: 'u32-nodata', dtype: 'uint32', width: W, height: H, nodata: U32_NODATA, pixels: u32 },
    { name: 'f32-nodata', dtype: 'float32', width: W, height: H, nodata: -9999, pixels: f32 },
    { name: 'u32-big', dtype: 'uint32', width: 131, height: 97, nodata: null, pixels: big },
    { name: 'f32-near-nodata', dtype: 'float32', width: 67, height: 45, nodata: -9999, pixels: near },
  ];
}

const METHODS: ConvolutionMethod[] = ['bilinear', 'cubic', 'lanczos'];
const LEVELS = 4;

/** Our overview levels of a fixture, each from the previous one, pushed 13 rows at a time. */
function ours(f: Fixture, method: ConvolutionMethod): TypedArray[] {
  const out: TypedArray[] = [];
  let src = f.pixels;
  let w = f.width;
  let h = f.height;
  for (let k = 1; k <= LEVELS; k++) {
    const dw = Math.ceil(f.width / 2 ** k);
    const dh = Math.ceil(f.height / 2 ** k);
    const ds = new ConvolutionDownsampler(w, h, dw, dh, method, f.dtype, f.nodata);
    const level = new DTYPE_ARRAY[f.dtype](dw * dh);
    for (let y = 0; y < h; y += 13) {
      const n = Math.min(13, h - y);
      const done = ds.push(src.slice(y * w, (y + n) * w), n);
      if (done) level.set(done.data, done.row * dw);
    }
    expect(ds.done).toBe(true);
    out.push(level);
    src = level;
    w = dw;
    h = dh;
  }
  return out;
}

/** Same value (NaN equals NaN: both are the same float32 bits here). */
const same = (a: number, b: number): boolean => a === b || (a !== a && b !== b);

describe('convolution overviews equal gdaladdo -r bilinear|cubic|lanczos', () => {
  const ok = requireTool('rasterio', HAS_RASTERIO());

  it.runIf(ok)(
    'u32 with nodata, f32 with nodata and NaN, u32 above 2^24, f32 next to its nodata, f64, i16 with nodata; odd sizes; 4 levels: equal cell for cell',
    () => {
      const fx = fixtures();
      const jobs = [];
      for (const f of fx) {
        const source = join(dir(), `${f.name}.bin`);
        writeFileSync(source, new Uint8Array(f.pixels.buffer, f.pixels.byteOffset, f.pixels.byteLength));
        for (const resampling of METHODS)
          jobs.push({
            source,
            dtype: f.dtype,
            width: f.width,
            height: f.height,
            nodata: f.nodata,
            resampling,
            levels: LEVELS,
          });
      }
      const jobsPath = join(dir(), 'jobs.json');
      writeFileSync(jobsPath, JSON.stringify(jobs));
      execFileSync(PYTHON, [REF, jobsPath], { encoding: 'utf8' });
      for (const f of fx) {
        for (const method of METHODS) {
          const mine = ours(f, method);
          mine.forEach((level, k) => {
            const buf = readFileSync(join(dir(), `${f.name}.bin.${method}.${k}`));
            const want = new DTYPE_ARRAY[f.dtype](buf.buffer, buf.byteOffset, buf.byteLength / level.BYTES_PER_ELEMENT);
            expect(want.length, `${f.name} ${method} level ${k + 1} size`).toBe(level.length);
            let differ = 0;
            let first = -1;
            for (let i = 0; i < level.length; i++) {
              if (same(level[i] as number, want[i] as number)) continue;
              differ++;
              if (first < 0) first = i;
            }
            const name = `${f.name} ${method} level ${k + 1}: ${differ} of ${level.length} cells differ (first: cell ${first}, ours ${level[first]}, GDAL ${want[first]})`;
            expect(differ, name).toBe(0);
          });
        }
      }
    },
    120_000,
  );
});
