/**
 * Turns the IFDs @cogeotiff/core parsed into what the reader needs: sample layout, codec, block grids, the
 * resolution levels (full image + reduced-resolution IFDs) and their internal masks, georeferencing as GDAL
 * derives it (PixelIsArea/PixelIsPoint, ModelTransformation), GDAL_NODATA and the EPSG code.
 */
import { Compression, ModelTypeCode, RasterTypeKey, TiffTag, TiffTagGeo } from '@cogeotiff/core';
import type { Tiff, TiffImage, TiffTagType } from '@cogeotiff/core';

import { scaleAffine } from '../geo/affine.js';
import type { Affine } from '../geo/affine.js';
import { AppError } from '../errors.js';
import { DTYPE_RANGE, isDType, isFloatDType } from './dtype.js';
import type { DType, RasterMetadata } from './types.js';

/** How the blocks of one IFD are laid out and coded. */
export interface IfdLayout {
  /** Index of the IFD in the file (0 = first). */
  ifd: number;
  image: TiffImage;
  width: number;
  height: number;
  tiled: boolean;
  /** Tile size, or (width × rows per strip) for strips. */
  blockWidth: number;
  blockHeight: number;
  blocksAcross: number;
  blocksDown: number;
  /** Samples stored in one block: samples per pixel for PlanarConfiguration 1, else 1. */
  blockSamples: number;
  /** Number of planes (bands for PlanarConfiguration 2, else 1); block index = plane·perPlane + row·across + col. */
  planes: number;
  /** TIFF PlanarConfiguration: 1 = pixel interleaved, 2 = one block per band. */
  planar: 1 | 2;
  bitsPerSample: number;
  compression: number;
  predictor: 1 | 2 | 3;
}

/** One resolution level: its data IFD and, when present, its 1-bit internal mask IFD. */
export interface LevelLayout {
  data: IfdLayout;
  mask: IfdLayout | null;
}

const SUPPORTED_COMPRESSION: Record<number, RasterMetadata['compression']> = {
  [Compression.None]: 'none',
  [Compression.Lzw]: 'lzw',
  [Compression.Deflate]: 'deflate',
  [Compression.DeflateOther]: 'deflate',
  [Compression.Zstd]: 'zstd',
  [Compression.PackBits]: 'packbits',
};

/** A decoded block larger than this is refused (a corrupt header must not make us allocate gigabytes). */
const MAX_BLOCK_BYTES = 2 ** 30;

/** TIFF NewSubfileType bits. */
const REDUCED = 1;
const MASK = 4;

/** Reads a tag, fetching its value when it lies outside the header bytes read so far. */
async function tag<T extends keyof TiffTagType>(
  img: TiffImage,
  t: T,
  signal?: AbortSignal,
): Promise<TiffTagType[T] | null> {
  return img.fetch(t, signal ? { signal } : undefined);
}

function first(v: number | number[] | null): number | null {
  if (v === null) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

async function ifdLayout(img: TiffImage, url: string, signal?: AbortSignal): Promise<IfdLayout> {
  const width = await tag(img, TiffTag.ImageWidth, signal);
  const height = await tag(img, TiffTag.ImageHeight, signal);
  if (!width || !height) throw new AppError('raster_invalid', `${url}: IFD ${img.id} has no image width or height.`);
  const spp = first((await tag(img, TiffTag.SamplesPerPixel, signal)) as number | null) ?? 1;
  const bits = (await tag(img, TiffTag.BitsPerSample, signal)) ?? [1];
  const bitsPerSample = bits[0] ?? 1;
  if (bits.some((b) => b !== bitsPerSample)) {
    throw new AppError('raster_unsupported', `${url}: bands with different bit depths are not supported.`);
  }
  const compression = first((await tag(img, TiffTag.Compression, signal)) as number | null) ?? Compression.None;
  const planar = first((await tag(img, TiffTag.PlanarConfiguration, signal)) as number | null) ?? 1;
  const predictor = first((await tag(img, TiffTag.Predictor, signal)) as number | null) ?? 1;
  if (predictor !== 1 && predictor !== 2 && predictor !== 3) {
    throw new AppError('raster_unsupported', `${url}: TIFF predictor ${predictor} is not supported.`);
  }
  const tileWidth = await tag(img, TiffTag.TileWidth, signal);
  const tileHeight = await tag(img, TiffTag.TileHeight, signal);
  const tiled = tileWidth !== null && tileHeight !== null;
  let blockWidth: number;
  let blockHeight: number;
  if (tiled) {
    blockWidth = tileWidth;
    blockHeight = tileHeight;
  } else {
    const rps = first((await tag(img, TiffTag.RowsPerStrip, signal)) as number | null);
    blockWidth = width;
    blockHeight = rps === null || rps <= 0 || rps > height ? height : rps;
  }
  if (!(blockWidth > 0 && blockHeight > 0)) {
    throw new AppError('raster_invalid', `${url}: IFD ${img.id} has an empty block size.`);
  }
  const blockBytes = (blockWidth * blockHeight * (planar === 2 ? 1 : spp) * bitsPerSample) / 8;
  if (blockBytes > MAX_BLOCK_BYTES) {
    throw new AppError('raster_invalid', `${url}: IFD ${img.id} has ${blockBytes}-byte blocks (more than 1 GiB).`);
  }
  return {
    ifd: img.id,
    image: img,
    width,
    height,
    tiled,
    blockWidth,
    blockHeight,
    blocksAcross: Math.ceil(width / blockWidth),
    blocksDown: Math.ceil(height / blockHeight),
    blockSamples: planar === 2 ? 1 : spp,
    planes: planar === 2 ? spp : 1,
    planar: planar === 2 ? 2 : 1,
    bitsPerSample,
    compression,
    predictor,
  };
}

function dtypeOf(format: number, bits: number, url: string): DType {
  const name = format === 1 ? 'uint' : format === 2 ? 'int' : format === 3 ? 'float' : null;
  const dtype = `${name ?? '?'}${bits}`;
  if (!isDType(dtype)) {
    throw new AppError(
      'raster_unsupported',
      `${url}: samples of format ${format} with ${bits} bits are not supported.`,
    );
  }
  return dtype;
}

/** GDAL_NODATA is ASCII: a number, or "nan", "inf", "-inf" (any case). */
function parseNodata(text: string | null): number | null {
  if (text === null) return null;
  const s = text.replace(/\0/g, '').trim().toLowerCase();
  if (s === '') return null;
  if (s === 'nan' || s === '-nan') return NaN;
  if (s === 'inf' || s === '+inf' || s === 'infinity') return Infinity;
  if (s === '-inf' || s === '-infinity') return -Infinity;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/**
 * A nodata value the dtype cannot hold (e.g. 65535 on int16) matches no sample, so it is reported as none, as
 * rasterio does (upstream's reference behaviour). NaN and ±Infinity are kept for floats.
 */
function representable(nodata: number | null, dtype: DType): number | null {
  if (nodata === null) return null;
  const float = isFloatDType(dtype);
  if (Number.isNaN(nodata)) return float ? nodata : null;
  if (float && !Number.isFinite(nodata)) return nodata;
  const [lo, hi] = DTYPE_RANGE[dtype];
  return nodata >= lo && nodata <= hi ? nodata : null;
}

/** The geotransform GDAL derives from the GeoTIFF tags (identity with south-up rows when there are none). */
function geoTransform(img: TiffImage): Affine {
  const rasterType = img.valueGeo(TiffTagGeo.GTRasterTypeGeoKey);
  const m = img.value(TiffTag.ModelTransformation);
  let t: [number, number, number, number, number, number];
  const scale = img.value(TiffTag.ModelPixelScale);
  const tie = img.value(TiffTag.ModelTiePoint);
  if (m && m.length >= 8) {
    t = [m[0], m[1], m[3], m[4], m[5], m[7]];
  } else if (scale && tie && tie.length >= 6) {
    const [i, j, , x, y] = tie as [number, number, number, number, number];
    t = [scale[0], 0, x - i * scale[0], 0, -scale[1], y + j * scale[1]];
  } else {
    return [1, 0, 0, 0, 1, 0];
  }
  if (rasterType === RasterTypeKey.PixelIsPoint) {
    // The tie point names a pixel centre; GDAL moves the origin to the pixel corner.
    t[2] -= 0.5 * (t[0] + t[1]);
    t[5] -= 0.5 * (t[3] + t[4]);
  }
  return t;
}

function epsgOf(img: TiffImage): number | null {
  const model = img.valueGeo(TiffTagGeo.GTModelTypeGeoKey);
  const projected = img.valueGeo(TiffTagGeo.ProjectedCRSGeoKey);
  const geographic = img.valueGeo(TiffTagGeo.GeodeticCRSGeoKey);
  // Some writers omit GTModelTypeGeoKey: then a projected code wins over its base geographic one.
  const code =
    model === ModelTypeCode.Projected
      ? projected
      : model === ModelTypeCode.Geographic
        ? geographic
        : model === undefined || model === null
          ? (projected ?? geographic)
          : null;
  return typeof code === 'number' && code > 0 && code < 32767 ? code : null;
}

/** Everything `openCog` learns from the IFDs. */
export interface ParsedTiff {
  metadata: Omit<RasterMetadata, 'url' | 'version' | 'levels'> & { levels: RasterMetadata['levels'] };
  levels: LevelLayout[];
  littleEndian: boolean;
}

/** Classifies the IFDs of `tiff` into levels and masks and reads the raster metadata. */
export async function parseTiff(tiff: Tiff, url: string, signal?: AbortSignal): Promise<ParsedTiff> {
  const base = tiff.images[0];
  if (!base) throw new AppError('raster_invalid', `${url}: the TIFF has no image.`);
  const main = await ifdLayout(base, url, signal);
  // Other IFDs we cannot use (odd thumbnails, exotic sample layouts) are ignored rather than failing the file.
  const others = await Promise.all(tiff.images.slice(1).map((img) => ifdLayout(img, url, signal).catch(() => null)));
  const compression = SUPPORTED_COMPRESSION[main.compression];
  if (compression === undefined) {
    throw new AppError('raster_unsupported', `${url}: TIFF compression ${main.compression} is not supported.`);
  }
  const format = first((await tag(base, TiffTag.SampleFormat, signal)) as number[] | null) ?? 1;
  const dtype = dtypeOf(format, main.bitsPerSample, url);
  const bands = main.blockSamples * main.planes;

  const levels: LevelLayout[] = [{ data: main, mask: null }];
  const masks: IfdLayout[] = [];
  for (const l of others) {
    if (l === null) continue;
    const sub = first((await tag(l.image, TiffTag.SubFileType, signal)) as number | null) ?? 0;
    if ((sub & MASK) !== 0) {
      if (l.bitsPerSample === 1 && l.blockSamples * l.planes === 1 && SUPPORTED_COMPRESSION[l.compression])
        masks.push(l);
    } else if (
      (sub & REDUCED) !== 0 &&
      l.width <= main.width &&
      l.height <= main.height &&
      l.width * l.height < main.width * main.height &&
      l.blockSamples * l.planes === bands &&
      l.bitsPerSample === main.bitsPerSample
    ) {
      if (SUPPORTED_COMPRESSION[l.compression] === undefined) {
        throw new AppError('raster_unsupported', `${url}: TIFF compression ${l.compression} is not supported.`);
      }
      levels.push({ data: l, mask: null });
    }
  }
  levels.sort((a, b) => b.data.width * b.data.height - a.data.width * a.data.height);
  for (const level of levels) {
    level.mask = masks.find((m) => m.width === level.data.width && m.height === level.data.height) ?? null;
  }

  const transform = geoTransform(base);
  const epsg = epsgOf(base);
  const nodata = representable(parseNodata(await tag(base, TiffTag.GdalNoData, signal)), dtype);
  return {
    metadata: {
      width: main.width,
      height: main.height,
      bands,
      dtype,
      nodata,
      crs: epsg === null ? null : `EPSG:${epsg}`,
      transform,
      levels: levels.map(({ data }) => ({
        width: data.width,
        height: data.height,
        // Overview transforms scale by the size ratio, as GDAL does.
        transform: scaleAffine(transform, main.width / data.width, main.height / data.height),
        blockWidth: data.blockWidth,
        blockHeight: data.blockHeight,
      })),
      tiled: main.tiled,
      interleave: main.planar === 2 ? 'band' : 'pixel',
      compression,
      predictor: main.predictor,
      hasMask: levels[0]!.mask !== null,
    },
    levels,
    littleEndian: tiff.isLittleEndian,
  };
}
