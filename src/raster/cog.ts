/**
 * The COG reader: `openCog(source)` parses the TIFF structure once (via @cogeotiff/core) and returns a `Cog`
 * whose `read()` fetches and decodes only the blocks a window touches, concurrently, and assembles them into a
 * band-sequential array of the native dtype.
 */
import { DTYPE_ARRAY } from './dtype.js';
import { Tiff, TiffTag } from '@cogeotiff/core';
import pLimit from 'p-limit';
import type { LimitFunction } from 'p-limit';

import { AppError, abortError, isAppError } from '../errors.js';
import type { ByteSource } from '../storage/source.js';
import { blockCacheKey } from './block.cache.js';
import type { BlockCache } from './block.cache.js';
import { createZstdDecoder } from './codecs/zstd.js';
import type { ZstdDecode } from './codecs/zstd.js';
import { Block } from './block.js';
import { decodedBytes, finishRows, inflateBlock, rowBytes } from './decode.js';
import { createInflater, type Inflater } from './codecs/inflate.into.js';
import type { BlockCoding } from './decode.js';
import type { DecodePool } from './decode.pool.js';
import { DecodeSchedule, poolable } from './decode.schedule.js';
import { SYNC_MAX_BYTES } from './codecs/deflate.js';
import { HEADER_BYTES, readHeader } from './header.js';
import { parseTiff } from './ifd.js';
import type { IfdLayout, LevelLayout } from './ifd.js';
import type { BlockVisitor, Cog, RasterBlock, RasterMetadata, ReadOptions, ScanOptions, TypedArray } from './types.js';
import { applyMask, copyBand, copyPixelInterleaved, type Clip } from './window.js';

/** Options of `openCog`. */
export interface OpenCogOptions {
  /** Shared cache of decoded blocks (one per process); without it every read decodes its blocks afresh. */
  blockCache?: BlockCache;
  /** Aborts reading the header. */
  signal?: AbortSignal;
  /** Blocks decoded at once per read (default 6); up to 64 block fetches per read are in flight. */
  concurrency?: number;
  /**
   * Worker threads for reads of many small blocks (≥ `decodePool.minBlocks`): those blocks are decoded partly on
   * the calling thread, partly on the pool. Without it, blocks ≤ 256 KiB always inflate on the calling thread.
   */
  decodePool?: DecodePool;
}

/** Wraps anything that is not already an AppError as `raster_invalid`, naming the file. */
function invalid(url: string, what: string, err: unknown): AppError {
  if (isAppError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new AppError('raster_invalid', `${url}: ${what}: ${msg}`, { cause: err });
}

/**
 * Opens a (Cloud-Optimized) GeoTIFF: reads the header and IFDs (a few KB for a COG) and returns its metadata and
 * a reader. Blocks are fetched only by `read()`.
 * @throws AppError `raster_invalid` (not a TIFF, truncated or corrupt header) | `raster_unsupported` | source errors
 */
export async function openCog(source: ByteSource, options: OpenCogOptions = {}): Promise<Cog> {
  const url = source.url.href;
  const { signal, blockCache } = options;
  if (signal?.aborted) throw abortError(signal);
  const head = await source.head(signal ? { signal } : undefined);
  source.metadata = { ...source.metadata, ...head };
  const size = head.size;
  const version = head.etag;
  if (size < 8) throw new AppError('raster_invalid', `${url}: not a TIFF file (${size} bytes).`);

  let tiff: Tiff;
  let parsed: Awaited<ReturnType<typeof parseTiff>>;
  try {
    const header = await readHeader(source, size, version, signal ? { signal } : undefined);
    tiff = await Tiff.create(header, { defaultReadSize: HEADER_BYTES, ...(signal ? { signal } : {}) });
    parsed = await parseTiff(tiff, url, signal);
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw invalid(url, 'cannot read the TIFF structure', err);
  }
  const zstd: ZstdDecode | null = parsed.metadata.compression === 'zstd' ? await createZstdDecoder() : null;
  const metadata: RasterMetadata = { ...parsed.metadata, url, version: version ?? null };
  const reader = new CogReader(
    source,
    metadata,
    parsed.levels,
    parsed.littleEndian,
    zstd,
    size,
    version,
    blockCache,
    options.concurrency ?? 6,
    options.decodePool,
  );
  return reader;
}

/** Receives each decoded block of `eachBlock` (`differences`: rows hold predictor-2 differences, not values). */
type BlockSink = (
  plane: number,
  block: TypedArray | null,
  x0: number,
  y0: number,
  clip: Clip,
  differences: boolean,
) => void;

/** Samples one read may return (a typed array's practical limit; 2 GiB of uint8, 16 GiB of float64). */
const MAX_READ_SAMPLES = 2 ** 31 - 1;

/** Largest single read of consecutive blocks on the synchronous path. */
const MERGED_READ_BYTES = 1024 * 1024;

/** Blocks stored in fewer bytes are read whole even when only their top rows are needed. */
const PREFIX_MIN_BYTES = 8 * 1024;

/**
 * Stored bytes worth reading first of a `count`-byte DEFLATE block when only its first `rows` of the `height` rows
 * that hold data are needed: the rows' share of the bytes, with a margin for rows that compress worse than the
 * block's average (a shortfall costs one more read, of the rest). `count` when that is most of the block anyway.
 */
export function prefixBytes(count: number, rows: number, height: number): number {
  if (rows >= height || count < PREFIX_MIN_BYTES) return count;
  const want = Math.ceil(count * ((1.25 * rows) / height + 0.02)) + 512;
  return want < 0.85 * count ? want : count;
}

/** Blocks whose fetch may be in flight at once per read (bounds the compressed bytes held). */
const FETCHES_IN_FLIGHT = 64;

/**
 * Scratch of the direct decode path — the stored bytes of one block (synchronous reads), its decoded bytes and the
 * zlib stream — shared by every reader on this thread. Decoding a block and handing it to the caller's copy or
 * visitor is one synchronous step, so one set serves all reads; it grows to the largest block seen (a 100-band
 * pixel-interleaved 256² block is 13 MB) and is not given back, so large blocks do not fault fresh pages every read.
 */
const SCRATCH: { raw: Uint8Array | null; decoded: Uint8Array | null; inflater: Inflater | null } = {
  raw: null,
  decoded: null,
  inflater: null,
};

/** Block offsets and byte counts of one IFD, loaded on first use. */
interface BlockIndex {
  offsets: ArrayLike<number>;
  counts: ArrayLike<number>;
}

class CogReader implements Cog {
  private readonly indexes = new Map<number, Promise<BlockIndex>>();

  constructor(
    private readonly source: ByteSource,
    readonly metadata: RasterMetadata,
    private readonly levels: LevelLayout[],
    private readonly littleEndian: boolean,
    private readonly zstd: ZstdDecode | null,
    private readonly size: number,
    private readonly version: string | undefined,
    private readonly cache: BlockCache | undefined,
    private readonly concurrency: number,
    private readonly pool: DecodePool | undefined,
  ) {}

  async close(): Promise<void> {
    await this.source.close?.();
  }

  /** Checks a read's level, bands and window. @throws AppError `invalid_request` | `band_out_of_range` | `aborted` */
  private check(options: ReadOptions): LevelLayout {
    const { metadata: meta } = this;
    const { window, bands, signal } = options;
    const levelNo = options.level ?? 0;
    const level = this.levels[levelNo];
    if (!Number.isInteger(levelNo) || level === undefined) {
      throw new AppError(
        'invalid_request',
        `${meta.url}: level ${levelNo} does not exist (0..${this.levels.length - 1}).`,
      );
    }
    for (const b of bands) {
      if (!Number.isInteger(b) || b < 1 || b > meta.bands) {
        throw new AppError('band_out_of_range', `Band ${b} is out of range: ${meta.url} has bands 1..${meta.bands}.`);
      }
    }
    const { col, row, width, height } = window;
    if (![col, row, width, height].every(Number.isSafeInteger) || width < 0 || height < 0) {
      throw new AppError('invalid_request', `Invalid pixel window ${JSON.stringify(window)}.`);
    }
    if (signal?.aborted) throw abortError(signal);
    return level;
  }

  async read(options: ReadOptions): Promise<RasterBlock> {
    const { metadata: meta } = this;
    const { window, bands } = options;
    const level = this.check(options);
    const { width, height } = window;
    const fill = options.fill ?? meta.nodata ?? 0;
    const cells = width * height;
    if (cells * bands.length > MAX_READ_SAMPLES) {
      throw new AppError(
        'invalid_request',
        `A ${width}×${height} window of ${bands.length} bands is too large to read at once (${meta.url}).`,
      );
    }
    let out: TypedArray;
    try {
      out = new DTYPE_ARRAY[meta.dtype](cells * bands.length);
    } catch (err) {
      throw new AppError('invalid_request', `Not enough memory for a ${width}×${height}×${bands.length} read.`, {
        cause: err,
      });
    }
    if (fill !== 0) out.fill(fill);
    const result: RasterBlock = { dtype: meta.dtype, width, height, bands: [...bands], data: out, nodata: meta.nodata };
    const data = level.data;
    const sparseFill = meta.nodata ?? 0;
    await this.eachBlock(
      options,
      level,
      (plane, block, x0, y0, clip) => {
        if (data.planar === 2) {
          bands.forEach((b, i) => {
            if (b - 1 === plane) copyBand(out, i, window, block, sparseFill, data.blockWidth, x0, y0, clip);
          });
        } else {
          copyPixelInterleaved(out, bands, window, block, sparseFill, data.blockWidth, data.blockSamples, x0, y0, clip);
        }
      },
      out,
      fill,
    );
    return result;
  }

  async scan(options: ScanOptions, visit: BlockVisitor): Promise<void> {
    const { metadata: meta } = this;
    const { window, bands } = options;
    const level = this.check(options);
    const data = level.data;
    const inside = {
      c0: Math.max(window.col, 0),
      c1: Math.min(window.col + window.width, data.width),
      r0: Math.max(window.row, 0),
      r1: Math.min(window.row + window.height, data.height),
    };
    if (inside.c0 >= inside.c1 || inside.r0 >= inside.r1 || bands.length === 0) return;
    if (level.mask) {
      // Masked cells must read as `fill`: read the window (masks applied), then visit it as one block per band.
      const block = await this.read(options);
      const plane = window.width * window.height;
      bands.forEach((_b, i) =>
        visit(i, block.data, {
          x0: window.col,
          y0: window.row,
          rowStride: window.width,
          step: 1,
          offset: i * plane,
          clip: inside,
          differences: false,
        }),
      );
      return;
    }
    const sparse = meta.nodata ?? 0;
    let sparseBlock: TypedArray | null = null;
    await this.eachBlock(
      options,
      level,
      (plane, block, x0, y0, clip, differences) => {
        let samples = block;
        let rowStride = data.blockWidth * data.blockSamples;
        let step = data.blockSamples;
        if (samples === null) {
          // A sparse block reads as nodata (else 0), as GDAL does: visit one row of it with a zero row stride.
          if (sparseBlock === null || sparseBlock.length < data.blockWidth) {
            sparseBlock = new DTYPE_ARRAY[meta.dtype](data.blockWidth).fill(sparse);
          }
          samples = sparseBlock;
          rowStride = 0;
          step = 1;
        }
        bands.forEach((b, i) => {
          if (data.planar === 2 && b - 1 !== plane) return;
          const offset = data.planar === 2 || block === null ? 0 : b - 1;
          visit(i, samples, { x0, y0, rowStride, step, offset, clip, differences });
        });
      },
      undefined,
      0,
      options.differences === true,
    );
  }

  /**
   * Fetches and decodes every block of `options.window` (clipped to the raster) for the planes of `options.bands`,
   * calling `onBlock` with each block's samples (null for a sparse block) right after it is decoded — with no await in
   * between, so scratch-decoded samples are valid for the duration of the call only. With `out`, the level's mask
   * (if any) is applied to it afterwards with `fill`.
   */
  private async eachBlock(
    options: ReadOptions,
    level: LevelLayout,
    onBlock: BlockSink,
    out?: TypedArray,
    fill = 0,
    differences = false,
  ): Promise<void> {
    const { window, bands, signal } = options;
    const { col, row, width, height } = window;
    const data = level.data;
    const c0 = Math.max(col, 0);
    const r0 = Math.max(row, 0);
    const c1 = Math.min(col + width, data.width);
    const r1 = Math.min(row + height, data.height);
    if (c0 >= c1 || r0 >= r1 || bands.length === 0) return;

    // Fetches of many blocks start in the same turn (the byte sources merge adjacent ranges into one request);
    // decoding is bounded separately so at most `concurrency` large blocks are inflating at once.
    const limit = pLimit(FETCHES_IN_FLIGHT);
    const decodeLimit = pLimit(this.concurrency);
    const tasks: Promise<void>[] = [];
    await this.index(level.data, signal).catch(() => undefined); // errors surface (named) from block() below
    if (level.mask && out) await this.index(level.mask, signal).catch(() => undefined);
    const planes = data.planar === 2 ? [...new Set(bands.map((b) => b - 1))] : [0];
    const schedule = this.schedule(data, planes.length, { c0, c1, r0, r1 }, signal);
    const direct = schedule === null && (options.cache === false || !this.cache) && this.inflatesDirect(data);
    // Scan visitors that can sum predictor-2 differences themselves get the rows as stored (one pass less).
    const keep = direct && differences && this.keepsDifferences(data);
    if (direct && this.source.readSync && !(level.mask && out)) {
      await this.eachBlockSync(data, planes, { c0, c1, r0, r1 }, onBlock, signal, keep);
      return;
    }
    for (let by = Math.floor(r0 / data.blockHeight); by * data.blockHeight < r1; by++) {
      for (let bx = Math.floor(c0 / data.blockWidth); bx * data.blockWidth < c1; bx++) {
        for (const plane of planes) {
          tasks.push(
            limit(async () => {
              const x0 = bx * data.blockWidth;
              const y0 = by * data.blockHeight;
              const clip = {
                c0: Math.max(c0, x0),
                c1: Math.min(c1, x0 + data.blockWidth),
                r0: Math.max(r0, y0),
                r1: Math.min(r1, y0 + data.blockHeight),
              };
              const need: [number, number] = [clip.r0 - y0, clip.r1 - y0];
              if (direct) {
                // Fetch, inflate into this reader's scratch, finish the needed rows and hand them on, with no await
                // between inflating and `onBlock` (so one scratch buffer serves every block of the read).
                const raw = await this.fetchBlock(data, plane, bx, by, signal);
                onBlock(
                  plane,
                  raw === null ? null : this.inflateScratch(raw, data, plane, bx, by, need, clip.c1 - x0, keep),
                  x0,
                  y0,
                  clip,
                  keep && raw !== null,
                );
                return;
              }
              const decoded = await this.block(
                data,
                plane,
                bx,
                by,
                decodeLimit,
                signal,
                need,
                schedule,
                options.cache !== false,
              );
              decoded?.prepare(clip.r0 - y0, clip.r1 - y0);
              onBlock(plane, decoded ? decoded.data : null, x0, y0, clip, false);
            }),
          );
        }
      }
    }
    let masks: Promise<{ bits: Uint8Array | null; bx: number; by: number }[]> = Promise.resolve([]);
    const mask = out ? level.mask : undefined;
    if (mask) {
      const jobs: Promise<{ bits: Uint8Array | null; bx: number; by: number }>[] = [];
      for (let by = Math.floor(r0 / mask.blockHeight); by * mask.blockHeight < r1; by++) {
        for (let bx = Math.floor(c0 / mask.blockWidth); bx * mask.blockWidth < c1; bx++) {
          jobs.push(
            limit(async () => ({
              bits: ((await this.block(mask, 0, bx, by, decodeLimit, signal))?.data as Uint8Array) ?? null,
              bx,
              by,
            })),
          );
        }
      }
      masks = Promise.all(jobs);
      masks.catch(() => undefined); // awaited below; a data error may be thrown first
    }
    try {
      await Promise.all(tasks);
      // Masks are applied after the data so the masked cells end as `fill` whatever order blocks arrive in.
      for (const m of await masks) {
        if (mask && out) applyMask(out, bands.length, window, m.bits, mask, m.bx, m.by, fill, { c0, c1, r0, r1 });
      }
    } catch (err) {
      limit.clearQueue();
      decodeLimit.clearQueue();
      if (signal?.aborted) throw abortError(signal);
      throw err;
    }
  }

  /**
   * A decode schedule shared by the pool and this thread when the read needs at least `pool.minBlocks` small,
   * pool-decodable data blocks; else null (tiles: 1–4 blocks decode inline, with no thread hand-off).
   */
  private schedule(
    data: IfdLayout,
    planes: number,
    w: { c0: number; c1: number; r0: number; r1: number },
    signal?: AbortSignal,
  ): DecodeSchedule | null {
    const pool = this.pool;
    if (!pool) return null;
    const across = Math.ceil(w.c1 / data.blockWidth) - Math.floor(w.c0 / data.blockWidth);
    const down = Math.ceil(w.r1 / data.blockHeight) - Math.floor(w.r0 / data.blockHeight);
    if (across * down * planes < pool.minBlocks) return null;
    const coding = this.coding(data, 0);
    if (!poolable(coding, SYNC_MAX_BYTES, decodedBytes(coding))) return null;
    // Shared (cached) loads must not die with this caller's signal: it stops waiting instead (see `block`).
    return new DecodeSchedule(pool, this.zstd, this.cache ? undefined : signal);
  }

  private coding(layout: IfdLayout, by: number): BlockCoding {
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
   * The blocks of `eachBlock` read and decoded synchronously, one after another in file order (plane, block row,
   * block column), through one raw and one decoded scratch buffer: no promise and no allocation per block. For
   * sources with `readSync` (local files on a worker thread). Yields to the event loop every ~20 ms so an abort
   * message can arrive, and checks the signal between blocks.
   */
  private async eachBlockSync(
    data: IfdLayout,
    planes: number[],
    w: Clip,
    onBlock: BlockSink,
    signal?: AbortSignal,
    keep = false,
  ): Promise<void> {
    const url = this.metadata.url;
    const readSync = this.source.readSync as NonNullable<ByteSource['readSync']>;
    const index = await this.blockIndex(data, signal);
    let lastYield = performance.now();
    // The file range now in the raw scratch.
    let loadedOffset = 0;
    let loadedLength = 0;
    for (const plane of planes) {
      for (let by = Math.floor(w.r0 / data.blockHeight); by * data.blockHeight < w.r1; by++) {
        for (let bx = Math.floor(w.c0 / data.blockWidth); bx * data.blockWidth < w.c1; bx++) {
          if (performance.now() - lastYield > 20) {
            await new Promise((resolve) => setImmediate(resolve));
            lastYield = performance.now();
            loadedLength = 0; // another read on this thread may have used the shared raw scratch meanwhile
          }
          if (signal?.aborted) throw abortError(signal);
          const x0 = bx * data.blockWidth;
          const y0 = by * data.blockHeight;
          const clip = {
            c0: Math.max(w.c0, x0),
            c1: Math.min(w.c1, x0 + data.blockWidth),
            r0: Math.max(w.r0, y0),
            r1: Math.min(w.r1, y0 + data.blockHeight),
          };
          const n = plane * data.blocksAcross * data.blocksDown + by * data.blocksAcross + bx;
          const offset = index.offsets[n] ?? 0;
          const count = index.counts[n] ?? 0;
          if (offset === 0 || count === 0) {
            onBlock(plane, null, x0, y0, clip, false);
            continue;
          }
          if (offset + count > this.size) {
            throw new AppError(
              'raster_invalid',
              `${url}: block ${n} of IFD ${data.ifd} extends past the end of the file.`,
            );
          }
          const need = [clip.r0 - y0, clip.r1 - y0] as const;
          const loaded = offset >= loadedOffset && offset + count <= loadedOffset + loadedLength;
          // Rows of the block that hold data (a tiled image's last block row is padded, and padding costs no bytes).
          const rows = Math.min(this.coding(data, by).rows, data.height - y0);
          SCRATCH.inflater ??= createInflater();
          const want = loaded || !SCRATCH.inflater.inflatePrefix ? count : prefixBytes(count, need[1], rows);
          if (want < count) {
            // The window needs only the top rows of this block, and DEFLATE decodes from the start: read the share of
            // the stored bytes that holds them (with a margin), and the rest only if the inflater runs out.
            const raw = this.readScratch(readSync, offset, want, n, data.ifd);
            loadedLength = 0;
            const rest = (): Uint8Array => this.readScratch(readSync, offset + want, count - want, n, data.ifd);
            const samples = this.inflateScratch(raw, data, plane, bx, by, need, clip.c1 - x0, keep, rest);
            onBlock(plane, samples, x0, y0, clip, keep);
            continue;
          }
          if (offset < loadedOffset || offset + count > loadedOffset + loadedLength) {
            // Read this block and the blocks of the row that follow it in the file with no gap (a COG stores a
            // band's tiles row by row) in one call, up to 1 MiB.
            let length = count;
            for (let next = bx + 1; next * data.blockWidth < w.c1; next++) {
              const m = n + (next - bx);
              const o = index.offsets[m] ?? 0;
              const c = index.counts[m] ?? 0;
              if (o !== offset + length || c === 0 || length + c > MERGED_READ_BYTES || o + c > this.size) break;
              length += c;
            }
            const got = this.readScratch(readSync, offset, length, n, data.ifd, count).length;
            loadedOffset = offset;
            loadedLength = got;
          }
          const raw = (SCRATCH.raw as Uint8Array).subarray(offset - loadedOffset, offset - loadedOffset + count);
          const samples = this.inflateScratch(raw, data, plane, bx, by, need, clip.c1 - x0, keep);
          onBlock(plane, samples, x0, y0, clip, keep);
        }
      }
    }
  }

  /**
   * Reads `length` bytes at `offset` into the thread's raw scratch (grown as needed) and returns them.
   * @throws AppError `raster_invalid` when fewer than `min` bytes (block `n` of IFD `ifd`) could be read.
   */
  private readScratch(
    readSync: NonNullable<ByteSource['readSync']>,
    offset: number,
    length: number,
    n: number,
    ifd: number,
    min = length,
  ): Uint8Array {
    if (SCRATCH.raw === null || SCRATCH.raw.length < length) {
      SCRATCH.raw = new Uint8Array(Math.max(length, 2 * (SCRATCH.raw?.length ?? 0), 64 * 1024));
    }
    const got = readSync(offset, length, SCRATCH.raw.subarray(0, length));
    if (got < min) throw new AppError('raster_invalid', `${this.metadata.url}: block ${n} of IFD ${ifd} is truncated.`);
    return SCRATCH.raw.subarray(0, got);
  }

  /**
   * True when a scan may hand over this layout's rows as stored predictor-2 differences: one unsigned 8/16-bit sample
   * per pixel in host byte order, so a running sum modulo 2^bits from the block's first column gives the values.
   */
  private keepsDifferences(layout: IfdLayout): boolean {
    const c = this.coding(layout, 0);
    const dtype = this.metadata.dtype;
    return (
      c.predictor === 2 &&
      c.samples === 1 &&
      (dtype === 'uint16' || dtype === 'uint8') &&
      (c.littleEndian || c.bitsPerSample === 8)
    );
  }

  /**
   * True when blocks of `layout` can take the scratch path: DEFLATE blocks of whole-byte samples. They inflate on the
   * calling thread, only the rows needed, into the thread's shared scratch (measured: a 13 MB pixel-interleaved block
   * inflates faster that way than through the libuv pool into a fresh buffer, whose page faults dominate). Reads that
   * keep blocks in the cache (tiles on the server's event loop) keep the pooled path.
   */
  private inflatesDirect(layout: IfdLayout): boolean {
    const coding = this.coding(layout, 0);
    return (coding.compression === 8 || coding.compression === 32946) && coding.bitsPerSample >= 8;
  }

  /**
   * Inflates the rows a window needs (`need` = [first, end) rows of the block) into this reader's scratch buffer,
   * finishes those rows (byte order, predictor) and returns the scratch as samples. Valid until the next call.
   * With `rest`, `raw` is only the start of the stored block, and `rest()` gives the remaining bytes if those rows
   * need more of it (read into the raw scratch: `raw` is used up by then).
   * @throws AppError `raster_invalid` when the block is corrupt or short.
   */
  private inflateScratch(
    raw: Uint8Array,
    layout: IfdLayout,
    plane: number,
    bx: number,
    by: number,
    need: readonly [number, number],
    cols: number,
    keepDifferences = false,
    rest?: () => Uint8Array,
  ): TypedArray {
    const coding = this.coding(layout, by);
    const perRow = rowBytes(coding);
    const bytes = Math.min(coding.rows, need[1]) * perRow;
    const size = decodedBytes(coding);
    if (SCRATCH.decoded === null || SCRATCH.decoded.byteLength < size) {
      SCRATCH.decoded = new Uint8Array(new ArrayBuffer(Math.max(size, 8)));
    }
    SCRATCH.inflater ??= createInflater();
    const dst = SCRATCH.decoded.subarray(0, bytes);
    let n: number;
    const inflater = SCRATCH.inflater;
    try {
      if (rest && inflater.inflatePrefix && inflater.resume) {
        n = inflater.inflatePrefix(raw, dst);
        if (n < bytes && inflater.starved === true) n = inflater.resume(rest(), dst, n);
      } else {
        n = inflater.inflateInto(raw, dst);
      }
    } catch (err) {
      if (isAppError(err)) throw err;
      const block = plane * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx;
      throw invalid(this.metadata.url, `block ${block} of IFD ${layout.ifd} cannot be decoded`, err);
    }
    if (n < bytes) {
      throw new AppError(
        'raster_invalid',
        `${this.metadata.url}: block ${plane * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx} of IFD ${layout.ifd} decoded to ${n} of ${size} bytes.`,
      );
    }
    if (!keepDifferences) finishRows(dst, coding, need[0], need[1], cols);
    const Ctor = DTYPE_ARRAY[this.metadata.dtype];
    return new Ctor(SCRATCH.decoded.buffer as ArrayBuffer, 0, bytes / (coding.bitsPerSample >> 3));
  }

  /**
   * The stored bytes of one block, or null for a sparse block (offset or byte count 0).
   * @throws AppError `raster_invalid` (index unreadable, block past the end of the file or truncated) | source errors.
   */
  private async fetchBlock(
    layout: IfdLayout,
    plane: number,
    bx: number,
    by: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array | null> {
    const n = plane * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx;
    const index = await this.blockIndex(layout, signal);
    const offset = index.offsets[n] ?? 0;
    const count = index.counts[n] ?? 0;
    if (offset === 0 || count === 0) return null;
    return this.fetchStored(layout, n, offset, count, signal);
  }

  /**
   * The block index of `layout`, errors named. The index is shared, so with a block cache its load ignores `signal`.
   * @throws AppError `raster_invalid` | `aborted`
   */
  private async blockIndex(layout: IfdLayout, signal?: AbortSignal): Promise<BlockIndex> {
    try {
      return await this.index(layout, this.cache ? undefined : signal);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw invalid(this.metadata.url, `cannot read the block index of IFD ${layout.ifd}`, err);
    }
  }

  /**
   * The `count` stored bytes of block `n` at `offset`.
   * @throws AppError `raster_invalid` (past the end of the file, truncated) | source errors.
   */
  private async fetchStored(
    layout: IfdLayout,
    n: number,
    offset: number,
    count: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const url = this.metadata.url;
    if (offset + count > this.size) {
      throw new AppError('raster_invalid', `${url}: block ${n} of IFD ${layout.ifd} extends past the end of the file.`);
    }
    const buf = await this.source.fetch(offset, count, signal ? { signal } : undefined);
    if (buf.byteLength < count) {
      throw new AppError('raster_invalid', `${url}: block ${n} of IFD ${layout.ifd} is truncated.`);
    }
    return new Uint8Array(buf);
  }

  /** Block offsets and byte counts of one IFD (fetched once, on first use). */
  private index(layout: IfdLayout, signal?: AbortSignal): Promise<BlockIndex> {
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

  /**
   * One decoded block (samples of the file's dtype, or packed bits for masks; rows finished on demand), or null
   * for a sparse block (offset or byte count 0: GDAL reads it as nodata, else 0).
   */
  private async block(
    layout: IfdLayout,
    plane: number,
    bx: number,
    by: number,
    decodeSlot: LimitFunction,
    signal?: AbortSignal,
    rows?: [number, number],
    schedule?: DecodeSchedule | null,
    useCache = true,
  ): Promise<Block | null> {
    const needRows = rows?.[1];
    const url = this.metadata.url;
    const n = plane * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx;
    const index = await this.blockIndex(layout, signal);
    const offset = index.offsets[n] ?? 0;
    const count = index.counts[n] ?? 0;
    if (offset === 0 || count === 0) return null;
    const coding = this.coding(layout, by);
    // Decode only the top of the block when the window ends in its upper part (most of the block unneeded); when
    // most rows are needed, decode it all so later reads of the same block find it whole in the cache.
    const partial = needRows !== undefined && needRows <= coding.rows * 0.75 ? needRows : coding.rows;
    const load = async (s?: AbortSignal): Promise<Block> => {
      const raw = await this.fetchStored(layout, n, offset, count, s);
      let bytes: Uint8Array;
      let finished: readonly [number, number] | null = null;
      try {
        if (schedule) ({ bytes, finished } = await schedule.decode(raw, coding, partial, rows ?? [0, coding.rows]));
        else bytes = await decodeSlot(() => inflateBlock(raw, coding, this.zstd, partial));
      } catch (err) {
        if (s?.aborted) throw abortError(s);
        throw invalid(url, `block ${n} of IFD ${layout.ifd} cannot be decoded`, err);
      }
      if (layout.bitsPerSample === 1) return new Block(bytes, bytes, coding);
      const Ctor = DTYPE_ARRAY[this.metadata.dtype];
      const data = new Ctor(
        bytes.buffer as ArrayBuffer,
        bytes.byteOffset,
        bytes.byteLength / (layout.bitsPerSample >> 3),
      );
      return new Block(bytes, data, coding, finished);
    };
    if (!this.cache || !useCache) return load(signal);
    // Shared loads ignore the caller's signal (another reader may be waiting on them); this caller stops waiting.
    const key = blockCacheKey(url, this.version, layout.ifd, n);
    const need = needRows ?? coding.rows;
    const shared = this.cache.getOrLoad(
      key,
      decodedBytes(coding),
      () => load(),
      (b) => b.rows >= need,
    );
    return signal ? raceAbort(shared, signal) : shared;
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
