/**
 * The one place where a release's declared COG options (`source-manifest.yml` `release.cog` and a variable's
 * `encoding`) become COG writer options, and where options the writer cannot honour yet are named.
 */
import type { CogWriteSpec } from '../../raster/writer/cog.spec.js';
import type { CogOptions, Encoding } from '../format/documents.js';

/** Writer options a release declares (everything but the pixels, grid and band count). */
export type ReleaseWriterOptions = Pick<
  CogWriteSpec,
  'interleave' | 'blockSize' | 'compression' | 'predictor' | 'deflateLevel' | 'resampling' | 'bigTiff' | 'overviews'
>;

/** Options the writer cannot produce as declared (empty when it can), as messages. */
export function unsupportedOptions(cog: CogOptions, encoding: Encoding): string[] {
  const out: string[] = [];
  if (cog.compress !== 'DEFLATE') out.push(`compression ${cog.compress} (this writer writes DEFLATE)`);
  if (cog.interleave === 'TILE') out.push('interleave TILE (this writer writes BAND or PIXEL)');
  if (cog.compress === 'DEFLATE' && cog.level !== null && (cog.level < 1 || cog.level > 9))
    out.push(`DEFLATE level ${cog.level} (1–9)`);
  if (encoding.overview_resampling !== 'AVERAGE' && encoding.overview_resampling !== 'NEAREST')
    out.push(`overview resampling ${encoding.overview_resampling} (this writer does AVERAGE and NEAREST)`);
  if (encoding.narrowing !== null) out.push('an approved narrowing (this builder preserves the source data type)');
  return out;
}

/**
 * Writer options for one variable. Overviews go down to one block. BIGTIFF `IF_SAFER` and `IF_NEEDED` both map to
 * the writer's 'auto' (BigTIFF when the file could pass 4 GiB); `YES`/`NO` force it.
 */
export function writerOptions(cog: CogOptions, encoding: Encoding): ReleaseWriterOptions {
  return {
    interleave: cog.interleave === 'PIXEL' ? 'pixel' : 'band',
    blockSize: cog.blocksize,
    compression: 'deflate',
    predictor: encoding.predictor,
    deflateLevel: cog.level ?? 6,
    resampling: encoding.overview_resampling === 'NEAREST' ? 'nearest' : 'average',
    bigTiff: cog.bigtiff === 'YES' ? true : cog.bigtiff === 'NO' ? false : 'auto',
    overviews: 'auto',
  };
}

/** The GDAL creation options the declaration stands for (documentation of what the bytes follow). */
export function gdalCreationOptions(cog: CogOptions, encoding: Encoding): string[] {
  return [
    `BLOCKSIZE=${cog.blocksize}`,
    `COMPRESS=${cog.compress}`,
    ...(cog.level !== null ? [`LEVEL=${cog.level}`] : []),
    `PREDICTOR=${encoding.predictor}`,
    `INTERLEAVE=${cog.interleave}`,
    'OVERVIEWS=IGNORE_EXISTING',
    `OVERVIEW_RESAMPLING=${encoding.overview_resampling}`,
    'STATISTICS=YES',
    `BIGTIFF=${cog.bigtiff}`,
    'SPARSE_OK=FALSE',
  ];
}
