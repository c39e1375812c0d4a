/**
 * The unit of extraction work: some bands of one COG, read over the area's pixel window and reduced to per-band
 * mean and median. A task is plain data (structured-clone safe; the weights may live in a SharedArrayBuffer), so
 * the same task runs on the calling thread or on a worker thread (`extract.worker.ts`), which is how one
 * extraction spreads over every core.
 */
import { DTYPE_ARRAY } from '../raster/dtype.js';
import type { CogHeader } from '../raster/header.js';
import type { Cog } from '../raster/types.js';
import type { FetchOptions } from '../storage/source.js';
import { createZonalReducer, type BandStatistics, type ZonalReducer } from './stats.js';
import { cellRuns, createStripAccumulator, supportsStrips, type CellRuns } from './stats.strips.js';
import { gatherReduce, type GatherTask } from './reduce.gather.js';

/** One file's share of an extraction: what {@link GatherTask} describes, in the COG at `url`. */
export interface ReduceTask extends GatherTask {
  /** Absolute URL of the COG. */
  url: string;
  /** The COG's header as the coordinating thread read it: a worker thread opens the file without a request. */
  header?: CogHeader;
  /** The runs of `weights`' in-area cells, when the extraction computed them once for all its tasks. */
  runs?: CellRuns;
}

/** Opens a COG by URL (the `CogStore`'s `openCog`). */
export type OpenCogByUrl = (url: string, o?: FetchOptions & { header?: CogHeader }) => Promise<Cog>;

/** What a task needs to run and report. */
export interface ReduceContext {
  signal: AbortSignal;
  /** Bands of the task finished so far (in task order, so `bands[0 … done)`), after each chunk. */
  onProgress?(done: number): void;
}

/** Runs reduce tasks (here, or on worker threads). */
export interface ReduceRunner {
  /** Tasks worth running at once (the threads behind the runner). */
  readonly parallelism: number;
  /** Statistics of `task.bands`, in task order. */
  reduce(task: ReduceTask, ctx: ReduceContext): Promise<BandStatistics>;
}

/** Bands reduced together in strip mode (their histograms take 256 KiB each). */
const MAX_STRIP_BANDS = 128;

/**
 * Runs one task on this thread.
 * - 8/16-bit data, unweighted coverage → the blocks of all bands of a group (≤ 128) are scanned straight into
 *   per-band 65 536-bin histograms (`Cog.scan`: no window array, rows of deltas summed in the counting loop;
 *   a pixel-interleaved block, which holds every band, is decoded once), in row strips aligned to the file's block
 *   rows so reads that must assemble a window (files with masks) stay within `chunkBytes`. Measured on 1898 bands:
 *   ~11 % faster than the window path at 10 000 cells, equal down to one cell (the inflate dominates there).
 * - Else (float data, `fractional` weights) → band chunks over the whole window (≤ `chunkBytes` each), each reduced
 *   with {@link createZonalReducer} (quickselect medians, weighted statistics).
 * @throws what the COG reader throws (source, raster and abort errors).
 */
export async function reduceTask(task: ReduceTask, openCog: OpenCogByUrl, ctx: ReduceContext): Promise<BandStatistics> {
  const { signal } = ctx;
  const { window, weights, bands } = task;
  const cog = await openCog(task.url, { signal, ...(task.header ? { header: task.header } : {}) });
  const dtype = cog.metadata.dtype;
  const bytes = DTYPE_ARRAY[dtype].BYTES_PER_ELEMENT;
  const cells = window.width * window.height;
  const out: BandStatistics = { mean: [], median: [] };
  const collect = (s: BandStatistics): void => {
    out.mean.push(...s.mean);
    out.median.push(...s.median);
    ctx.onProgress?.(out.mean.length);
  };

  if (task.points !== undefined && task.points.length > 0) {
    await gatherReduce(task, cog, ctx, collect);
    return out;
  }

  if (!task.weighted && supportsStrips(dtype)) {
    const blockHeight = cog.metadata.levels[0]?.blockHeight ?? 256;
    const { nodata } = cog.metadata;
    const cells = task.runs ?? cellRuns(weights, window.width, window.height);
    for (let start = 0; start < bands.length; start += MAX_STRIP_BANDS) {
      const group = bands.slice(start, start + MAX_STRIP_BANDS);
      const acc = createStripAccumulator(cells, window.width, window.height, group.length, dtype, nodata);
      // Strips bound memory where a read is still needed (files with masks); without one, blocks go straight from
      // the decoder into the histograms.
      const blockRows = Math.max(1, Math.floor(task.chunkBytes / (window.width * blockHeight * group.length * bytes)));
      // Without a mask, one scan: strips would cut the reads of one plane into pieces that remote range merging
      // could read through (a plane of tiny nodata blocks fits in one merge gap), reading bytes twice.
      const stripRows = cog.metadata.hasMask ? blockRows * blockHeight : Number.MAX_SAFE_INTEGER;
      for (let r = 0; r < window.height;) {
        signal.throwIfAborted();
        const row = window.row + r;
        const end = Math.min(window.height, Math.floor(row / stripRows) * stripRows + stripRows - window.row);
        await cog.scan(
          {
            bands: group,
            window: { col: window.col, row, width: window.width, height: end - r },
            signal,
            cache: false,
            acceptDeltas: true,
          },
          (band, samples, span) => acc.addSpan(band, samples, span, window.col, window.row),
        );
        r = end;
      }
      collect(acc.finish());
    }
    return out;
  }

  const chunk = Math.max(1, Math.floor(task.chunkBytes / (cells * bytes)));
  let reducer: ZonalReducer | null = null;
  for (let start = 0; start < bands.length; start += chunk) {
    signal.throwIfAborted();
    const block = await cog.read({ bands: bands.slice(start, start + chunk), window, signal, cache: false });
    reducer ??= createZonalReducer(weights, window.width, window.height, { weighted: task.weighted });
    collect(reducer.reduce(block));
  }
  return out;
}

/** A runner that reduces on the calling thread, `concurrency` files at a time (reads still overlap I/O). */
export function localReduceRunner(openCog: OpenCogByUrl, concurrency = 2): ReduceRunner {
  return {
    parallelism: Math.max(1, concurrency),
    reduce: (task, ctx) => reduceTask(task, openCog, ctx),
  };
}

/** `a` in shared memory (copied once unless it already is), so posting it to worker threads shares it. */
export function shareable(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const shared = new Float64Array(new SharedArrayBuffer(a.byteLength));
  shared.set(a);
  return shared;
}
