import type { Affine } from '../geo/affine.js';
import type { FetchOptions } from '../storage/source.js';
import type { CogHeader } from './header.js';

/** Sample types we read and write (GDAL names in lower case). */
export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** The typed array that holds samples of each dtype. */
export interface DTypeArrays {
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  uint32: Uint32Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}
export type TypedArray = DTypeArrays[DType];

/** One resolution level of a COG: level 0 is full resolution, then the overviews, coarsest last. */
export interface RasterLevel {
  /** Pixels. */
  width: number;
  height: number;
  /** Geotransform of this level in the raster's CRS. */
  transform: Affine;
  /** Tile (or strip) size in pixels; for strips blockWidth = width. */
  blockWidth: number;
  blockHeight: number;
}

/** What `openCog` reports about a raster. */
export interface RasterMetadata {
  /** The object it was read from. */
  url: string;
  /** Version of the bytes when opened (HTTP/S3 ETag, or `mtimeMs-size` for files); null when the source has none. */
  version: string | null;
  width: number;
  height: number;
  /** Number of bands (samples per pixel), ≥ 1. Bands are numbered from 1 in every API. */
  bands: number;
  dtype: DType;
  /** GDAL_NODATA as a number (NaN allowed), or null when the file declares none. */
  nodata: number | null;
  /** `EPSG:<code>` from the GeoKeys, or null when the file has none we understand. */
  crs: string | null;
  /** Geotransform of the full-resolution level (CRS units: degrees for 4326/4269, metres for UTM). */
  transform: Affine;
  /** Level 0 then overviews, each coarser than the last. */
  levels: RasterLevel[];
  tiled: boolean;
  /** PlanarConfiguration 1 = 'pixel' (all bands in one block), 2 = 'band' (one block per band). */
  interleave: 'pixel' | 'band';
  compression: 'none' | 'deflate' | 'lzw' | 'zstd' | 'packbits';
  predictor: 1 | 2 | 3;
  /** True when the file has an internal (1-bit) mask per level. */
  hasMask: boolean;
}

/**
 * A pixel window of one level, in pixels. May reach outside the raster (negative offsets, or past the
 * edge): those cells are filled with the read's `fill` value (boundless read).
 */
export interface PixelWindow {
  col: number;
  row: number;
  width: number;
  height: number;
}

/** Options for `Cog.read`. */
export interface ReadOptions extends FetchOptions {
  /** 1-based band numbers, any order, repeats allowed. */
  bands: readonly number[];
  window: PixelWindow;
  /** Resolution level: 0 = full resolution (default), 1… = overviews. */
  level?: number;
  /** Value for cells outside the raster or masked by an internal mask. Default: nodata, else 0. */
  fill?: number;
  /**
   * Keep decoded blocks in the block cache (default true). False for reads that touch each block once (an
   * extraction): DEFLATE blocks then inflate on the calling thread into a reused buffer, only the rows the window
   * needs (as they do when the reader has no cache).
   */
  cache?: boolean;
}

/**
 * Samples of several bands over one window, band-sequential:
 * `data[i * width * height + r * width + c]` is band `bands[i]` at window row r, column c.
 */
export interface RasterBlock<T extends DType = DType> {
  dtype: T;
  width: number;
  height: number;
  bands: number[];
  data: DTypeArrays[T];
  nodata: number | null;
}

/** An open COG: metadata in memory, blocks fetched and decoded on demand. */
export interface Cog {
  readonly metadata: RasterMetadata;
  /** The header bytes it was opened from (another thread opens the same file from them with no request). */
  readonly header?: CogHeader;
  /**
   * Read a window for a list of bands, fetching and decoding only the blocks that intersect it
   * (concurrently), and honouring `signal`.
   * @throws AppError `band_out_of_range` | `invalid_request` (bad window or level, or a read too large to allocate) |
   *   `raster_invalid` (corrupt or truncated block, naming the file) | source errors | `aborted`
   */
  read(options: ReadOptions): Promise<RasterBlock>;
  /**
   * Visits the samples of a window block by block instead of assembling them: for every block the window touches
   * (clipped to the raster) and every requested band, `visit(i, samples, span)` with `i` the index into
   * `options.bands`. Cells outside the raster are not visited; a sparse block is visited as nodata (else 0); with an
   * internal mask the window is read first and visited as one block (masked cells = `fill`). Blocks come in any
   * order. `samples` may be a scratch buffer valid only during the call.
   * @throws as {@link Cog.read}.
   */
  scan(options: ScanOptions, visit: BlockVisitor): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the samples of a visited block hold, row by row:
 * - `'values'`: the pixel values;
 * - `'deltas'`: horizontal deltas, as the file stores them: the value of pixel (c, r) is the sum, modulo 2^bits of
 *   the dtype, of the samples of row r from column `x0` to c. Only unsigned 8/16-bit samples, one per pixel
 *   (`step` 1); `deltas.ts` has the summing loops.
 */
export type RowEncoding = 'values' | 'deltas';

/** Options for `Cog.scan`. */
export interface ScanOptions extends ReadOptions {
  /**
   * The visitor sums rows of deltas itself (see {@link RowEncoding}): blocks stored that way (unsigned 8/16-bit, one
   * sample per pixel, host byte order, decoded without the cache) are then visited as stored, with `span.rows`
   * `'deltas'`, saving the pass that would turn them into values. Default false: every span holds values.
   */
  acceptDeltas?: boolean;
}

/**
 * Where a visited block's cells are: the sample of pixel (c, r) of the level, for c in [clip.c0, clip.c1) and r in
 * [clip.r0, clip.r1), is `samples[offset + (r − y0)·rowStride + (c − x0)·step]` (its value, or a delta: see `rows`).
 */
export interface BlockSpan {
  /** Pixel (column, row) of the level at `samples[offset]`. */
  x0: number;
  y0: number;
  /** Samples from one row to the next (0: every row is the same row, e.g. a sparse block). */
  rowStride: number;
  /** Samples from one pixel to the next (samples per pixel for pixel-interleaved blocks). */
  step: number;
  offset: number;
  /** The cells of the block to visit (half-open pixel ranges of the level). */
  clip: { c0: number; c1: number; r0: number; r1: number };
  /** What the rows hold: always `'values'` unless the scan was asked to `acceptDeltas`. */
  rows: RowEncoding;
}

/** Called by {@link Cog.scan} once per block and requested band. */
export type BlockVisitor = (band: number, samples: TypedArray, span: BlockSpan) => void;
