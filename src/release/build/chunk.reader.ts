/**
 * Pixels of one chunk (a run of source bands) for the COG writer's `readRows(band, row, height)`, and the
 * statistics of every band as its rows go by.
 *
 * Reads go through our COG reader (ranged reads of the source's blocks). When the writer asks strip by strip —
 * every band of a row range before the next range — one read fetches that strip of every band of the chunk, so a
 * pixel-interleaved source's blocks are decoded once per chunk; a writer that asks band by band gets one band per
 * read. The first two requests tell which pattern it is.
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

/**
 * @param sourceBands the source's 1-based band numbers of the chunk, in output order
 * @param maxStripBytes budget of one all-band strip; above it every read is one band
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
  const { width } = cog.metadata;
  const accs: BandAccumulator[] = sourceBands.map(() => newAccumulator());
  const nextRow = sourceBands.map(() => 0);
  const bytesPerSample = cog.metadata.dtype.endsWith('64')
    ? 8
    : cog.metadata.dtype.endsWith('32')
      ? 4
      : cog.metadata.dtype.endsWith('16')
        ? 2
        : 1;
  const budget = options.maxStripBytes ?? 256 * 1024 * 1024;
  let strip: { row: number; height: number; data: TypedArray; bands: number[] } | null = null;
  let last: { band: number; row: number } | null = null;
  let stripMajor = false;

  const read = async (bands: number[], row: number, height: number): Promise<TypedArray> => {
    const block = await cog.read({
      bands: bands.map((b) => sourceBands[b - 1] as number),
      window: { col: 0, row, width, height },
      cache: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return block.data;
  };

  return {
    async readRows(band, row, height) {
      if (last !== null && last.row === row && last.band !== band) stripMajor = true;
      last = { band, row };
      const size = width * height;
      let out: TypedArray;
      const cached = strip !== null && strip.row === row && strip.height === height ? strip : null;
      const at = cached ? cached.bands.indexOf(band) : -1;
      if (cached && at >= 0) out = cached.data.subarray(at * size, (at + 1) * size);
      else if (stripMajor && width * height * sourceBands.length * bytesPerSample <= budget) {
        const bands = sourceBands.map((_, i) => i + 1);
        strip = { row, height, data: await read(bands, row, height), bands };
        out = strip.data.subarray((band - 1) * size, band * size);
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
        if (nextRow[i] !== cog.metadata.height) throw new Error(`band ${i + 1} was not read completely`);
        return finish(a);
      });
    },
  };
}
