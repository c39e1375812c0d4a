/**
 * The one place where a release's declared COG options (`source-manifest.yml` `release.cog` and a variable's
 * `encoding`) become COG writer options, and where options the writer cannot honour are named.
 *
 * GDAL creation option → writer option: BLOCKSIZE → blockSize; COMPRESS ZSTD/DEFLATE/LZW → compression; LEVEL →
 * level (ZSTD 1–22, DEFLATE 1–9; LZW has none); PREDICTOR → predictor; INTERLEAVE BAND/PIXEL → interleave;
 * OVERVIEW_RESAMPLING AVERAGE/MODE/NEAREST/BILINEAR/CUBIC/LANCZOS → resampling (all six; the convolutions equal
 * gdaladdo's, see raster/writer/overview.convolve.ts), overviews down to one block; STATISTICS=YES → statistics;
 * BIGTIFF YES/NO → forced, IF_SAFER/IF_NEEDED → 'auto' (BigTIFF when the file could pass 4 GiB);
 * SPARSE_OK=FALSE → every block written. Band descriptions, scale, offset and unit are set per band.
 */
import type { CogWriteSpec } from '../../raster/writer/cog.spec.js';
import type { Resampling } from '../../raster/writer/tiff.encode.pixels.js';
import type { CogOptions, Encoding } from '../format/documents.js';

/** Writer options a release declares (everything but the pixels, the grid and the band count). */
export type ReleaseWriterOptions = Pick<
  CogWriteSpec,
  | 'interleave'
  | 'blockSize'
  | 'compression'
  | 'level'
  | 'predictor'
  | 'resampling'
  | 'bigTiff'
  | 'overviews'
  | 'statistics'
  | 'scale'
  | 'offset'
>;

const LEVELS = { ZSTD: [1, 22], DEFLATE: [1, 9] } as const;

/** OVERVIEW_RESAMPLING → the writer's name (GDAL's, lower case). */
const RESAMPLING: { readonly [K in Encoding['overview_resampling']]: Resampling } = {
  AVERAGE: 'average',
  MODE: 'mode',
  NEAREST: 'nearest',
  BILINEAR: 'bilinear',
  CUBIC: 'cubic',
  LANCZOS: 'lanczos',
};

/**
 * Options the writer cannot produce as declared (empty when it can), as messages. Every variable `encoding` is
 * supported today (all six overview resamplings, approved narrowings); it stays a parameter for the next one.
 */
export function unsupportedOptions(cog: CogOptions, _encoding: Encoding): string[] {
  const out: string[] = [];
  if (cog.interleave === 'TILE') out.push('interleave TILE (the writer writes BAND or PIXEL)');
  if (cog.level !== null) {
    if (cog.compress === 'LZW') out.push('a level for LZW (LZW has none)');
    else {
      const [lo, hi] = LEVELS[cog.compress];
      if (cog.level < lo || cog.level > hi) out.push(`${cog.compress} level ${cog.level} (${lo}–${hi})`);
    }
  }
  return out;
}

/** Writer options for one variable. */
export function writerOptions(cog: CogOptions, encoding: Encoding): ReleaseWriterOptions {
  return {
    interleave: cog.interleave === 'PIXEL' ? 'pixel' : 'band',
    blockSize: cog.blocksize,
    compression: cog.compress === 'ZSTD' ? 'zstd' : cog.compress === 'LZW' ? 'lzw' : 'deflate',
    ...(cog.level !== null && cog.compress !== 'LZW' ? { level: cog.level } : {}),
    predictor: encoding.predictor,
    resampling: RESAMPLING[encoding.overview_resampling],
    bigTiff: cog.bigtiff === 'YES' ? true : cog.bigtiff === 'NO' ? false : 'auto',
    overviews: 'auto',
    statistics: true,
    scale: encoding.scale,
    offset: encoding.offset,
  };
}
