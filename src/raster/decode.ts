/**
 * Decodes one stored block (tile or strip) into native-endian samples: decompress, fix byte order, undo the
 * predictor. Pure apart from DEFLATE, which runs on the libuv thread pool.
 */
import { inflate, inflatePrefix } from './codecs/deflate.js';
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

/** Bytes of one decoded row. */
export function rowBytes(c: BlockCoding): number {
  return Math.ceil((c.width * c.samples * c.bitsPerSample) / 8);
}

/**
 * Decompresses `raw` (the stored bytes of one block) into a fresh, sample-aligned buffer that the caller may keep.
 * With `needRows` < rows, DEFLATE, LZW, PackBits and uncompressed blocks may stop after those first rows (the result
 * then holds a whole number of rows ≥ needRows); otherwise it holds exactly `decodedBytes(c)` bytes. Byte order and
 * predictor are NOT yet applied: see `finishRows`.
 * @throws Error when the data is corrupt or short (the caller names the file).
 */
export async function inflateBlock(
  raw: Uint8Array,
  c: BlockCoding,
  zstd: ZstdDecode | null,
  needRows: number = c.rows,
): Promise<Uint8Array> {
  const expected = decodedBytes(c);
  const perRow = rowBytes(c);
  const needed = Math.min(expected, Math.max(1, needRows) * perRow);
  let out: Uint8Array | null = null;
  switch (c.compression) {
    case 1:
      if (raw.length < needed) throw new Error(`uncompressed block has ${raw.length} of ${expected} bytes`);
      out = raw.slice(0, needed); // a copy: the source may share its buffer, and rows are modified in place
      break;
    case 8:
    case 32946:
      if (needed < expected) out = await inflatePrefix(raw, expected, needed);
      out ??= await inflate(raw, expected);
      break;
    case 5:
      out = lzwDecode(raw, needed);
      break;
    case 32773:
      out = unpackBits(raw, needed);
      break;
    case 50000:
      if (!zstd) throw new Error('no ZSTD decoder');
      out = await zstd(raw, expected);
      break;
    default:
      throw new Error(`compression ${c.compression} is not supported`);
  }
  if (out.length < needed) throw new Error(`block decoded to ${out.length} of ${expected} bytes`);
  // Keep whole rows only; re-align when zlib handed back a view into a shared pool.
  const keep = out.length >= expected ? expected : out.length - (out.length % perRow);
  const bytesPerSample = c.bitsPerSample >> 3;
  if (out.length !== keep || (bytesPerSample > 1 && out.byteOffset % bytesPerSample !== 0)) {
    out = out.byteOffset % 8 === 0 ? out.subarray(0, keep) : out.slice(0, keep);
  }
  return out;
}

/** True when rows of this coding need finishing (byte swap or predictor) after `inflateBlock`. */
export function needsFinishing(c: BlockCoding): boolean {
  const bytesPerSample = c.bitsPerSample >> 3;
  if (bytesPerSample === 0) return false; // 1-bit mask
  return c.predictor !== 1 || (!c.littleEndian && bytesPerSample > 1);
}

/**
 * Puts rows [r0, r1) of an inflated block into native byte order and undoes the predictor, in place. Rows are
 * independent, so a reader can finish only the rows its window needs; with `cols`, only the first `cols` pixels of
 * each row are guaranteed finished (horizontal differencing runs left to right, so a window ending early in the
 * block stops there). Blocks kept in a cache must be finished whole (the default).
 */
export function finishRows(buf: Uint8Array, c: BlockCoding, r0: number, r1: number, cols: number = c.width): void {
  const bytesPerSample = c.bitsPerSample >> 3;
  if (bytesPerSample === 0 || r1 <= r0) return;
  const rowSamples = c.width * c.samples;
  const perRow = rowSamples * bytesPerSample;
  const rows = buf.subarray(r0 * perRow, r1 * perRow);
  if (!c.littleEndian && bytesPerSample > 1 && c.predictor !== 3) swapBytes(rows, bytesPerSample);
  if (c.predictor === 2) undoHorizontal(rows, bytesPerSample, r1 - r0, rowSamples, c.samples, cols * c.samples);
  else if (c.predictor === 3) undoFloatingPoint(rows, bytesPerSample, r1 - r0, rowSamples, c.samples);
}
