/**
 * Pixels of one chunk (a run of source bands) for the COG writer's `readRows(band, row, height)`, and the
 * statistics of every band as its rows go by.
 *
 * Reads go through our COG reader (ranged reads of the source's blocks). When the writer asks strip by strip —
 * every band of a row range before the next range — one read fetches that strip of a group of the chunk's bands
 * (all of them when a strip of all fits `maxStripBytes`), so a pixel-interleaved source's blocks are decoded once
 * per group, not once per band; and the next group (or the next strip's first group) is read while the writer
 * cuts and compresses this one, so reading the source and encoding overlap. A writer that asks band by band gets
 * one band per read. The first two requests tell which pattern it is.
 *
 * Speed is why this is hand-written: with one band per read, a 100-band chunk of a pixel-interleaved source
 * inflated every source block 100 times (the release build of a 400-band cube did not finish in 34 minutes).
 */
import type { Cog, TypedArray } from '../../raster/types.js';
import type { BandAccumulator, BandStatistics } from './band.stats.js';
import { accumulate, finish, newAccumulator } from './band.stats.js';
import type { SampleEncoding } from './narrow.js';
import { describeViolation, narrowSamples } from './narrow.js';

/** A valid source value an approved narrowing cannot carry (the build refuses with COG-016). */
export class NarrowingError extends Error {
  constructor(
    message: string,
    /** 1-based band of the chunk. */
    readonly band: number,
  ) {
    super(message);
    this.name = 'NarrowingError';
  }
}

export interface ChunkReader {
  readRows(band: number, row: number, height: number): Promise<TypedArray>;
  /** Statistics of each chunk band (index 0 = band 1), once every row of it was read. */
  statistics(): BandStatistics[];
}

/** A strip of a group of chunk bands (1-based chunk band numbers `first..first+count-1`), read or being read. */
interface Strip {
  row: number;
  height: number;
  first: number;
  count: number;
  data: Promise<TypedArray>;
}

/**
 * @param sourceBands the source's 1-based band numbers of the chunk, in output order
 * @param maxStripBytes budget of one strip read (two are held at once: the one in use and the next); a strip of
 *   all the chunk's bands above it is read in groups of bands that fit
 */
export function createChunkReader(
  cog: Cog,
  sourceBands: readonly number[],
  options: {
    /** Nodata of the samples handed to the writer (the output's; after a narrowing, the new one). */
    nodata: number | null;
    maxStripBytes?: number;
    signal?: AbortSignal;
    /** An approved narrowing: every sample read is converted (and scanned) from the source's encoding to this. */
    narrow?: { from: SampleEncoding; to: SampleEncoding };
  },
): ChunkReader {
  const { width, height: rasterHeight } = cog.metadata;
  const n = sourceBands.length;
  const accs: BandAccumulator[] = sourceBands.map(() => newAccumulator());
  const nextRow = sourceBands.map(() => 0);
  const bytesPerSample = cog.metadata.dtype.endsWith('64')
    ? 8
    : cog.metadata.dtype.endsWith('32')
      ? 4
      : cog.metadata.dtype.endsWith('16')
        ? 2
        : 1;
  const budget = options.maxStripBytes ?? 384 * 1024 * 1024;
  let current: Strip | null = null;
  let next: Strip | null = null;
  let last: { band: number; row: number } | null = null;
  let stripMajor = false;

  const read = (bands: number[], row: number, height: number): Promise<TypedArray> => {
    return cog
      .read({
        bands: bands.map((b) => sourceBands[b - 1] as number),
        window: { col: 0, row, width, height },
        ...(options.signal ? { signal: options.signal } : {}),
      })
      .then((block) => block.data);
  };
  const groupOf = (height: number): number =>
    Math.max(1, Math.min(n, Math.floor(budget / (width * height * bytesPerSample))));
  const strip = (row: number, height: number, first: number): Strip => {
    const count = Math.min(groupOf(height), n - first + 1);
    const s: Strip = {
      row,
      height,
      first,
      count,
      data: read(
        Array.from({ length: count }, (_, i) => first + i),
        row,
        height,
      ),
    };
    s.data.catch(() => undefined); // a prefetched strip may never be awaited when the write fails
    return s;
  };
  const covers = (s: Strip | null, band: number, row: number, height: number): s is Strip =>
    s !== null && s.row === row && s.height === height && band >= s.first && band < s.first + s.count;

  return {
    async readRows(band, row, height) {
      if (last !== null && last.row === row && last.band !== band) stripMajor = true;
      last = { band, row };
      const size = width * height;
      let out: TypedArray;
      if (covers(current, band, row, height)) {
        out = (await current.data).subarray((band - current.first) * size, (band - current.first + 1) * size);
      } else if (stripMajor) {
        current = covers(next, band, row, height) ? next : strip(row, height, band);
        // The group after this one: the rest of this strip's bands, else the next strip (same height, clipped).
        const after = current.first + current.count;
        if (after <= n) next = strip(row, height, after);
        else if (row + height < rasterHeight)
          next = strip(row + height, Math.min(height, rasterHeight - row - height), 1);
        else next = null;
        const data = await current.data;
        out = data.subarray((band - current.first) * size, (band - current.first + 1) * size);
      } else out = await read([band], row, height);
      if (options.narrow) {
        const r = narrowSamples(out, options.narrow.from, options.narrow.to);
        if (r.violation !== null) {
          const badRow = row + Math.floor(r.violation.index / width);
          throw new NarrowingError(
            `the approved narrowing to ${options.narrow.to.dtype} cannot hold band ${band} row ${badRow}: ${describeViolation(r.violation, options.narrow.to)}`,
            band,
          );
        }
        out = r.data;
      }
      if (nextRow[band - 1] === row) {
        accumulate(accs[band - 1] as BandAccumulator, out, options.nodata);
        nextRow[band - 1] = row + height;
      }
      return out;
    },
    statistics() {
      return accs.map((a, i) => {
        if (nextRow[i] !== rasterHeight) throw new Error(`band ${i + 1} was not read completely`);
        return finish(a);
      });
    },
  };
}
