/**
 * The COG writer's plan: the validated spec with defaults filled in, the resolution levels, and the tags of
 * each level's IFD. Pure.
 */
import { AppError } from '../errors.js';
import type { CogWriteSpec } from './cog.writer.js';
import { Tag, TagType } from './tiff.encode.js';
import type { TiffTag } from './tiff.encode.js';
import { dtypeBytes, sampleFormat } from './tiff.encode.pixels.js';
import type { Resampling } from './tiff.encode.pixels.js';

/** A spec with every default applied and every field checked. */
export interface ResolvedSpec {
  width: number;
  height: number;
  bands: number;
  dtype: CogWriteSpec['dtype'];
  epsg: number;
  geographic: boolean;
  transform: CogWriteSpec['transform'];
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

/** One resolution level: `factor` 1 is full resolution; sizes are ceil(full / factor) as in GDAL. */
export interface LevelPlan {
  factor: number;
  width: number;
  height: number;
}

const INT_RANGE: Partial<Record<CogWriteSpec['dtype'], [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

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
  if (!(dtype in INT_RANGE) && dtype !== 'float32' && dtype !== 'float64')
    throw bad(`Unknown dtype '${String(dtype)}'.`);
  const isFloat = dtype === 'float32' || dtype === 'float64';
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
  const range = INT_RANGE[dtype];
  if (nodata !== null && range && !(Number.isInteger(nodata) && nodata >= range[0] && nodata <= range[1])) {
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

/** Level 0 then the overviews, coarsest last. 'auto' halves until the level fits in one block (GDAL's COG rule). */
export function planLevels(s: ResolvedSpec): LevelPlan[] {
  const level = (factor: number): LevelPlan => ({
    factor,
    width: Math.ceil(s.width / factor),
    height: Math.ceil(s.height / factor),
  });
  const levels = [level(1)];
  if (s.overviews === 'auto') {
    for (let f = 2; ; f *= 2) {
      const last = levels[levels.length - 1] as LevelPlan;
      if (last.width <= s.blockSize && last.height <= s.blockSize) break;
      levels.push(level(f));
    }
  } else {
    for (const f of s.overviews) levels.push(level(f));
  }
  return levels;
}

/** GDAL_NODATA text as GDAL writes it (`nan`, `inf`, shortest round-trip decimal otherwise). */
export function nodataText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/**
 * Tags of IFD `k` (0 = full resolution, carrying the georeferencing) with the given absolute block offsets
 * and byte counts (TIFF block order: row-major, band after band for 'band' interleave).
 */
export function buildIfdTags(
  s: ResolvedSpec,
  level: LevelPlan,
  k: number,
  bigTiff: boolean,
  offsets: readonly number[],
  byteCounts: readonly number[],
): TiffTag[] {
  const { SHORT, LONG, DOUBLE, ASCII, LONG8 } = TagType;
  const spp = s.bands;
  const counts = byteCounts.length === offsets.length ? byteCounts : offsets.map(() => 0);
  const tags: TiffTag[] = [
    { tag: Tag.NewSubfileType, type: LONG, values: [k === 0 ? 0 : 1] },
    { tag: Tag.ImageWidth, type: LONG, values: [level.width] },
    { tag: Tag.ImageLength, type: LONG, values: [level.height] },
    { tag: Tag.BitsPerSample, type: SHORT, values: new Array<number>(spp).fill(dtypeBytes(s.dtype) * 8) },
    { tag: Tag.Compression, type: SHORT, values: [s.compression === 'deflate' ? 8 : 1] },
    { tag: Tag.Photometric, type: SHORT, values: [1] },
    { tag: Tag.SamplesPerPixel, type: SHORT, values: [spp] },
    { tag: Tag.PlanarConfiguration, type: SHORT, values: [s.interleave === 'pixel' ? 1 : 2] },
    { tag: Tag.TileWidth, type: SHORT, values: [s.blockSize] },
    { tag: Tag.TileLength, type: SHORT, values: [s.blockSize] },
    { tag: Tag.TileOffsets, type: bigTiff ? LONG8 : LONG, values: offsets },
    { tag: Tag.TileByteCounts, type: bigTiff ? LONG8 : LONG, values: counts },
    { tag: Tag.SampleFormat, type: SHORT, values: new Array<number>(spp).fill(sampleFormat(s.dtype)) },
  ];
  if (s.predictor !== 1) tags.push({ tag: Tag.Predictor, type: SHORT, values: [s.predictor] });
  // Extra bands of a MinIsBlack image are "unspecified" extra samples, as GDAL writes them.
  if (spp > 1) tags.push({ tag: Tag.ExtraSamples, type: SHORT, values: new Array<number>(spp - 1).fill(0) });
  if (s.nodata !== null) tags.push({ tag: Tag.GdalNodata, type: ASCII, values: nodataText(s.nodata) });
  if (k === 0) {
    const [a, b, c, d, e, f] = s.transform;
    if (b === 0 && d === 0) {
      tags.push({ tag: Tag.ModelPixelScale, type: DOUBLE, values: [a, -e, 0] });
      tags.push({ tag: Tag.ModelTiepoint, type: DOUBLE, values: [0, 0, 0, c, f, 0] });
    } else {
      tags.push({
        tag: Tag.ModelTransformation,
        type: DOUBLE,
        values: [a, b, 0, c, d, e, 0, f, 0, 0, 0, 0, 0, 0, 0, 1],
      });
    }
    // GeoKeyDirectory: version 1.1.0; GTModelType, GTRasterType = PixelIsArea, then the EPSG code.
    const keys = [
      [1024, 0, 1, s.geographic ? 2 : 1],
      [1025, 0, 1, 1],
      [s.geographic ? 2048 : 3072, 0, 1, s.epsg],
    ];
    tags.push({ tag: Tag.GeoKeyDirectory, type: SHORT, values: [1, 1, 0, keys.length, ...keys.flat()] });
  }
  return tags;
}
