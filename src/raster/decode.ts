/**
 * Decodes one stored block (tile or strip) into native-endian samples: decompress, fix byte order, undo the
 * predictor. Pure apart from DEFLATE, which runs on the libuv thread pool.
 */
import { inflate } from './codecs/deflate.js';
import { lzwDecode } from './codecs/lzw.js';
import { unpackBits } from './codecs/packbits.js';
import { swapBytes, undoFloatingPoint, undoHorizontal } from './codecs/predictor.js';
import type { ZstdDecode } from './codecs/zstd.js';

/** How one block is coded. */
export interface BlockCoding {
  /** TIFF Compression tag value (1, 5, 8/32946, 32773, 50000). */
  compression: number;
  predictor: 1 | 2 | 3;
  /** 1 for masks, else 8, 16, 32 or 64. */
  bitsPerSample: number;
  /** Samples interleaved in the block (samples per pixel, or 1 for band-interleaved files). */
  samples: number;
  /** Block width in pixels (the tile width, or the image width for strips). */
  width: number;
  /** Rows stored in this block (the tile height; fewer for the last strip). */
  rows: number;
  littleEndian: boolean;
}

/** Bytes of one decoded block. */
export function decodedBytes(c: BlockCoding): number {
  return c.rows * Math.ceil((c.width * c.samples * c.bitsPerSample) / 8);
}

/**
 * Decodes `raw` (the stored bytes of one block). The result is a fresh, `bitsPerSample`-aligned buffer of exactly
 * `decodedBytes(c)` bytes that the caller may keep.
 * @throws Error when the data is corrupt or short (the caller names the file).
 */
export async function decodeBlock(raw: Uint8Array, c: BlockCoding, zstd: ZstdDecode | null): Promise<Uint8Array> {
  const expected = decodedBytes(c);
  let out: Uint8Array;
  switch (c.compression) {
    case 1:
      if (raw.length < expected) throw new Error(`uncompressed block has ${raw.length} of ${expected} bytes`);
      out = raw.slice(0, expected); // a copy: the source may share its buffer, and we modify in place below
      break;
    case 8:
    case 32946:
      out = await inflate(raw, expected);
      break;
    case 5:
      out = lzwDecode(raw, expected);
      break;
    case 32773:
      out = unpackBits(raw, expected);
      break;
    case 50000:
      if (!zstd) throw new Error('no ZSTD decoder');
      out = zstd(raw, expected);
      break;
    default:
      throw new Error(`compression ${c.compression} is not supported`);
  }
  if (out.length < expected) throw new Error(`block decoded to ${out.length} of ${expected} bytes`);
  const bytesPerSample = c.bitsPerSample >> 3;
  if (out.length !== expected || (bytesPerSample > 1 && out.byteOffset % bytesPerSample !== 0)) {
    out = out.slice(0, expected); // zlib may return a view into a shared pool: re-align for typed-array views
  }
  if (bytesPerSample === 0) return out; // 1-bit mask: no byte order, no predictor
  if (!c.littleEndian && bytesPerSample > 1 && c.predictor !== 3) swapBytes(out, bytesPerSample);
  const rowSamples = c.width * c.samples;
  if (c.predictor === 2) undoHorizontal(out, bytesPerSample, c.rows, rowSamples, c.samples);
  else if (c.predictor === 3) undoFloatingPoint(out, bytesPerSample, c.rows, rowSamples, c.samples);
  return out;
}
