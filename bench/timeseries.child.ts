/**
 * One side of the timeseries benchmark, run in its own process so its peak RSS is its own. It runs extractions the
 * way `skope serve` does: `openData` (src/deps.ts) + `createExtraction` (src/timeseries/extraction.ts): coordination
 * on the main thread, coverage and reduce tasks on a worker pool of `threads` threads, over a generated PaleoCAR-shaped dataset. Each
 * rep gets a fresh runtime and pool, warmed by a 16 × 16-cell extraction over every year elsewhere on the grid (thread
 * start-up, JIT and COG headers are not timed; the timed window's blocks are read and inflated cold). Prints JSON: wall and CPU
 * seconds per run (CPU of every thread), peak RSS, the compressed bytes of the blocks the window touches, n_cells
 * and the series.
 *
 * Usage: tsx bench/timeseries.child.ts '<json {root, polygon, reps, blockCacheBytes, threads?}>'
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Tiff, TiffTag } from '@cogeotiff/core';
import { loadConfig } from '../src/config/config.js';
import { FileSource } from '../src/storage/source.file.js';
import { openData } from '../src/deps.js';
import { preflightExtraction } from '../src/timeseries/extract.js';
import { createExtraction, extractDeps, type ExtractionOutput } from '../src/timeseries/extraction.js';
import type { PixelWindow } from '../src/raster/types.js';
import { cellBox } from './gen/paleocar.js';
import type { ExtractRequest } from '../src/timeseries/types.js';
import { loadGeometryEngine } from '../src/geo/geos.js';

interface Args {
  root: string;
  polygon: Record<string, unknown>;
  reps: number;
  blockCacheBytes: number;
  /** Worker threads (default: the service's default, the CPU count). */
  threads?: number;
}

/** The buffer {@link blockBytes} reads blocks into (grown as needed). */
let WARM = new Uint8Array(1 << 20);

/**
 * Compressed bytes of the full-resolution blocks of `bands` that `window` touches in `path`, read once so that they
 * are in the OS page cache: the reference (run after ours) always found them there, and ours should not pay for
 * disk reads that an earlier case's data evicted.
 */
async function blockBytes(path: string, bands: number[], w: PixelWindow): Promise<number> {
  // Read into one reused buffer: a buffer per block would leave ~1.9 GB of garbage (at 1 000 000 cells) for the timed
  // run's collector to free (measured: +2 CPU-s and +1.3 s on the first timed run of a process).
  const source = new FileSource(path, { syncReads: true });
  try {
    const img = (await Tiff.create(source)).images[0];
    if (!img) return 0;
    const planar = img.value(TiffTag.PlanarConfiguration) === 2;
    const { x: across, y: down } = img.tileCount;
    const { width: tw, height: th } = img.tileSize;
    const { width, height } = img.size;
    const c0 = Math.max(0, w.col);
    const r0 = Math.max(0, w.row);
    const c1 = Math.min(width, w.col + w.width);
    const r1 = Math.min(height, w.row + w.height);
    let sum = 0;
    for (const plane of planar ? bands.map((b) => b - 1) : [0]) {
      for (let by = Math.floor(r0 / th); by * th < r1; by++) {
        for (let bx = Math.floor(c0 / tw); bx * tw < c1; bx++) {
          const { offset, imageSize } = await img.getTileSize(plane * across * down + by * across + bx);
          if (imageSize > 0) {
            if (WARM.length < imageSize) WARM = new Uint8Array(imageSize);
            source.readSync?.(offset, imageSize, WARM);
          }
          sum += imageSize;
        }
      }
    }
    return sum;
  } finally {
    await source.close();
  }
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const config = loadConfig({
    REGISTRY_PATH: join(args.root, 'metadata.yml'),
    COLORMAPS_PATH: join(args.root, 'colormaps.json'),
    STORAGE_BASE_URL: args.root,
    BLOCK_CACHE_BYTES: String(args.blockCacheBytes),
    DEFAULT_MAX_CELLS: '1000000',
    MAX_PROCESSING_TIME: '3600000',
    JOB_STORE: 'memory',
    ...(args.threads !== undefined && args.threads > 0 ? { WORKER_POOL_SIZE: String(args.threads) } : {}),
  });
  const request: ExtractRequest = {
    dataset_id: 'paleocar_v3',
    variable_id: 'ppt_annual',
    selected_area: args.polygon,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: null,
  };
  const runs: number[] = [];
  const cpu: number[] = [];
  let out: ExtractionOutput | null = null;
  let bytes = 0;
  const geometry = await loadGeometryEngine();
  for (let i = 0; i < args.reps; i++) {
    const { cogs, datasets } = await openData(config);
    const {
      service: extraction,
      threads,
      close,
    } = createExtraction(config, datasets, cogs, geometry, {
      inline: args.threads === 0,
    });
    try {
      if (i === 0) {
        const plan = await preflightExtraction(request, extractDeps(config, datasets, cogs, geometry));
        const files = new Map<string, number[]>();
        for (const ref of plan.selection.refs) files.set(ref.url, [...(files.get(ref.url) ?? []), ref.bidx]);
        for (const [url, bands] of files) bytes += await blockBytes(url, bands, plan.window);
      }
      // Warm-up, as in a service that served this dataset within the COG-header TTL (30 s): an extraction of the
      // 16 × 16 cells from (10, 10) over every year per thread starts the threads, opens the COG headers and gets the
      // hot loops optimised (a one-cell area left them to the baseline compiler: the first timed tasks ran ~1.7×
      // slower). It reads only blocks (0, 0), which the timed windows do not touch; blocks are never cached anyway.
      const transform = datasets.registry.get('paleocar_v3')?.transform ?? [1, 0, 0, 0, -1, 0];
      const warm = cellBox(transform, 10, 10, 16);
      await Promise.all(
        Array.from({ length: Math.max(1, threads) }, () =>
          extraction.run(
            { ...request, selected_area: warm, time_range: null },
            { signal: new AbortController().signal },
          ),
        ),
      );
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      out = await extraction.run(request, { signal: new AbortController().signal });
      runs.push((performance.now() - t0) / 1000);
      const c1 = process.cpuUsage(c0);
      cpu.push((c1.user + c1.system) / 1e6);
    } finally {
      await close();
      await cogs.close();
    }
  }
  const base = out?.base_series;
  process.stdout.write(
    JSON.stringify({
      runs,
      cpu,
      bytes: runs.map(() => bytes),
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      n_cells: out?.result.n_cells,
      timesteps: base?.timesteps.length,
      mean: base?.mean,
      median: base?.median,
    }),
  );
}

await main();
