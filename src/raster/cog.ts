/**
 * The COG reader: `openCog(source)` parses the TIFF structure once (via @cogeotiff/core) and returns a `Cog` whose
 * `read()` assembles a window of the native dtype, band-sequential, and whose `scan()` hands the window's blocks to a
 * visitor, both fetching and decoding only the blocks the window touches.
 *
 * Each read gets its blocks along one of four paths, chosen per read (`CogReader.path`), each in a module of its own:
 * - 'pread' (`read/path.pread.ts`): synchronous preads and inflates into the thread's scratch, block after block,
 *   with no promise per block; for local files on worker threads (extractions);
 * - 'scratch' (`read/path.scratch.ts`): concurrent fetches, each block inflated into the thread's scratch on arrival;
 *   DEFLATE reads that bypass the block cache from other sources;
 * - 'pool' (`read/path.decoded.ts` with `read/decoder.pool.ts`): reads of many small blocks, decoded partly here and
 *   partly on the decode pool's threads;
 * - 'decoded' (`read/path.decoded.ts` with `read/decoder.ts`): everything else (tiles on the server): each block
 *   decoded into a buffer of its own, kept in the block cache.
 */
import { Tiff } from '@cogeotiff/core';
import pLimit from 'p-limit';

import { AppError, abortError } from '../errors.js';
import type { ByteSource } from '../storage/source.js';
import type { BlockCache } from './block.cache.js';
import { SYNC_MAX_BYTES } from './codecs/deflate.js';
import { createZstdDecoder } from './codecs/zstd.js';
import type { ZstdDecode } from './codecs/zstd.js';
import { decodedBytes } from './decode.js';
import type { DecodePool } from './decode.pool.js';
import { storesDeltas } from './deltas.js';
import { DTYPE_ARRAY } from './dtype.js';
import { HEADER_BYTES, readHeader, type CogHeader } from './header.js';
import { parseTiff } from './ifd.js';
import type { IfdLayout, LevelLayout } from './ifd.js';
import { DecodeSchedule, poolable } from './read/decoder.pool.js';
import { inlineDecoder } from './read/decoder.js';
import { DecodedBlocks, type MaskBlock } from './read/path.decoded.js';
import { preadBlocks } from './read/path.pread.js';
import { scratchBlocks } from './read/path.scratch.js';
import { inflatesToScratch, ScratchDecoder, type ReadSync } from './read/scratch.js';
import { rasterInvalid, StoredBlocks } from './read/stored.js';
import { blocksTouched, clipToLevel, type BlockSink, type BlockWalk } from './read/walk.js';
import type {
  BlockVisitor,
  Cog,
  RasterBlock,
  RasterMetadata,
  ReadOptions,
  RowEncoding,
  ScanOptions,
  TypedArray,
} from './types.js';
import { applyMask, copyBand, copyPixelInterleaved } from './window.js';

/** Options of `openCog`. */
export interface OpenCogOptions {
  /** Shared cache of decoded blocks (one per process); without it every read decodes its blocks afresh. */
  blockCache?: BlockCache;
  /** Aborts reading the header. */
  signal?: AbortSignal;
  /**
   * The file's header as another opening of it read it (`Cog.header`, e.g. sent with an extraction task by the
   * main thread): the COG opens without any request.
   */
  header?: CogHeader;
  /**
   * Block fetches one read may have in flight (default 64). Remote storage wants all of a read's blocks requested
   * at once, so its range merger sees every neighbour; its requests are bounded by the source instead.
   */
  fetchesInFlight?: number;
  /** Blocks decoded at once per read (default 6); up to 64 block fetches per read are in flight. */
  concurrency?: number;
  /**
   * Worker threads for reads of many small blocks (≥ `decodePool.minBlocks`): those blocks are decoded partly on
   * the calling thread, partly on the pool. Without it, blocks ≤ 256 KiB always inflate on the calling thread.
   */
  decodePool?: DecodePool;
}

/**
 * Opens a (Cloud-Optimized) GeoTIFF: reads the header and IFDs (a few KB for a COG) and returns its metadata and
 * a reader. Blocks are fetched only by `read()` and `scan()`.
 * @throws AppError `raster_invalid` (not a TIFF, truncated or corrupt header) | `raster_unsupported` | source errors
 */
export async function openCog(source: ByteSource, options: OpenCogOptions = {}): Promise<Cog> {
  const url = source.url.href;
  const { signal, blockCache } = options;
  if (signal?.aborted) throw abortError(signal);
  const fetchOptions = signal ? { signal } : undefined;
  let known: CogHeader;
  if (options.header) {
    known = options.header;
  } else {
    // The header read comes first: S3 and HTTP answers carry the object's size and version (Content-Range, ETag),
    // so no HEAD request is needed (one round trip fewer for every COG opened); sources that learn nothing from a
    // read are asked with head().
    const prefix = new Uint8Array(await source.fetch(0, HEADER_BYTES, fetchOptions));
    let meta = source.metadata;
    if (meta?.size === undefined) meta = { ...meta, ...(await source.head(fetchOptions)) };
    const size = meta.size ?? 0;
    known = { size, ...(meta.etag !== undefined ? { etag: meta.etag } : {}), prefix };
  }
  const { size } = known;
  const version = known.etag;
  source.metadata = { ...source.metadata, size, ...(version !== undefined ? { etag: version } : {}) };
  if (size < 8) throw new AppError('raster_invalid', `${url}: not a TIFF file (${size} bytes).`);

  let tiff: Tiff;
  let parsed: Awaited<ReturnType<typeof parseTiff>>;
  let header: CogHeader;
  try {
    const read = await readHeader(source, known, fetchOptions);
    header = read.header;
    tiff = await Tiff.create(read.source, {
      defaultReadSize: Math.max(HEADER_BYTES, header.prefix.length),
      ...(signal ? { signal } : {}),
    });
    parsed = await parseTiff(tiff, url, signal);
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw rasterInvalid(url, 'cannot read the TIFF structure', err);
  }
  const zstd: ZstdDecode | null = parsed.metadata.compression === 'zstd' ? await createZstdDecoder() : null;
  const metadata: RasterMetadata = { ...parsed.metadata, url, version: version ?? null };
  return new CogReader({
    header,
    metadata,
    levels: parsed.levels,
    stored: new StoredBlocks({
      source,
      size,
      littleEndian: parsed.littleEndian,
      sharedLoads: blockCache !== undefined,
      prefix: header.prefix,
    }),
    version,
    zstd,
    blockCache,
    concurrency: options.concurrency ?? 6,
    decodePool: options.decodePool,
    fetchesInFlight: options.fetchesInFlight ?? FETCHES_IN_FLIGHT,
  });
}

/** Samples one read may return (a typed array's practical limit; 2 GiB of uint8, 16 GiB of float64). */
const MAX_READ_SAMPLES = 2 ** 31 - 1;

/** Blocks whose fetch may be in flight at once per read by default (bounds the compressed bytes held). */
const FETCHES_IN_FLIGHT = 64;

/** How one read gets its blocks (see the module comment). */
type ReadPath =
  | { name: 'pread'; readSync: ReadSync; rows: RowEncoding }
  | { name: 'scratch'; rows: RowEncoding; cached: boolean }
  | { name: 'pool'; schedule: DecodeSchedule; cached: boolean }
  | { name: 'decoded'; cached: boolean };

/** A level's mask for a read: its IFD, and what to do with each of its blocks once the data is in. */
interface MaskStep {
  layout: IfdLayout;
  apply(block: MaskBlock): void;
}

/** What a `CogReader` is made of. */
interface CogReaderOptions {
  header: CogHeader;
  metadata: RasterMetadata;
  /** Level 0 then the overviews, with their masks. */
  levels: LevelLayout[];
  stored: StoredBlocks;
  /** The file's version (ETag or mtime-size), part of the block cache keys. */
  version: string | undefined;
  /** Decoder for ZSTD files, else null. */
  zstd: ZstdDecode | null;
  blockCache: BlockCache | undefined;
  /** Blocks decoded at once per read on the 'decoded' path. */
  concurrency: number;
  decodePool: DecodePool | undefined;
  /** Block fetches in flight per read. */
  fetchesInFlight: number;
}

class CogReader implements Cog {
  readonly metadata: RasterMetadata;
  readonly header: CogHeader;
  private readonly fetchesInFlight: number;
  private readonly levels: LevelLayout[];
  private readonly stored: StoredBlocks;
  private readonly decoded: DecodedBlocks;
  private readonly zstd: ZstdDecode | null;
  private readonly cache: BlockCache | undefined;
  private readonly concurrency: number;
  private readonly pool: DecodePool | undefined;

  constructor(options: CogReaderOptions) {
    this.metadata = options.metadata;
    this.header = options.header;
    this.fetchesInFlight = options.fetchesInFlight;
    this.levels = options.levels;
    this.stored = options.stored;
    this.zstd = options.zstd;
    this.cache = options.blockCache;
    this.concurrency = options.concurrency;
    this.pool = options.decodePool;
    this.decoded = new DecodedBlocks({
      stored: options.stored,
      dtype: options.metadata.dtype,
      version: options.version,
      cache: options.blockCache,
    });
  }

  async close(): Promise<void> {
    await this.stored.source.close?.();
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
    const walk = this.walkOf(options, data, (plane, block, x0, y0, clip) => {
      if (data.planar === 2) {
        bands.forEach((b, i) => {
          if (b - 1 === plane) copyBand(out, i, window, block, sparseFill, data.blockWidth, x0, y0, clip);
        });
      } else {
        copyPixelInterleaved(out, bands, window, block, sparseFill, data.blockWidth, data.blockSamples, x0, y0, clip);
      }
    });
    if (walk === null) return result;
    const mask = level.mask;
    const masking: MaskStep | null = mask && {
      layout: mask,
      apply: (m) => applyMask(out, bands.length, window, m.bits, mask, m.bx, m.by, fill, walk.area),
    };
    await this.run(walk, this.path(options, level, walk, false), masking);
    return result;
  }

  async scan(options: ScanOptions, visit: BlockVisitor): Promise<void> {
    const { metadata: meta } = this;
    const { window, bands } = options;
    const level = this.check(options);
    const data = level.data;
    const inside = clipToLevel(window, data.width, data.height);
    if (inside === null || bands.length === 0) return;
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
          rows: 'values',
        }),
      );
      return;
    }
    const sparse = meta.nodata ?? 0;
    let sparseBlock: TypedArray | null = null;
    const walk = this.walkOf(options, data, (plane, block, x0, y0, clip, rows) => {
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
        visit(i, samples, { x0, y0, rowStride, step, offset, clip, rows });
      });
    });
    if (walk === null) return;
    await this.run(walk, this.path(options, level, walk, options.acceptDeltas === true), null);
  }

  /** The blocks of `options.window` (clipped to the raster) for the planes of `options.bands`; null when none. */
  private walkOf(options: ReadOptions, layout: IfdLayout, sink: BlockSink): BlockWalk | null {
    const { bands, window, signal } = options;
    const area = clipToLevel(window, layout.width, layout.height);
    if (area === null || bands.length === 0) return null;
    const planes = layout.planar === 2 ? [...new Set(bands.map((b) => b - 1))] : [0];
    return { layout, planes, area, signal, sink };
  }

  /**
   * The path of one read. Reads of many small blocks with a decode pool take 'pool'. DEFLATE reads that bypass the
   * block cache (extractions: each block is used once) inflate into the thread's scratch, only the rows needed:
   * 'pread' when the source reads synchronously and the level has no mask (mask blocks load alongside the data,
   * asynchronously), else 'scratch'; their rows stay deltas when the visitor `acceptDeltas` and the file stores them.
   * Everything else (tiles, which keep blocks in the cache on the server's event loop) takes 'decoded'.
   */
  private path(options: ReadOptions, level: LevelLayout, walk: BlockWalk, acceptDeltas: boolean): ReadPath {
    const cached = options.cache !== false;
    const schedule = this.schedule(walk);
    if (schedule) return { name: 'pool', schedule, cached };
    const coding = this.stored.coding(level.data, 0);
    if ((!cached || !this.cache) && inflatesToScratch(coding)) {
      const rows = acceptDeltas && storesDeltas(coding, this.metadata.dtype) ? 'deltas' : 'values';
      const readSync = this.stored.source.readSync;
      return readSync && !level.mask ? { name: 'pread', readSync, rows } : { name: 'scratch', rows, cached };
    }
    return { name: 'decoded', cached };
  }

  /**
   * A decode schedule shared by the pool and this thread when the read needs at least `pool.minBlocks` small,
   * pool-decodable data blocks; else null (tiles: 1–4 blocks decode inline, with no thread hand-off).
   */
  private schedule(walk: BlockWalk): DecodeSchedule | null {
    const pool = this.pool;
    if (!pool) return null;
    if (blocksTouched(walk.area, walk.layout) * walk.planes.length < pool.minBlocks) return null;
    const coding = this.stored.coding(walk.layout, 0);
    if (!poolable(coding, SYNC_MAX_BYTES, decodedBytes(coding))) return null;
    // Shared (cached) loads must not die with this caller's signal: it stops waiting instead (see DecodedBlocks).
    return new DecodeSchedule(pool, this.zstd, this.cache ? undefined : walk.signal);
  }

  /**
   * Hands every block of `walk` to its sink along `path`; with `mask`, loads the level's mask blocks alongside and
   * applies them once the data is in (so masked cells end as the fill whatever order blocks arrive in).
   */
  private async run(walk: BlockWalk, path: ReadPath, mask: MaskStep | null): Promise<void> {
    const { layout, signal } = walk;
    // Load the block index first, so that all the blocks of the read are requested in one turn.
    await this.stored.prefetch(layout, signal);
    if (mask) await this.stored.prefetch(mask.layout, signal);
    if (path.name === 'pread') {
      const decoder = new ScratchDecoder(this.stored, layout, this.metadata.dtype, path.rows);
      await preadBlocks(walk, this.stored, path.readSync, decoder);
      return;
    }
    // Many fetches start in the same turn (the byte sources merge adjacent ranges into one request); decoding is
    // bounded separately, so at most `concurrency` large blocks are inflating at once.
    const fetches = pLimit(this.fetchesInFlight);
    const decodes = pLimit(this.concurrency);
    const inline = inlineDecoder(decodes, this.zstd);
    let data: Promise<void>;
    if (path.name === 'scratch') {
      const decoder = new ScratchDecoder(this.stored, layout, this.metadata.dtype, path.rows);
      data = scratchBlocks(walk, this.stored, decoder, fetches, path.cached);
    } else {
      const decoder = path.name === 'pool' ? path.schedule : inline;
      data = this.decoded.walk(walk, { decoder, signal, cached: path.cached }, fetches);
    }
    const masks =
      mask && this.decoded.masks(mask.layout, walk.area, { decoder: inline, signal, cached: true }, fetches);
    masks?.catch(() => undefined); // awaited below; a data error may be thrown first
    try {
      await data;
      if (mask && masks) for (const m of await masks) mask.apply(m);
    } catch (err) {
      fetches.clearQueue();
      decodes.clearQueue();
      if (signal?.aborted) throw abortError(signal);
      throw err;
    }
  }
}
