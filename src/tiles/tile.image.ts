/**
 * Tile image encoding: palette PNG (default), or lossless WebP through sharp. Also the shared transparent tile
 * served, without any read, for tiles wholly outside the data.
 */
import sharp from 'sharp';
import type { TileCodes } from './colorize.js';
import { TRANSPARENT, codesToRgba } from './colorize.js';
import { encodePalettePng } from './png.encode.js';

/** Output image formats. */
export type TileFormat = 'png' | 'webp';

/** MIME type of each format. */
export const CONTENT_TYPES: Readonly<Record<TileFormat, string>> = { png: 'image/png', webp: 'image/webp' };

/** Encodes `size`×`size` codes coloured by a 256×RGBA table. */
export async function encodeTile(codes: TileCodes, size: number, format: TileFormat, lut: Uint8Array): Promise<Buffer> {
  if (format === 'png') return encodePalettePng(codes, size, size, lut);
  const rgba = codesToRgba(codes, lut);
  return sharp(rgba, { raw: { width: size, height: size, channels: 4 } })
    .webp({ lossless: true, effort: 0 })
    .toBuffer();
}

/** Encoded fully transparent tiles, made once per (size, format) and shared by every request. */
export class TransparentTiles {
  readonly #cache = new Map<string, Promise<Buffer>>();

  /** The transparent tile of this size and format. */
  get(size: number, format: TileFormat): Promise<Buffer> {
    const key = `${size}:${format}`;
    let hit = this.#cache.get(key);
    if (hit === undefined) {
      hit = encodeTile(new Uint16Array(size * size).fill(TRANSPARENT), size, format, new Uint8Array(1024));
      this.#cache.set(key, hit);
    }
    return hit;
  }
}
