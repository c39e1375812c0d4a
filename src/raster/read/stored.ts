/**
 * The stored blocks of one open file: each IFD's block index (offsets and byte counts, loaded once), how its blocks
 * are coded, and their stored bytes. Every read path gets its blocks through here.
 */
import { TiffTag } from '@cogeotiff/core';

import { AppError, abortError, isAppError } from '../../errors.js';
import type { ByteSource } from '../../storage/source.js';
import type { BlockCoding } from '../decode.js';
import type { IfdLayout } from '../ifd.js';

/** Block offsets and byte counts of one IFD, in block order (`StoredBlocks.number`). Offset or count 0: sparse. */
export interface BlockIndex {
  offsets: ArrayLike<number>;
  counts: ArrayLike<number>;
}

/** Options of {@link StoredBlocks}. */
export interface StoredBlocksOptions {
  source: ByteSource;
  /** File size in bytes (blocks reaching past it are refused). */
  size: number;
  /** Byte order of the file. */
  littleEndian: boolean;
  /**
   * Index loads are shared by every caller (the reader keeps a block cache): a load then ignores the signal of the
   * caller that started it, since another read may be waiting on it too.
   */
  sharedLoads: boolean;
  /** The file's first bytes as the header read fetched them: blocks (or their heads) stored there are not read again. */
  prefix?: Uint8Array;
}

/** Wraps anything that is not already an AppError as `raster_invalid`, naming the file. */
export function rasterInvalid(url: string, what: string, err: unknown): AppError {
  if (isAppError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new AppError('raster_invalid', `${url}: ${what}: ${msg}`, { cause: err });
}

/** The blocks of one file, as stored. */
export class StoredBlocks {
  readonly source: ByteSource;
  /** The file's URL, for error messages. */
  readonly url: string;
  readonly size: number;
  private readonly littleEndian: boolean;
  private readonly sharedLoads: boolean;
  private readonly prefix: Uint8Array;
  private readonly indexes = new Map<number, Promise<BlockIndex>>();

  constructor(options: StoredBlocksOptions) {
    this.source = options.source;
    this.url = options.source.url.href;
    this.size = options.size;
    this.littleEndian = options.littleEndian;
    this.sharedLoads = options.sharedLoads;
    this.prefix = options.prefix ?? new Uint8Array(0);
  }

  /** Index of block (`bx`, `by`) of `plane` in the IFD's block list. */
  static number(layout: IfdLayout, plane: number, bx: number, by: number): number {
    return plane * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx;
  }

  /** How the blocks of block row `by` of `layout` are coded (a strip image's last strip may be shorter). */
  coding(layout: IfdLayout, by: number): BlockCoding {
    return {
      compression: layout.compression,
      predictor: layout.predictor,
      bitsPerSample: layout.bitsPerSample,
      samples: layout.blockSamples,
      width: layout.blockWidth,
      rows: layout.tiled ? layout.blockHeight : Math.min(layout.blockHeight, layout.height - by * layout.blockHeight),
      littleEndian: this.littleEndian,
    };
  }

  /**
   * Starts loading the block index of `layout` (with the caller's signal) and waits for it, so the blocks of a read
   * are all requested in one turn; a failure is left for {@link StoredBlocks.index} to report by name.
   */
  async prefetch(layout: IfdLayout, signal: AbortSignal | undefined): Promise<void> {
    await this.load(layout, signal).catch(() => undefined);
  }

  /**
   * The block index of `layout`. With shared loads the load ignores `signal` (this caller still stops on it).
   * @throws AppError `raster_invalid` | `aborted`
   */
  async index(layout: IfdLayout, signal: AbortSignal | undefined): Promise<BlockIndex> {
    try {
      return await this.load(layout, this.sharedLoads ? undefined : signal);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw rasterInvalid(this.url, `cannot read the block index of IFD ${layout.ifd}`, err);
    }
  }

  /**
   * The stored bytes of one block, or null for a sparse block (offset or byte count 0). `keep` false: the block is
   * read once, so the source's byte cache does not keep it (`FetchOptions.cache`).
   * @throws AppError `raster_invalid` (index unreadable, block past the end of the file or truncated) | source errors.
   */
  async fetchBlock(
    layout: IfdLayout,
    plane: number,
    bx: number,
    by: number,
    signal: AbortSignal | undefined,
    keep = true,
  ): Promise<Uint8Array | null> {
    const n = StoredBlocks.number(layout, plane, bx, by);
    const index = await this.index(layout, signal);
    const offset = index.offsets[n] ?? 0;
    const count = index.counts[n] ?? 0;
    if (offset === 0 || count === 0) return null;
    return this.fetch(layout, n, offset, count, signal, keep);
  }

  /**
   * The `count` stored bytes of block `n` of `layout` at `offset`.
   * @throws AppError `raster_invalid` (past the end of the file, truncated) | source errors.
   */
  async fetch(
    layout: IfdLayout,
    n: number,
    offset: number,
    count: number,
    signal: AbortSignal | undefined,
    keep = true,
  ): Promise<Uint8Array> {
    this.checkInside(layout, n, offset, count);
    // Small files keep blocks inside the header bytes already read: never read a byte twice.
    const known = this.prefix.length;
    if (offset + count <= known) return this.prefix.slice(offset, offset + count);
    const from = Math.max(offset, known);
    const options = { ...(signal ? { signal } : {}), ...(keep ? {} : { cache: false }) };
    const source = this.source;
    // A block read once may be a view into the merged request it came with (no copy per block).
    const bytes =
      !keep && source.fetchBytes
        ? await source.fetchBytes(from, offset + count - from, options)
        : new Uint8Array(await source.fetch(from, offset + count - from, options));
    if (bytes.byteLength < offset + count - from) throw this.truncated(layout, n);
    if (from === offset) return bytes;
    const out = new Uint8Array(count);
    out.set(this.prefix.subarray(offset, known));
    out.set(bytes, known - offset);
    return out;
  }

  /**
   * Hands back the bytes of a block read with `keep` false once they have been decoded (`ByteSource.release`: the
   * source may reuse their memory). Never read `bytes` afterwards.
   */
  release(bytes: Uint8Array): void {
    this.source.release?.(bytes);
  }

  /** @throws AppError `raster_invalid` when block `n` of `layout` (at `offset`, `count` bytes) ends past the file. */
  checkInside(layout: IfdLayout, n: number, offset: number, count: number): void {
    if (offset + count > this.size) {
      throw new AppError(
        'raster_invalid',
        `${this.url}: block ${n} of IFD ${layout.ifd} extends past the end of the file.`,
      );
    }
  }

  /** The error for a block of which fewer bytes could be read than stored. */
  truncated(layout: IfdLayout, n: number): AppError {
    return new AppError('raster_invalid', `${this.url}: block ${n} of IFD ${layout.ifd} is truncated.`);
  }

  /** Block offsets and byte counts of one IFD (fetched once, on first use; a failed load is retried next time). */
  private load(layout: IfdLayout, signal: AbortSignal | undefined): Promise<BlockIndex> {
    let p = this.indexes.get(layout.ifd);
    if (!p) {
      const img = layout.image;
      const opts = signal ? { signal } : undefined;
      p = Promise.all(
        layout.tiled
          ? [img.fetch(TiffTag.TileOffsets, opts), img.fetch(TiffTag.TileByteCounts, opts)]
          : [img.fetch(TiffTag.StripOffsets, opts), img.fetch(TiffTag.StripByteCounts, opts)],
      ).then(([offsets, counts]) => {
        if (!offsets || !counts) throw new Error(`IFD ${layout.ifd} has no block offsets`);
        return { offsets, counts };
      });
      p.catch(() => this.indexes.delete(layout.ifd));
      this.indexes.set(layout.ifd, p);
    }
    return p;
  }
}
