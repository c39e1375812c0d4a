/**
 * What the COG writer is asked to write (`CogWriteSpec`), and the same spec checked with its defaults filled in
 * (`ResolvedSpec`). Pure.
 */
import { AppError } from '../../errors.js';
import type { Affine } from '../../geo/affine.js';
import { DTYPE_RANGE, isDType, isFloatDType } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';
import type { Resampling } from './tiff.encode.pixels.js';

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
   * `dtype`'s typed array. Called in file order; may return a promise. Never asked for more than a few
   * rows of blocks of one band at once.
   */
  readRows(band: number, row: number, height: number): TypedArray | Promise<TypedArray>;
  /** CRS as `EPSG:<code>` or a bare code (written as GeoKeys). */
  crs: string | number;
  /** Force geographic (true) or projected (false) GeoKeys; by default EPSG 4000–4999 are geographic. */
  geographic?: boolean;
  /** Geotransform of the full-resolution grid, CRS units (degrees for EPSG:4326/4269, metres for UTM). */
  transform: Affine;
  /** Written as the GDAL_NODATA tag and skipped when averaging overviews. Default: none. */
  nodata?: number | null;
  /** PlanarConfiguration: 'pixel' (1, one block holds every band) or 'band' (2). Default 'pixel'. */
  interleave?: 'pixel' | 'band';
  /** Tile width and height in pixels, a multiple of 16. Default 256. */
  blockSize?: number;
  /** Default 'deflate'. */
  compression?: 'deflate' | 'none';
  /** 1 none, 2 horizontal (integers), 3 floating point. Default: 2 for integers, 3 for floats; 1 without compression. */
  predictor?: 1 | 2 | 3;
  /** zlib level 1–9. Default 6 (GDAL's default). */
  deflateLevel?: number;
  /**
   * Overview decimation factors (powers of two, increasing, e.g. `[2, 4, 8]`), `[]` for none, or 'auto':
   * 2, 4, 8… until the smallest level fits in one block. Default 'auto'.
   */
  overviews?: 'auto' | readonly number[];
  /** Overview resampling; 'average' skips nodata. Default 'average'. */
  resampling?: Resampling;
  /** BigTIFF: always, never, or 'auto' (when the file could pass 4 GiB). Default 'auto'. */
  bigTiff?: boolean | 'auto';
  /** Blocks compressed at once on the libuv pool. Default 4. */
  concurrency?: number;
  /**
   * Memory bound: uncompressed bytes asked of `readRows` per strip (all bands of a strip for 'pixel', one band
   * for 'band'), rounded down to whole rows of blocks but never less than one. Default 32 MiB.
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
  nodata: number | null;
  interleave: 'pixel' | 'band';
  blockSize: number;
  compression: 'deflate' | 'none';
  predictor: 1 | 2 | 3;
  deflateLevel: number;
  overviews: 'auto' | readonly number[];
  resampling: Resampling;
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
  if (compression !== 'deflate' && compression !== 'none')
    throw bad(`compression must be 'deflate' or 'none'; got '${String(compression)}'.`);
  const predictor = spec.predictor ?? (compression === 'none' ? 1 : isFloat ? 3 : 2);
  if (predictor !== 1 && compression === 'none')
    throw bad('A predictor needs compression: use predictor 1 with compression none.');
  if (predictor === 2 && isFloat) throw bad(`Predictor 2 is for integer data; use 3 for ${dtype}.`);
  if (predictor === 3 && !isFloat) throw bad(`Predictor 3 is for floating-point data; use 2 for ${dtype}.`);
  if (predictor !== 1 && predictor !== 2 && predictor !== 3)
    throw bad(`predictor must be 1, 2 or 3; got ${String(predictor)}.`);
  const deflateLevel = spec.deflateLevel ?? 6;
  if (!Number.isInteger(deflateLevel) || deflateLevel < 1 || deflateLevel > 9)
    throw bad(`deflateLevel must be 1…9; got ${deflateLevel}.`);
  const nodata = spec.nodata ?? null;
  const [lo, hi] = DTYPE_RANGE[dtype];
  if (nodata !== null && !isFloat && !(Number.isInteger(nodata) && nodata >= lo && nodata <= hi)) {
    throw bad(`nodata ${nodata} is not a ${dtype} value.`);
  }
  const t = spec.transform;
  if (t.length !== 6 || !t.every(Number.isFinite) || t[0] * t[4] - t[1] * t[3] === 0)
    throw bad('transform must be 6 finite numbers with a non-zero determinant.');
  const epsg = parseEpsg(spec.crs);
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
  const concurrency = spec.concurrency ?? 4;
  if (!isPositiveInt(concurrency)) throw bad(`concurrency must be a positive integer; got ${concurrency}.`);
  const stripBudgetBytes = spec.maxStripBytes ?? 32 * 1024 * 1024;
  if (!isPositiveInt(stripBudgetBytes)) throw bad(`maxStripBytes must be a positive integer; got ${stripBudgetBytes}.`);
  const resampling = spec.resampling ?? 'average';
  if (resampling !== 'average' && resampling !== 'nearest') throw bad(`resampling must be 'average' or 'nearest'.`);
  return {
    width,
    height,
    bands,
    dtype,
    epsg,
    geographic: spec.geographic ?? (epsg >= 4000 && epsg < 5000),
    transform: t,
    nodata,
    interleave: spec.interleave ?? 'pixel',
    blockSize,
    compression,
    predictor,
    deflateLevel,
    overviews,
    resampling,
    bigTiff: spec.bigTiff ?? 'auto',
    concurrency,
    stripBudgetBytes,
  };
}
