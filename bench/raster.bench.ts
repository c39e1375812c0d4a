/**
 * Issue 2 benchmark: a 100-band PaleoCAR-shaped COG (1560 × 1440 uint16 DEFLATE 256² blocks), pixel- and
 * band-interleaved. (1) Read a 100 × 100 window (10 000 cells) across all 100 bands: our reader (`openCog` over
 * a `FileSource`, open + read each time) vs rasterio (`bench/reference/raster_read.py`, open + read). Target ≥ 2×.
 * (2) DEFLATE decode throughput of every full-resolution block on one core: `node:zlib` vs Python's zlib — not the
 * same library: Node bundles its own zlib (Chromium's fork, with SIMD paths), Debian's Python links the system
 * zlib — both timed in process CPU seconds so other load on the machine does not count. Target ≥ 150 MB/s per
 * core. Also, in wall time: all blocks over both cores (libuv pool), with no ratio (GDAL's whole read, in the
 * note, runs on one thread and also undoes the predictor and copies: not the same work).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { inflate as inflateCb, inflateSync } from 'node:zlib';
import { Tiff, TiffTag } from '@cogeotiff/core';
import { availableParallelism } from 'node:os';
import { openCog } from '../src/raster/cog.js';
import { createDecodePool } from '../src/raster/decode.pool.js';
import type { DecodePool } from '../src/raster/decode.pool.js';
import { FileSource } from '../src/storage/source.file.js';
import { ensurePaleocarDataset } from './gen/paleocar.js';
import { cpuTimeIt, median, runReference, timeIt } from './harness.js';
import type { BenchContext, BenchSuite } from './harness.js';

const inflateAsync = promisify(inflateCb);
const reference = join(import.meta.dirname, 'reference', 'raster_read.py');
/** A window that straddles four blocks (cols 730–829, rows 700–799), as a random 10 000-cell area would. */
const WINDOW = { col: 730, row: 700, width: 100, height: 100 };

interface RefTimes {
  median: number;
  seconds: number[];
  sum?: number;
  mb_per_s?: number;
}

/** Offsets and sizes of every full-resolution block, in file order, via @cogeotiff/core. */
async function listBlocks(path: string): Promise<{ blocks: [number, number][]; decodedBytes: number }> {
  const source = new FileSource(path);
  try {
    const tiff = await Tiff.create(source);
    const img = tiff.images[0];
    if (!img) throw new Error(`${path} has no image`);
    const planar = img.value(TiffTag.PlanarConfiguration) === 2;
    const bands = img.value(TiffTag.SamplesPerPixel) ?? 1;
    const { x, y } = img.tileCount;
    const count = x * y * (planar ? bands : 1);
    const blocks: [number, number][] = [];
    for (let i = 0; i < count; i++) {
      const { offset, imageSize } = await img.getTileSize(i);
      if (imageSize > 0) blocks.push([offset, imageSize]);
    }
    const { width, height } = img.tileSize;
    const decodedBytes = blocks.length * width * height * 2 * (planar ? 1 : bands);
    return { blocks: blocks.sort((a, b) => a[0] - b[0]), decodedBytes };
  } finally {
    await source.close();
  }
}

async function windowCase(
  ctx: BenchContext,
  layout: 'pixel' | 'band',
  path: string,
  decodePool: DecodePool | undefined,
): Promise<void> {
  // The main rows run as the service does by default (decode_threads = 0); the A/B rows add the pool.
  const options = {};
  const pooled = decodePool ? { decodePool } : {};
  const bands = Array.from({ length: 100 }, (_, i) => i + 1);
  let sum = 0;
  const ours = await timeIt(ctx.reps, async () => {
    const source = new FileSource(path);
    const cog = await openCog(source, options);
    const block = await cog.read({ bands, window: WINDOW });
    sum = 0;
    for (const v of block.data) sum += v;
    await cog.close();
    await source.close();
  });
  let ref: RefTimes | null = null;
  if (ctx.python) {
    const w = WINDOW;
    ref = await runReference<RefTimes>(ctx.python, reference, [
      'window',
      path,
      ...[w.col, w.row, w.width, w.height, ctx.reps].map(String),
    ]);
    if (ref.sum !== sum) throw new Error(`window sums differ: ours ${sum}, rasterio ${String(ref.sum)}`);
  }
  ctx.report({
    name: `window 100×100 × 100 bands, ${layout}-interleaved, open + read`,
    unit: 's',
    ours: ours.median,
    reference: ref?.median ?? null,
    target: { speedup: 2 },
    note: `values equal rasterio's, ${ctx.reps} reps`,
  });
  if (decodePool) {
    // With and without decode threads, reps alternating so machine drift and order do not favour either.
    const once = async (o: { decodePool?: DecodePool }): Promise<number> => {
      const t0 = performance.now();
      const source = new FileSource(path);
      const cog = await openCog(source, o);
      await cog.read({ bands, window: WINDOW });
      await cog.close();
      await source.close();
      return (performance.now() - t0) / 1000;
    };
    const runs: { pool: number[]; inline: number[] } = { pool: [], inline: [] };
    for (let i = 0; i <= ctx.reps; i++) {
      const a = i % 2 === 0 ? await once(pooled) : await once({});
      const b = i % 2 === 0 ? await once({}) : await once(pooled);
      if (i === 0) continue; // warm-up
      runs.pool.push(i % 2 === 0 ? a : b);
      runs.inline.push(i % 2 === 0 ? b : a);
    }
    for (const [label, r] of [
      [`${decodePool.threads} decode threads`, runs.pool],
      ['no decode threads', runs.inline],
    ] as const) {
      ctx.report({
        name: `window 100×100 × 100 bands, ${layout}-interleaved, open + read, A/B: ${label}`,
        unit: 's',
        ours: median(r),
        reference: ref?.median ?? null,
      });
    }
  }
  // The service's hot path: the COG stays open (header cached), each request reads and decodes its blocks.
  const source = new FileSource(path);
  const cog = await openCog(source, options);
  try {
    const warm = await timeIt(ctx.reps, () => cog.read({ bands, window: WINDOW }));
    ctx.report({
      name: `window 100×100 × 100 bands, ${layout}-interleaved, read only (COG open)`,
      unit: 's',
      ours: warm.median,
      reference: null,
    });
  } finally {
    await cog.close();
    await source.close();
  }
}

async function inflateCase(ctx: BenchContext, layout: 'pixel' | 'band', path: string): Promise<void> {
  const { blocks, decodedBytes } = await listBlocks(path);
  const file = await readFile(path);
  const chunks = blocks.map(([o, n]) => file.subarray(o, o + n));
  const blockBytes = decodedBytes / blocks.length;
  const check = (total: number): void => {
    if (total !== decodedBytes) throw new Error(`inflated ${total} bytes, expected ${decodedBytes}`);
  };
  const one = await cpuTimeIt(ctx.reps, () => {
    let total = 0;
    // chunkSize = the block's decoded size: one output buffer instead of 16 KiB pieces (PERF-BASELINE).
    for (const c of chunks) total += inflateSync(c, { chunkSize: blockBytes }).length;
    check(total);
  });
  let ref: RefTimes | null = null;
  let gdal: RefTimes | null = null;
  if (ctx.python) {
    const spec = join(ctx.dataDir, `blocks-${layout}.json`);
    await writeFile(spec, JSON.stringify({ path, blocks, decoded_bytes: decodedBytes }));
    ref = await runReference<RefTimes>(ctx.python, reference, ['inflate', spec, String(ctx.reps)]);
    gdal = await runReference<RefTimes>(ctx.python, reference, ['readall', path, String(Math.min(2, ctx.reps))]);
  }
  const mb = decodedBytes / 1e6;
  const note = `${blocks.length} blocks, ${mb.toFixed(0)} MB decoded from ${(file.length / 1e6).toFixed(0)} MB`;
  ctx.report({
    name: `DEFLATE inflate per core (CPU time), ${layout}-interleaved`,
    unit: 'MB/s',
    ours: mb / one.median,
    reference: ref?.mb_per_s ?? null,
    target: { min: 150 },
    note,
  });
  const runs: number[] = [];
  for (let i = 0; i < ctx.reps; i++) {
    const t0 = performance.now();
    const sizes = await Promise.all(
      chunks.map((c) => inflateAsync(c, { chunkSize: blockBytes }).then((b) => b.length)),
    );
    check(sizes.reduce((a, b) => a + b, 0));
    runs.push((performance.now() - t0) / 1000);
  }
  ctx.report({
    name: `DEFLATE inflate, all cores (libuv pool), ${layout}-interleaved`,
    unit: 'MB/s',
    ours: mb / median(runs),
    // No ratio: GDAL's figure is a single-thread whole read (inflate + predictor + copy), not the same work.
    reference: null,
    note: `for scale only: GDAL whole-raster read on 1 thread (inflate + predictor + copy) ${gdal?.mb_per_s?.toFixed(0) ?? '–'} MB/s`,
  });
}

/** The issue-2 raster benchmark suite. */
export const suite: BenchSuite = {
  name: 'raster',
  description:
    '100-band PaleoCAR-shaped COG: 10 000-cell window across 100 bands, and DEFLATE decode throughput, vs rasterio',
  async run(ctx) {
    // For the A/B rows: CPU count − 1 decode threads, created once and warmed, as a server's would be.
    const threads = Math.max(1, availableParallelism() - 1);
    const decodePool = threads > 0 ? createDecodePool({ threads }) : undefined;
    // A server's pool is warm; under tsx a thread takes ~0.2 s of CPU to start, which must not land in the timings.
    await decodePool?.warm();
    try {
      for (const layout of ['pixel', 'band'] as const) {
        if (!ctx.wants(layout)) continue;
        const ds = await ensurePaleocarDataset({ bands: 100, layout, dataDir: ctx.dataDir, log: ctx.log });
        const path = ds.files[0] as string;
        await windowCase(ctx, layout, path, decodePool);
        await inflateCase(ctx, layout, path);
      }
    } finally {
      await decodePool?.close();
    }
  },
};
