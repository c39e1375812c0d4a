/**
 * The COG writer's plan: the resolution levels of a checked spec, and the tags of each level's IFD. Pure.
 */
import { dtypeBytes } from '../dtype.js';
import { statisticsItems } from './band.stats.js';
import type { BandStatistics } from './band.stats.js';
import type { ResolvedSpec } from './cog.spec.js';
import { Tag, TagType } from './tiff.encode.js';
import type { TiffTag } from './tiff.encode.js';
import { sampleFormat } from './tiff.encode.pixels.js';

/** One resolution level: `factor` 1 is full resolution; sizes are ceil(full / factor) as in GDAL. */
export interface LevelPlan {
  factor: number;
  width: number;
  height: number;
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

/** TIFF Compression tag values. */
const COMPRESSION_CODE = { none: 1, lzw: 5, deflate: 8, zstd: 50000 } as const;

/** GDAL_NODATA text as GDAL writes it (`nan`, `inf`, shortest round-trip decimal otherwise). */
function nodataText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

const escapeXml = (v: string): string =>
  v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The GDAL_METADATA (tag 42112) XML of the full-resolution IFD, as GDAL's GTiff driver writes it, or null when
 * there is nothing to say: per band (`sample` is 0-based) its statistics items, then OFFSET/SCALE (both, unless
 * both are identity), UNITTYPE and DESCRIPTION. GDAL escapes item values twice (once itself, once when
 * serialising the XML) and unescapes twice when reading, so we do the same: `a&b` is stored as `a&amp;amp;b`.
 */
export function gdalMetadataXml(s: ResolvedSpec, stats: readonly BandStatistics[] | null): string | null {
  const lines: string[] = [];
  const item = (name: string, band: number, value: string, role?: string): void => {
    const r = role ? ` role="${role}"` : '';
    lines.push(`  <Item name="${name}" sample="${band}"${r}>${escapeXml(escapeXml(value))}</Item>`);
  };
  for (let b = 0; b < s.bands; b++) {
    const st = stats?.[b];
    if (st) for (const [name, value] of statisticsItems(st)) item(name, b, value);
    if (s.scale !== 1 || s.offset !== 0) {
      item('OFFSET', b, formatDouble(s.offset), 'offset');
      item('SCALE', b, formatDouble(s.scale), 'scale');
    }
    if (s.units !== null && s.units !== '') item('UNITTYPE', b, s.units, 'unittype');
    const description = s.bandDescriptions?.[b];
    if (description !== undefined && description !== '') item('DESCRIPTION', b, description, 'description');
  }
  if (lines.length === 0) return null;
  return `<GDALMetadata>\n${lines.join('\n')}\n</GDALMetadata>\n`;
}

/** A double as GDAL writes scale and offset (`%.18g` there; the shortest round-trip text reads back the same). */
function formatDouble(v: number): string {
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
  metadataXml: string | null = null,
): TiffTag[] {
  const { SHORT, LONG, DOUBLE, ASCII, LONG8 } = TagType;
  const spp = s.bands;
  const counts = byteCounts.length === offsets.length ? byteCounts : offsets.map(() => 0);
  const tags: TiffTag[] = [
    { tag: Tag.NewSubfileType, type: LONG, values: [k === 0 ? 0 : 1] },
    { tag: Tag.ImageWidth, type: LONG, values: [level.width] },
    { tag: Tag.ImageLength, type: LONG, values: [level.height] },
    { tag: Tag.BitsPerSample, type: SHORT, values: new Array<number>(spp).fill(dtypeBytes(s.dtype) * 8) },
    { tag: Tag.Compression, type: SHORT, values: [COMPRESSION_CODE[s.compression]] },
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
  // ASCII tags carry bytes: GDAL writes the XML as UTF-8.
  if (k === 0 && metadataXml !== null)
    tags.push({ tag: Tag.GdalMetadata, type: ASCII, values: Buffer.from(metadataXml, 'utf8').toString('latin1') });
  if (k === 0) {
    const [a, b, c0, d, e, f0] = s.transform;
    // PixelIsPoint: GDAL ties the first cell's centre, not its corner (and readers undo it).
    const point = s.areaOrPoint === 'Point';
    const c = point ? c0 + 0.5 * (a + b) : c0;
    const f = point ? f0 + 0.5 * (d + e) : f0;
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
    // GeoKeyDirectory: version 1.1.0; GTModelType, GTRasterType (1 PixelIsArea, 2 PixelIsPoint), the EPSG code.
    const keys = [
      [1024, 0, 1, s.geographic ? 2 : 1],
      [1025, 0, 1, point ? 2 : 1],
      [s.geographic ? 2048 : 3072, 0, 1, s.epsg],
    ];
    tags.push({ tag: Tag.GeoKeyDirectory, type: SHORT, values: [1, 1, 0, keys.length, ...keys.flat()] });
  }
  return tags;
}
