/**
 * Timeseries extraction benchmark (issue 3): mean + median over all 1898 years of a PaleoCAR-shaped dataset
 * (1560×1440, uint16 DEFLATE, 19 COGs of 100 bands, band- and pixel-interleaved) for a 10 000-cell and a
 * 1 000 000-cell polygon — ours (`runExtraction`, in a child process so its peak RSS is measured alone) against
 * `bench/reference/timeseries_reference.py` (rasterio + numpy, U's algorithm) doing the same work in the same run.
 * Also reports the physical limit: the compressed bytes of the blocks the window touches (what a whole-block reader
 * reads and inflates) ÷ (2 cores × one core's inflate rate on the dataset's own blocks). Ours reads and inflates only
 * the rows a window needs, which lets a small window beat it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Tiff, TiffTag } from '@cogeotiff/core';
import { createInflater } from '../src/raster/codecs/inflate.into.js';
import { FileSource } from '../src/storage/source.file.js';
import { cellBox, ensurePaleocarDataset, readLookup, type PaleocarDataset } from './gen/paleocar.js';
import { median, runProcess, runReference } from './harness.js';
import type { BenchContext, BenchSuite } from './harness.js';

const CHILD = fileURLToPath(new URL('./timeseries.child.ts', import.meta.url));
const REFERENCE = fileURLToPath(new URL('./reference/timeseries_reference.py', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

interface ChildResult {
  runs: number[];
  cpu: number[];
  bytes: number[];
  maxRssMB: number;
  n_cells: number;
  timesteps: number;
  mean: (number | null)[];
  median: (number | null)[];
}
interface RefResult {
  results: { n_cells: number; mean: (number | null)[]; median: (number | null)[]; seconds: number }[];
}

/**
 * Inflate throughput of one core, in compressed bytes per second, on the dataset's own stored blocks (the 16 blocks
 * of the first plane around the 10 000-cell box of the first file), decoded whole with the inflater the reader uses.
 */
async function inflateRate(ds: PaleocarDataset): Promise<number> {
  const path = ds.files[0] as string;
  const source = new FileSource(path);
  const blocks: Uint8Array[] = [];
  let decoded = 0;
  try {
    const img = (await Tiff.create(source)).images[0];
    if (!img) throw new Error(`${path} has no image`);
    const { x: across } = img.tileCount;
    const planar = img.value(TiffTag.PlanarConfiguration) === 2;
    const samples = planar ? 1 : (img.value(TiffTag.SamplesPerPixel) ?? 1);
    decoded = img.tileSize.width * img.tileSize.height * samples * 2;
    for (let by = 1; by < 5; by++) {
      for (let bx = 1; bx < 5; bx++) {
        const { offset, imageSize } = await img.getTileSize(by * across + bx);
        blocks.push(new Uint8Array(await source.fetch(offset, imageSize)));
      }
    }
  } finally {
    await source.close();
  }
  const inflater = createInflater();
  const out = new Uint8Array(decoded);
  let bytes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    for (const b of blocks) {
      inflater.inflateInto(b, out);
      bytes += b.length;
    }
  }
  return bytes / ((performance.now() - t0) / 1000);
}

function maxRelDiff(a: (number | null)[], b: (number | null)[]): number {
  let worst = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x !== y) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return worst;
}

async function runCase(
  ctx: BenchContext,
  ds: PaleocarDataset,
  layout: string,
  label: string,
  polygon: Record<string, unknown>,
  reps: number,
  target: number,
  rate: number,
): Promise<void> {
  ctx.log(`${layout} ${label}: ours × ${reps} …`);
  const args = { root: ds.root, polygon, reps, blockCacheBytes: 256 * 1024 * 1024 };
  const ours = JSON.parse(await runProcess(TSX, [CHILD, JSON.stringify(args)])) as ChildResult;
  let refSeconds: number | null = null;
  let agreement = 'no reference';
  if (ctx.python) {
    ctx.log(`${layout} ${label}: reference × ${reps} …`);
    const lookup = (await readLookup(ds))[ds.variableId] ?? {};
    const files: { path: string; bands: number[] }[] = [];
    // JSON.parse puts integer-like keys ("1000"…) first: sort so files come in timestep order, as ours.
    const entries = Object.entries(lookup).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, e] of entries) {
      const path = join(ds.root, e.file);
      const f = files.find((x) => x.path === path);
      if (f) f.bands.push(e.bidx);
      else files.push({ path, bands: [e.bidx] });
    }
    const reqPath = join(ctx.dataDir, `timeseries-${layout}-${label}.json`);
    const cases = Array.from({ length: reps }, () => polygon);
    await writeFile(reqPath, JSON.stringify({ crs: ds.crs, transform: ds.transform, threads: 10, files, cases }));
    const ref = await runReference<RefResult>(ctx.python, REFERENCE, [reqPath]);
    refSeconds = median(ref.results.map((r) => r.seconds));
    const r0 = ref.results[0];
    if (r0) {
      const d = Math.max(maxRelDiff(ours.mean, r0.mean), maxRelDiff(ours.median, r0.median));
      agreement = `n_cells ${ours.n_cells}${ours.n_cells === r0.n_cells ? '' : ` ≠ ref ${r0.n_cells}`}, max rel diff ${d.toExponential(1)}`;
    }
  }
  const seconds = median(ours.runs);
  const bytes = median(ours.bytes);
  const limit = bytes / (2 * rate);
  ctx.report({
    name: `extract mean+median, ${label}, ${ours.timesteps} years, ${layout}-interleaved`,
    unit: 's',
    ours: seconds,
    reference: refSeconds,
    target: { speedup: 3, max: target },
    note:
      `CPU ${median(ours.cpu).toFixed(2)} s, peak RSS ${ours.maxRssMB.toFixed(0)} MB (≤ 1024), ` +
      `${(bytes / 1e6).toFixed(0)} MB compressed in the blocks touched, ` +
      `physical limit ${limit.toFixed(2)} s = ${((100 * limit) / seconds).toFixed(0)} % of ours; ${agreement}`,
  });
}

export const suite: BenchSuite = {
  name: 'timeseries',
  description: 'runExtraction mean+median, 10k and 1M cells × 1898 years (PaleoCAR-shaped) vs rasterio+numpy',
  async run(ctx) {
    for (const layout of ['band', 'pixel'] as const) {
      // Cases are named '<layout> 10k' and '<layout> 1M' for --case (e.g. `--case 10k`, `--case band`).
      const small = ctx.wants(`${layout} 10k`);
      const large = ctx.wants(`${layout} 1M`);
      if (!small && !large) continue;
      const ds = await ensurePaleocarDataset({ bands: 100, files: 19, layout, dataDir: ctx.dataDir, log: ctx.log });
      const rate = await inflateRate(ds);
      ctx.log(`inflate: ${(rate / 1e6).toFixed(0)} MB/s compressed per core`);
      if (small)
        await runCase(
          ctx,
          ds,
          layout,
          '10 000 cells',
          cellBox(ds.transform, 700, 700, 100),
          Math.min(ctx.reps, 3),
          2,
          rate,
        );
      if (large) await runCase(ctx, ds, layout, '1 000 000 cells', cellBox(ds.transform, 300, 200, 1000), 1, 60, rate);
    }
  },
};
