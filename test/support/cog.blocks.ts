/**
 * Test support: where a COG's blocks are, read with @cogeotiff/core (independent of our reader), and opening a COG
 * from a header that ends before its first block, so every block read is a fetch the test can count (the reader
 * otherwise serves blocks lying inside the 64 KiB header prefix from memory, which holds all of a tiny fixture).
 */
import { readFile } from 'node:fs/promises';
import { Tiff, TiffTag } from '@cogeotiff/core';
import { openCog, type OpenCogOptions } from '../../src/raster/cog.js';
import type { Cog } from '../../src/raster/types.js';
import { TestFileSource } from './file.source.js';

/** Offset and stored size of block (`bx`, `by`) of `band` (1-based) in the first image of the file at `path`. */
export async function blockRange(path: string, band: number, bx: number, by: number): Promise<[number, number]> {
  const source = new TestFileSource(path);
  try {
    const img = (await Tiff.create(source)).images[0];
    if (!img) throw new Error(`${path} has no image`);
    const planar = img.value(TiffTag.PlanarConfiguration) === 2;
    const { x, y } = img.tileCount;
    const { offset, imageSize } = await img.getTileSize((planar ? (band - 1) * x * y : 0) + by * x + bx);
    return [offset, imageSize];
  } finally {
    await source.close();
  }
}

/** The smallest offset of any block of any image of the file. */
async function firstBlock(path: string): Promise<number> {
  const source = new TestFileSource(path);
  try {
    let first = Infinity;
    for (const img of (await Tiff.create(source)).images) {
      const offsets = (await img.fetch(TiffTag.TileOffsets)) ?? (await img.fetch(TiffTag.StripOffsets)) ?? [];
      for (const o of offsets) if (o > 0) first = Math.min(first, o);
    }
    return first;
  } finally {
    await source.close();
  }
}

/** Opens `source` with a header of the file's bytes up to its first block: no block is in memory before a read. */
export async function openWithoutBlocksInHeader(source: TestFileSource, options: OpenCogOptions = {}): Promise<Cog> {
  const bytes = new Uint8Array(await readFile(source.path));
  const prefix = bytes.slice(0, await firstBlock(source.path));
  return openCog(source, { ...options, header: { size: bytes.length, prefix } });
}
