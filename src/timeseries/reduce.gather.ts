/**
 * Reduce tasks of areas with point cells outside the dense window (`ReduceTask.points`): the window is read as
 * usual and each point cell on its own (1×1), and the selected cells are gathered into one row, in the row-major
 * order of the dataset grid, so the statistics (and their summation order) are those of a window that would hold
 * them all — without ever allocating that window (points far apart would make it arbitrarily large).
 */
import pLimit from 'p-limit';
import { DTYPE_ARRAY } from '../raster/dtype.js';
import type { Cog, PixelWindow, RasterBlock, TypedArray } from '../raster/types.js';
import { createZonalReducer, type BandStatistics } from './stats.js';

/**
 * What a reduce task reads (`ReduceTask` in `reduce.ts`, which imports this module, adds the file's URL): the
 * bands, the area's window and weights, and the point cells outside the window.
 */
export interface GatherTask {
  /** 1-based bands of the file, ascending. */
  bands: number[];
  /** The area's window on the dataset grid (pixels; may reach outside the raster). */
  window: PixelWindow;
  /** Coverage weights, row-major over the window (`window.width × window.height`), in [0, 1]; 0 = not in the area. */
  weights: Float64Array;
  /** Use the weights as fractions (`fractional` coverage) instead of a 0/1 mask. */
  weighted: boolean;
  /** Bytes of samples held at once (band chunk or row strip). */
  chunkBytes: number;
  /**
   * `[col, row, …]`: cells of points outside `window` (weight 1 each), read one cell each; the window's cells and
   * these are reduced together. Absent or empty: the window alone.
   */
  points?: Float64Array;
}

/** Point cells read at once (each a small ranged read, usually from the block cache). */
const POINT_READS = 8;

/** Where each gathered cell comes from: `>= 0` an index into the window, `< 0` point `-(k + 1)`. */
function gatherOrder(task: GatherTask): { sources: Int32Array; weights: Float64Array } {
  const { window, weights } = task;
  const points = task.points ?? new Float64Array(0);
  const cells: { row: number; col: number; src: number; w: number }[] = [];
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (w > 0) {
      cells.push({ row: window.row + Math.floor(i / window.width), col: window.col + (i % window.width), src: i, w });
    }
  }
  for (let k = 0; k < points.length / 2; k++) {
    // A point weighs 1 in its cell, in every coverage mode.
    cells.push({ col: points[2 * k] as number, row: points[2 * k + 1] as number, src: -(k + 1), w: 1 });
  }
  cells.sort((a, b) => a.row - b.row || a.col - b.col);
  return { sources: Int32Array.from(cells, (c) => c.src), weights: Float64Array.from(cells, (c) => c.w) };
}

/** Statistics of `task.bands` over the window's selected cells and the point cells, in band chunks. */
export async function gatherReduce(
  task: GatherTask,
  cog: Cog,
  ctx: { signal: AbortSignal },
  collect: (s: BandStatistics) => void,
): Promise<void> {
  const { signal } = ctx;
  const { window, bands } = task;
  const points = task.points ?? new Float64Array(0);
  const { sources, weights } = gatherOrder(task);
  const n = sources.length;
  const dtype = cog.metadata.dtype;
  const Arr = DTYPE_ARRAY[dtype];
  const windowCells = window.width * window.height;
  const readWindow = sources.some((s) => s >= 0);
  const perBand = (readWindow ? windowCells : 0) + points.length / 2 + n;
  const chunk = Math.max(1, Math.floor(task.chunkBytes / (perBand * Arr.BYTES_PER_ELEMENT)));
  const reducer = createZonalReducer(weights, n, 1, { weighted: task.weighted });
  const limit = pLimit(POINT_READS);
  for (let start = 0; start < bands.length; start += chunk) {
    signal.throwIfAborted();
    const group = bands.slice(start, start + chunk);
    const dense = readWindow ? await cog.read({ bands: group, window, signal, cache: false }) : null;
    const single = await Promise.all(
      Array.from({ length: points.length / 2 }, (_, k) =>
        limit(() =>
          cog.read({
            bands: group,
            window: { col: points[2 * k] as number, row: points[2 * k + 1] as number, width: 1, height: 1 },
            signal,
          }),
        ),
      ),
    );
    const data = new Arr(group.length * n) as TypedArray;
    for (let b = 0; b < group.length; b++) {
      for (let i = 0; i < n; i++) {
        const src = sources[i] as number;
        data[b * n + i] =
          src >= 0
            ? ((dense as RasterBlock).data[b * windowCells + src] as number)
            : ((single[-src - 1] as RasterBlock).data[b] as number);
      }
    }
    collect(reducer.reduce({ dtype, width: n, height: 1, bands: group, data, nodata: cog.metadata.nodata }));
  }
}
