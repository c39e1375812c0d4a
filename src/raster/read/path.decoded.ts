/**
 * The 'decoded' read path (and, with a `DecodeSchedule` as its decoder, the 'pool' path): each block is fetched and
 * decoded into a buffer of its own (a `Block`, whose rows are finished the first time a window needs them), kept in
 * the block cache when the reader has one and the read allows it. Blocks are started in one turn (the byte source
 * can merge adjacent ranges) and handed on in the order they arrive. Also loads a level's mask blocks.
 */
import type { LimitFunction } from 'p-limit';

import { abortError, raceAbort } from '../../errors.js';
import { Block } from '../block.js';
import { blockCacheKey, type BlockCache } from '../block.cache.js';
import { decodedBytes } from '../decode.js';
import { DTYPE_ARRAY } from '../dtype.js';
import type { IfdLayout } from '../ifd.js';
import type { DType } from '../types.js';
import type { Clip } from '../window.js';
import type { BlockDecoder, DecodedBytes } from './decoder.js';
import { rasterInvalid, StoredBlocks } from './stored.js';
import { visitBlocks, type BlockWalk } from './walk.js';

/** What the 'decoded' path needs of the reader, fixed for the reader's life. */
export interface DecodedBlocksOptions {
  stored: StoredBlocks;
  /** Samples are viewed as this dtype. */
  dtype: DType;
  /** The file's version (ETag or mtime-size), part of the block cache keys. */
  version: string | undefined;
  /** The process's block cache, when the reader has one. */
  cache: BlockCache | undefined;
}

/** How one read decodes. */
export interface DecodeRun {
  decoder: BlockDecoder;
  signal: AbortSignal | undefined;
  /** Keep decoded blocks in the block cache (when the reader has one). */
  cached: boolean;
}

/** One mask block of a level: its packed bits (null for a sparse block: every cell masked) and where it is. */
export interface MaskBlock {
  bits: Uint8Array | null;
  bx: number;
  by: number;
}

/** Blocks decoded into buffers of their own. */
export class DecodedBlocks {
  constructor(private readonly options: DecodedBlocksOptions) {}

  /**
   * Hands every block of `walk` to its sink (rows always as values), fetching through `fetches`.
   * @throws AppError `raster_invalid` (index unreadable, block past the end of the file, truncated or corrupt) |
   *   `aborted` | source errors
   */
  walk(walk: BlockWalk, run: DecodeRun, fetches: LimitFunction): Promise<void> {
    const { layout, sink } = walk;
    return visitBlocks(walk, fetches, async (plane, bx, by, clip) => {
      const x0 = bx * layout.blockWidth;
      const y0 = by * layout.blockHeight;
      const decoded = await this.block(run, layout, plane, bx, by, [clip.r0 - y0, clip.r1 - y0]);
      decoded?.prepare(clip.r0 - y0, clip.r1 - y0);
      sink(plane, decoded ? decoded.data : null, x0, y0, clip, 'values');
    });
  }

  /** The blocks of the 1-bit `mask` IFD that `area` touches, fetched through `fetches`. */
  masks(mask: IfdLayout, area: Clip, run: DecodeRun, fetches: LimitFunction): Promise<MaskBlock[]> {
    const jobs: Promise<MaskBlock>[] = [];
    for (let by = Math.floor(area.r0 / mask.blockHeight); by * mask.blockHeight < area.r1; by++) {
      for (let bx = Math.floor(area.c0 / mask.blockWidth); bx * mask.blockWidth < area.c1; bx++) {
        jobs.push(
          fetches(async () => ({
            bits: ((await this.block(run, mask, 0, bx, by))?.data as Uint8Array) ?? null,
            bx,
            by,
          })),
        );
      }
    }
    return Promise.all(jobs);
  }

  /**
   * One decoded block (samples of the file's dtype, or packed bits for masks; rows finished on demand), or null
   * for a sparse block (offset or byte count 0: GDAL reads it as nodata, else 0). `rows`: the rows [first, end) the
   * read needs (default all).
   */
  private async block(
    run: DecodeRun,
    layout: IfdLayout,
    plane: number,
    bx: number,
    by: number,
    rows?: [number, number],
  ): Promise<Block | null> {
    const { signal } = run;
    const { stored, dtype, version, cache } = this.options;
    const needRows = rows?.[1];
    const n = StoredBlocks.number(layout, plane, bx, by);
    const index = await stored.index(layout, signal);
    const offset = index.offsets[n] ?? 0;
    const count = index.counts[n] ?? 0;
    if (offset === 0 || count === 0) return null;
    const coding = stored.coding(layout, by);
    // Decode only the top of the block when the window ends in its upper part (most of the block unneeded); when
    // most rows are needed, decode it all so later reads of the same block find it whole in the cache.
    const partial = needRows !== undefined && needRows <= coding.rows * 0.75 ? needRows : coding.rows;
    const load = async (s?: AbortSignal): Promise<Block> => {
      const raw = await stored.fetch(layout, n, offset, count, s);
      let decoded: DecodedBytes;
      try {
        decoded = await run.decoder.decode(raw, coding, partial, rows ?? [0, coding.rows]);
      } catch (err) {
        if (s?.aborted) throw abortError(s);
        throw rasterInvalid(stored.url, `block ${n} of IFD ${layout.ifd} cannot be decoded`, err);
      }
      const { bytes, finished } = decoded;
      if (layout.bitsPerSample === 1) return new Block(bytes, bytes, coding);
      const Ctor = DTYPE_ARRAY[dtype];
      const data = new Ctor(
        bytes.buffer as ArrayBuffer,
        bytes.byteOffset,
        bytes.byteLength / (layout.bitsPerSample >> 3),
      );
      return new Block(bytes, data, coding, finished);
    };
    if (!cache || !run.cached) return load(signal);
    // Shared loads ignore the caller's signal (another reader may be waiting on them); this caller stops waiting.
    const key = blockCacheKey(stored.url, version, layout.ifd, n);
    const need = needRows ?? coding.rows;
    const shared = cache.getOrLoad(
      key,
      decodedBytes(coding),
      () => load(),
      (b) => b.rows >= need,
    );
    return raceAbort(shared, signal);
  }
}
