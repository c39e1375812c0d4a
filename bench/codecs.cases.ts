/**
 * Codec speeds behind release COGs, for `npm run bench -- cogwrite`: 512² uint32 blocks (PaleoCAR-like values,
 * predictor 2 applied, as a release stores them), encoded and decoded one block at a time (a core's speed) and all
 * at once (the libuv pool on every core). ZSTD is `codecs/zstd.ts` (native libzstd); the references are today's
 * DEFLATE path (`node:zlib`, level 6 as GDAL's default) and, for decoding, the `zstddec` WASM decoder the reader
 * used before. MB/s of uncompressed block bytes.
 */
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { deflate as deflateCb } from 'node:zlib';
import { ZSTDDecoder } from 'zstddec';
import { createFieldGrid, fillFieldRows } from '../src/cli/demo.fields.js';
import { inflate } from '../src/raster/codecs/deflate.js';
import { lzwDecode, lzwEncode } from '../src/raster/codecs/lzw.js';
import { createZstdDecoder, createZstdEncoder } from '../src/raster/codecs/zstd.js';
import { encodePredictor2 } from '../src/raster/writer/tiff.encode.pixels.js';
import type { BenchContext } from './harness.js';

const deflate = promisify(deflateCb);
const BS = 512;

/** 12 blocks of a 1560 × 1440 uint32 field (tenths of mm, with noise), predictor 2 applied. */
function blocks(): Uint8Array[] {
  const w = 1560;
  const h = 1440;
  const grid = createFieldGrid('ppt', w, h);
  const u16 = new Uint16Array(w * h);
  fillFieldRows(grid, 1500, 0, h, u16);
  const out: Uint8Array[] = [];
  for (let by = 0; by < 3; by++) {
    for (let bx = 0; bx < 4; bx++) {
      const t = new Uint32Array(BS * BS);
      for (let r = 0; r < BS; r++) {
        for (let c = 0; c < BS; c++) {
          const y = Math.min(h - 1, by * BS + r);
          const x = Math.min(w - 1, bx * (w / 4) + c);
          t[r * BS + c] = (u16[y * w + x] as number) * 10 + ((x * 7919 + y * 104729) % 16);
        }
      }
      encodePredictor2(t, BS, 1);
      out.push(new Uint8Array(t.buffer));
    }
  }
  return out;
}

/** Median MB/s over `reps` runs of `fn` over all blocks (one warm-up run). */
async function speed(bytes: number, reps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const rates: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    rates.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1] as number;
}

/** One block after another. */
async function serial<T>(items: readonly T[], fn: (item: T) => unknown): Promise<void> {
  for (const it of items) await fn(it);
}

/** Reports the codec rows. */
export async function codecCases(ctx: BenchContext): Promise<void> {
  const data = blocks();
  const bytes = data.reduce((n, b) => n + b.length, 0);
  const reps = Math.max(3, ctx.reps);
  const zstd9 = createZstdEncoder(9);
  const zs = await Promise.all(data.map((b) => zstd9(b)));
  const df = await Promise.all(data.map((b) => deflate(b, { level: 6 })));
  const lz = data.map((b) => lzwEncode(b));
  const ratio = (parts: readonly Uint8Array[]): string => (bytes / parts.reduce((n, p) => n + p.length, 0)).toFixed(2);
  const notes = `ratio: zstd-9 ${ratio(zs)}, deflate-6 ${ratio(df)}, lzw ${ratio(lz)}`;

  const zEnc1 = await speed(bytes, reps, () => serial(data, (b) => zstd9(b)));
  const dEnc1 = await speed(bytes, reps, () => serial(data, (b) => deflate(b, { level: 6 })));
  ctx.report({
    name: 'encode ZSTD-9 vs DEFLATE-6, one block at a time',
    unit: 'MB/s',
    ours: zEnc1,
    reference: dEnc1,
    note: notes,
  });
  const zEncN = await speed(bytes, reps, () => Promise.all(data.map((b) => zstd9(b))));
  const dEncN = await speed(bytes, reps, () => Promise.all(data.map((b) => deflate(b, { level: 6 }))));
  ctx.report({
    name: 'encode ZSTD-9 vs DEFLATE-6, 12 blocks at once (libuv pool)',
    unit: 'MB/s',
    ours: zEncN,
    reference: dEncN,
  });
  const zstd3 = createZstdEncoder(3);
  const z3 = await speed(bytes, reps, () => serial(data, (b) => zstd3(b)));
  ctx.report({ name: 'encode ZSTD-3 vs ZSTD-9, one block at a time', unit: 'MB/s', ours: z3, reference: zEnc1 });
  const lzEnc = await speed(bytes, reps, () => serial(data, (b) => Promise.resolve(lzwEncode(b))));
  ctx.report({
    name: 'encode LZW (ours, main thread) vs DEFLATE-6, one block at a time',
    unit: 'MB/s',
    ours: lzEnc,
    reference: dEnc1,
  });

  const zdec = await createZstdDecoder();
  const wasm = new ZSTDDecoder();
  await wasm.init();
  const n = BS * BS * 4;
  const zDec1 = await speed(bytes, reps, () => serial(zs, (c) => zdec(c, n)));
  const iDec1 = await speed(bytes, reps, () => serial(df, (c) => inflate(c, n)));
  ctx.report({
    name: 'decode ZSTD (native) vs DEFLATE (node:zlib, the reader), one block at a time',
    unit: 'MB/s',
    ours: zDec1,
    reference: iDec1,
  });
  const zDecN = await speed(bytes, reps, () => Promise.all(zs.map((c) => zdec(c, n))));
  const iDecN = await speed(bytes, reps, () => Promise.all(df.map((c) => inflate(c, n))));
  ctx.report({
    name: 'decode ZSTD (native) vs DEFLATE, 12 blocks at once (libuv pool)',
    unit: 'MB/s',
    ours: zDecN,
    reference: iDecN,
  });
  const wDec1 = await speed(bytes, reps, () => serial(zs, (c) => Promise.resolve(wasm.decode(c, n))));
  ctx.report({
    name: 'decode ZSTD native vs zstddec (WASM, the previous decoder), one block at a time',
    unit: 'MB/s',
    ours: zDec1,
    reference: wDec1,
  });
  const lzDec = await speed(bytes, reps, () => serial(lz, (c) => Promise.resolve(lzwDecode(c, n))));
  ctx.report({
    name: 'decode LZW (ours) vs DEFLATE, one block at a time',
    unit: 'MB/s',
    ours: lzDec,
    reference: iDec1,
  });
}
