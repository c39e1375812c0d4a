/**
 * Reading a source datacube through the project's byte sources (local path, `file://`, `http(s)://`, `s3://`):
 * its raster metadata (our COG reader), the GDAL metadata our reader does not report (band descriptions, scale,
 * offset) and `AREA_OR_POINT`, and its SHA-256 streamed with ranged reads (never downloaded to disk).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { RasterTypeKey, Tiff, TiffTag, TiffTagGeo } from '@cogeotiff/core';
import type { TiffImage } from '@cogeotiff/core';
import { openCog } from '../raster/cog.js';
import type { Cog, RasterMetadata } from '../raster/types.js';
import type { ByteSource, SourceResolver } from '../storage/source.js';

/** GDAL metadata of a GeoTIFF (the GDAL_METADATA tag), per band (1-based) and for the dataset. */
export interface GdalMetadata {
  /** Band descriptions, index 0 = band 1; '' when a band has none. */
  descriptions: string[];
  /** Per-band scale and offset (null when absent: 1 and 0). */
  scales: (number | null)[];
  offsets: (number | null)[];
  /** Per-band items by name (e.g. STATISTICS_MEAN), index 0 = band 1. */
  bandItems: Map<string, string>[];
  /** Dataset-level items. */
  items: Map<string, string>;
}

const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');

/** Parse a GDAL_METADATA XML text for a file of `bands` bands. */
export function parseGdalMetadata(xml: string | null, bands: number): GdalMetadata {
  const out: GdalMetadata = {
    descriptions: Array.from({ length: bands }, () => ''),
    scales: Array.from({ length: bands }, () => null),
    offsets: Array.from({ length: bands }, () => null),
    bandItems: Array.from({ length: bands }, () => new Map<string, string>()),
    items: new Map(),
  };
  if (xml === null) return out;
  const re = /<Item\s+([^>]*?)\s*(?:\/>|>([\s\S]*?)<\/Item>)/g;
  for (const m of xml.matchAll(re)) {
    const attrs = new Map(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1] ?? '', unescapeXml(a[2] ?? '')]),
    );
    const name = attrs.get('name') ?? '';
    const value = unescapeXml(m[2] ?? '');
    const sample = attrs.get('sample');
    if (sample === undefined) {
      out.items.set(name, value);
      continue;
    }
    const i = Number(sample);
    if (!Number.isInteger(i) || i < 0 || i >= bands) continue;
    const role = attrs.get('role');
    if (role === 'description') out.descriptions[i] = value;
    else if (role === 'scale') out.scales[i] = Number(value);
    else if (role === 'offset') out.offsets[i] = Number(value);
    else (out.bandItems[i] as Map<string, string>).set(name, value);
  }
  return out;
}

/**
 * The GDAL_METADATA text of an image, read as UTF-8 bytes. Read by hand when not loaded yet: @cogeotiff/core
 * decodes ASCII tags with one `String.fromCharCode.apply`, which overflows the stack for the XML of a cube of
 * a few thousand bands (and decodes bytes as Latin-1).
 */
async function gdalMetadataText(img: TiffImage, source: ByteSource): Promise<string | null> {
  const tag = img.tags.get(TiffTag.GdalMetadata);
  if (tag === undefined) return null;
  let bytes: Uint8Array;
  if (tag.type === 'lazy' && tag.value === undefined)
    bytes = new Uint8Array(await source.fetch(tag.dataOffset, tag.count));
  else if (typeof tag.value === 'string') bytes = Buffer.from(tag.value, 'latin1');
  else return null;
  const end = bytes.indexOf(0);
  return new TextDecoder('utf-8').decode(end >= 0 ? bytes.subarray(0, end) : bytes);
}

/** An opened source: its reader, metadata and GDAL metadata. Close it when done. */
export interface OpenedSource {
  uri: string;
  source: ByteSource;
  cog: Cog;
  metadata: RasterMetadata;
  gdal: GdalMetadata;
  /** GDAL's AREA_OR_POINT: `Area` unless the GeoKeys say PixelIsPoint. */
  areaOrPoint: 'Area' | 'Point';
  close(): Promise<void>;
}

/** Where a source URI points: URLs as given, plain paths relative to `baseDir` (the dataset's directory). */
export function resolveSourceUri(uri: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  return isAbsolute(uri) ? uri : resolve(baseDir, uri);
}

/** Open a source: header reads only. @throws AppError from the source or reader. */
export async function openSource(resolver: SourceResolver, uri: string): Promise<OpenedSource> {
  return openByteSource(resolver.open(uri), uri);
}

/** Open a ByteSource as a source (closing it on failure). */
export async function openByteSource(source: ByteSource, uri: string): Promise<OpenedSource> {
  try {
    const cog = await openCog(source);
    const tiff = await Tiff.create(source);
    const img = tiff.images[0];
    const xml = img ? await gdalMetadataText(img, source) : null;
    const gdal = parseGdalMetadata(xml, cog.metadata.bands);
    const areaOrPoint = img?.valueGeo(TiffTagGeo.GTRasterTypeGeoKey) === RasterTypeKey.PixelIsPoint ? 'Point' : 'Area';
    return {
      uri,
      source,
      cog,
      metadata: cog.metadata,
      gdal,
      areaOrPoint,
      async close() {
        await cog.close();
        await source.close?.();
      },
    };
  } catch (err) {
    await source.close?.();
    throw err;
  }
}

/** SHA-256 (hex) of a source's bytes, streamed in ranged reads of `chunkBytes`; `onBytes` reports progress. */
export async function sha256Source(
  source: ByteSource,
  options: { chunkBytes?: number; onBytes?: (n: number) => void; signal?: AbortSignal } = {},
): Promise<{ hex: string; size: number }> {
  const { size } = await source.head(options.signal ? { signal: options.signal } : undefined);
  const step = options.chunkBytes ?? 8 * 1024 * 1024;
  const hash = createHash('sha256');
  // One read ahead: the next range is in flight while the current one is hashed.
  let next: Promise<ArrayBuffer> | null = size > 0 ? source.fetch(0, Math.min(step, size)) : null;
  for (let offset = 0; offset < size; offset += step) {
    const buf = await (next as Promise<ArrayBuffer>);
    const following = offset + step;
    next = following < size ? source.fetch(following, Math.min(step, size - following)) : null;
    if (buf.byteLength !== Math.min(step, size - offset))
      throw new Error(`${source.url.href}: short read at ${offset}`);
    hash.update(new Uint8Array(buf));
    options.onBytes?.(buf.byteLength);
  }
  return { hex: hash.digest('hex'), size };
}
