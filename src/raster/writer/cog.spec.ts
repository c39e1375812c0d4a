/**
 * What the COG writer is asked to write (`CogWriteSpec`), and the same spec checked with its defaults filled in
 * (`ResolvedSpec`). Pure.
 */
import { AppError } from '../../errors.js';
import type { Affine } from '../../geo/affine.js';
import { DTYPE_RANGE, isDType, isFloatDType } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';
import { RESAMPLINGS } from './tiff.encode.pixels.js';
import type { Resampling } from './tiff.encode.pixels.js';

/** TIFF compressions the writer produces (all lossless). */
export type CogCompression = 'zstd' | 'deflate' | 'lzw' | 'none';

/** What to write. Pixel values come from `readRows`; everything else describes the file. */
export interface CogWriteSpec {
  /** Full-resolution size in pixels. */
  width: number;
  height: number;
  /** Number of bands, ≥ 1. */
  bands: number;
  dtype: DType;
  /**
   * Samples of rows `row … row+height-1` of one band (1-based), row-major, exactly `width × height` values of
   * `dtype`'s typed array (the writer never converts: narrowing a source is the caller's decision). May return a
   * promise. Called strip by strip, top to bottom, and within a strip for band 1, 2, … `bands` in order, each
   * row of each band exactly once — so a caller reading a pixel-interleaved source can decode one strip of all
   * its bands once and hand them out band by band. A strip is at most `maxStripBytes` for all bands together.
   */
  readRows(band: number, row: number, height: number): TypedArray | Promise<TypedArray>;
  /** CRS as `EPSG:<code>` or a bare code (written as GeoKeys). */
  crs: string | number;
  /** Force geographic (true) or projected (false) GeoKeys; by default EPSG 4000–4999 are geographic. */
  geographic?: boolean;
  /** Geotransform of the full-resolution grid, CRS units (degrees for EPSG:4326/4269, metres for UTM). */
  transform: Affine;
  /**
   * GDAL's AREA_OR_POINT: 'Area' (GTRasterType PixelIsArea, the transform's origin is a cell corner) or 'Point'
   * (PixelIsPoint: written as GDAL does, the tie point on the first cell's centre; readers move it back, so the
   * transform reads back unchanged). Default 'Area'.
   */
  areaOrPoint?: 'Area' | 'Point';
  /** Written as the GDAL_NODATA tag and skipped when averaging overviews. Default: none. */
  nodata?: number | null;
  /** PlanarConfiguration: 'pixel' (1, one block holds every band) or 'band' (2). Default 'pixel'. */
  interleave?: 'pixel' | 'band';
  /** Tile width and height in pixels, a multiple of 16. Default 256. */
  blockSize?: number;
  /** Lossless codec: 'zstd' (TIFF 50000), 'deflate' (8), 'lzw' (5) or 'none'. Default 'deflate'. */
  compression?: CogCompression;
  /**
   * Compression level: zstd 1–22 (default 9, GDAL's ZSTD_LEVEL default), deflate 1–9 (default 6, GDAL's);
   * refused for 'lzw' and 'none', which have none. Same level, same input → the same bytes.
   */
  level?: number;
  /** 1 none, 2 horizontal (integers), 3 floating point. Default: 2 for integers, 3 for floats; 1 without compression. */
  predictor?: 1 | 2 | 3;
  /** zlib level 1–9 for 'deflate' (older name of `level`; `level` wins when both are given). */
  deflateLevel?: number;
  /**
   * Overview decimation factors (powers of two, increasing, e.g. `[2, 4, 8]`), `[]` for none, or 'auto':
   * 2, 4, 8… until the smallest level fits in one block. Default 'auto'.
   */
  overviews?: 'auto' | readonly number[];
  /**
   * Overview resampling, as GDAL's OVERVIEW_RESAMPLING: 'average' (mean of the valid cells), 'mode' (most frequent
   * valid value), 'nearest', or the convolutions 'bilinear', 'cubic' and 'lanczos' (GDAL 3.6's kernels, equal to
   * gdaladdo's; see overview.convolve.ts). Nodata cells never count (NaN only when the nodata is NaN). Default
   * 'average'.
   */
  resampling?: Resampling;
  /**
   * Band descriptions (e.g. timestep keys), one per band, written in the GDAL_METADATA tag (gdalinfo's
   * "Description = …", rasterio's `descriptions`). Default: none.
   */
  bandDescriptions?: readonly string[];
  /**
   * Compute per-band statistics over the full-resolution valid cells (nodata and NaN excluded) and embed them as
   * GDAL does (`STATISTICS_MINIMUM/MAXIMUM/MEAN/STDDEV/VALID_PERCENT` in GDAL_METADATA; STDDEV is the population
   * standard deviation). A band without a valid cell carries only `STATISTICS_VALID_PERCENT=0`. Always returned by
   * `writeCog` when true. Default false.
   */
  statistics?: boolean;
  /** Physical value = stored × scale + offset, for every band; written unless 1 (GDAL omits identity). Default 1. */
  scale?: number;
  /** See `scale`; written unless 0. Default 0. */
  offset?: number;
  /** Unit of the physical values (e.g. 'mm'), for every band (GDAL's band unit type). Default: none. */
  units?: string;
  /**
   * BigTIFF: always (GDAL's BIGTIFF=YES), never (NO), or 'auto' (when the file could pass 4 GiB: uncompressed
   * size of every level plus a margin, like IF_SAFER). Default 'auto'.
   */
  bigTiff?: boolean | 'auto';
  /**
   * Blocks compressed at once (zstd and deflate run on the libuv thread pool), lowered so that at most 64 MiB of
   * uncompressed tiles are in flight (but never below 2). Default 8.
   */
  concurrency?: number;
  /**
   * Memory bound: uncompressed bytes of one strip of every band (what `readRows` is asked for between two strips),
   * rounded down to whole rows of blocks but never less than one. Default 32 MiB.
   */
  maxStripBytes?: number;
}

/** A spec with every default applied and every field checked. */
export interface ResolvedSpec {
  width: number;
  height: number;
  bands: number;
  dtype: DType;
  epsg: number;
  geographic: boolean;
  transform: Affine;
  areaOrPoint: 'Area' | 'Point';
  nodata: number | null;
  interleave: 'pixel' | 'band';
  blockSize: number;
  compression: CogCompression;
  predictor: 1 | 2 | 3;
  /** zstd or deflate level (0 for lzw/none). */
  level: number;
  overviews: 'auto' | readonly number[];
  resampling: Resampling;
  bandDescriptions: readonly string[] | null;
  statistics: boolean;
  scale: number;
  offset: number;
  units: string | null;
  bigTiff: boolean | 'auto';
  concurrency: number;
  /** Uncompressed bytes of pixels read per strip (rounded to whole rows of blocks, at least one). */
  stripBudgetBytes: number;
}

function bad(message: string): AppError {
  return new AppError('invalid_request', message);
}

const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;

function parseEpsg(crs: string | number): number {
  const m = typeof crs === 'number' ? [String(crs), String(crs)] : /^(?:EPSG:)?(\d+)$/i.exec(crs.trim());
  const code = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(code) || code <= 0 || code > 65535) {
    throw bad(`crs must be an EPSG code of at most 65535 such as 'EPSG:4326'; got '${String(crs)}'.`);
  }
  return code;
}

/** The level of `compression`: given (checked against the codec's range) or the codec's default; 0 without one. */
function resolveLevel(compression: CogCompression, given: number | undefined): number {
  const range = compression === 'zstd' ? [1, 22, 9] : compression === 'deflate' ? [1, 9, 6] : null;
  if (!range) {
    if (given !== undefined) throw bad(`level applies to zstd and deflate only, not ${compression}.`);
    return 0;
  }
  const [lo, hi, def] = range as [number, number, number];
  const level = given ?? def;
  if (!Number.isInteger(level) || level < lo || level > hi)
    throw bad(`level must be an integer in ${lo}…${hi} for ${compression}; got ${level}.`);
  return level;
}

/**
 * Check a spec and fill in its defaults.
 * @throws AppError `invalid_request` naming the offending field.
 */
export function validateSpec(spec: CogWriteSpec): ResolvedSpec {
  const { width, height, bands, dtype } = spec;
  if (!isPositiveInt(width) || !isPositiveInt(height))
    throw bad(`width and height must be positive integers; got ${width}×${height}.`);
  if (!isPositiveInt(bands) || bands > 65535) throw bad(`bands must be an integer in 1…65535; got ${bands}.`);
  if (!isDType(dtype)) throw bad(`Unknown dtype '${String(dtype)}'.`);
  const isFloat = isFloatDType(dtype);
  const blockSize = spec.blockSize ?? 256;
  if (!isPositiveInt(blockSize) || blockSize % 16 !== 0 || blockSize > 4096)
    throw bad(`blockSize must be a multiple of 16 up to 4096; got ${blockSize}.`);
  const compression = spec.compression ?? 'deflate';
  if (!(['zstd', 'deflate', 'lzw', 'none'] as const).includes(compression))
    throw bad(`compression must be 'zstd', 'deflate', 'lzw' or 'none'; got '${String(compression)}'.`);
  const predictor = spec.predictor ?? (compression === 'none' ? 1 : isFloat ? 3 : 2);
  if (predictor !== 1 && compression === 'none')
    throw bad('A predictor needs compression: use predictor 1 with compression none.');
  if (predictor === 2 && isFloat) throw bad(`Predictor 2 is for integer data; use 3 for ${dtype}.`);
  if (predictor === 3 && !isFloat) throw bad(`Predictor 3 is for floating-point data; use 2 for ${dtype}.`);
  if (predictor !== 1 && predictor !== 2 && predictor !== 3)
    throw bad(`predictor must be 1, 2 or 3; got ${String(predictor)}.`);
  const level = resolveLevel(compression, spec.level ?? (compression === 'deflate' ? spec.deflateLevel : undefined));
  const nodata = spec.nodata ?? null;
  const [lo, hi] = DTYPE_RANGE[dtype];
  if (nodata !== null && !isFloat && !(Number.isInteger(nodata) && nodata >= lo && nodata <= hi)) {
    throw bad(`nodata ${nodata} is not a ${dtype} value.`);
  }
  const t = spec.transform;
  if (t.length !== 6 || !t.every(Number.isFinite) || t[0] * t[4] - t[1] * t[3] === 0)
    throw bad('transform must be 6 finite numbers with a non-zero determinant.');
  const epsg = parseEpsg(spec.crs);
  if (spec.areaOrPoint !== undefined && spec.areaOrPoint !== 'Area' && spec.areaOrPoint !== 'Point')
    throw bad(`areaOrPoint must be 'Area' or 'Point'; got '${String(spec.areaOrPoint)}'.`);
  const overviews = spec.overviews ?? 'auto';
  if (overviews !== 'auto') {
    let prev = 1;
    for (const f of overviews) {
      const ratio = f / prev;
      if (!isPositiveInt(f) || (f & (f - 1)) !== 0 || f <= prev || blockSize % ratio !== 0) {
        throw bad(
          `overviews must be increasing powers of two (e.g. [2, 4, 8]) each at most blockSize× the previous; got [${overviews.join(', ')}].`,
        );
      }
      prev = f;
    }
  }
  const concurrency = spec.concurrency ?? 8;
  if (!isPositiveInt(concurrency)) throw bad(`concurrency must be a positive integer; got ${concurrency}.`);
  const stripBudgetBytes = spec.maxStripBytes ?? 32 * 1024 * 1024;
  if (!isPositiveInt(stripBudgetBytes)) throw bad(`maxStripBytes must be a positive integer; got ${stripBudgetBytes}.`);
  const resampling = spec.resampling ?? 'average';
  if (!RESAMPLINGS.includes(resampling))
    throw bad(`resampling must be one of ${RESAMPLINGS.map((r) => `'${r}'`).join(', ')}; got '${String(resampling)}'.`);
  const bandDescriptions = spec.bandDescriptions ?? null;
  if (bandDescriptions !== null && bandDescriptions.length !== bands)
    throw bad(`bandDescriptions must have one entry per band (${bands}); got ${bandDescriptions.length}.`);
  const scale = spec.scale ?? 1;
  const offset = spec.offset ?? 0;
  if (!Number.isFinite(scale) || scale === 0) throw bad(`scale must be finite and non-zero; got ${scale}.`);
  if (!Number.isFinite(offset)) throw bad(`offset must be finite; got ${offset}.`);
  return {
    width,
    height,
    bands,
    dtype,
    epsg,
    geographic: spec.geographic ?? (epsg >= 4000 && epsg < 5000),
    transform: t,
    areaOrPoint: spec.areaOrPoint ?? 'Area',
    nodata,
    interleave: spec.interleave ?? 'pixel',
    blockSize,
    compression,
    predictor,
    level,
    overviews,
    resampling,
    bandDescriptions,
    statistics: spec.statistics ?? false,
    scale,
    offset,
    units: spec.units ?? null,
    bigTiff: spec.bigTiff ?? 'auto',
    concurrency,
    stripBudgetBytes,
  };
}
