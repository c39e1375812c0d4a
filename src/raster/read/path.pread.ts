/**
 * The 'pread' read path: blocks read with synchronous preads and decoded one after another in file order (plane,
 * block row, block column) through the thread scratch (`scratch.ts`): no promise and no buffer per block. For sources
 * with `readSync` (local files on a worker thread) and DEFLATE blocks read without the block cache.
 */
import { abortError } from '../../errors.js';
import { inflatesPrefix, prefixBytes, rawScratch, readIntoScratch } from './scratch.js';
import type { ReadSync, ScratchDecoder } from './scratch.js';
import { StoredBlocks } from './stored.js';
import { blockClip, type BlockWalk } from './walk.js';

/** Largest single read of consecutive blocks. */
const MERGED_READ_BYTES = 1024 * 1024;

/** Event-loop time (ms) the walk may hold before it yields, so an abort message can arrive. */
const YIELD_AFTER_MS = 20;

/**
 * Hands every block of `walk` to its sink, reading with `readSync` and decoding with `decoder`. Checks the signal
 * between blocks.
 * @throws AppError `raster_invalid` (index unreadable, block past the end of the file, truncated or corrupt) |
 *   `aborted` | source errors
 */
export async function preadBlocks(
  walk: BlockWalk,
  stored: StoredBlocks,
  readSync: ReadSync,
  decoder: ScratchDecoder,
): Promise<void> {
  const { layout: data, planes, area: w, signal, sink } = walk;
  const index = await stored.index(data, signal);
  const prefixes = inflatesPrefix();
  let lastYield = performance.now();
  // The file range now in the raw scratch.
  let loadedOffset = 0;
  let loadedLength = 0;
  /** Reads `length` bytes at `offset` into the raw scratch; fewer than `min` means block `n` is truncated. */
  const read = (offset: number, length: number, n: number, min: number): Uint8Array => {
    const got = readIntoScratch(readSync, offset, length);
    if (got.length < min) throw stored.truncated(data, n);
    return got;
  };
  for (const plane of planes) {
    for (let by = Math.floor(w.r0 / data.blockHeight); by * data.blockHeight < w.r1; by++) {
      for (let bx = Math.floor(w.c0 / data.blockWidth); bx * data.blockWidth < w.c1; bx++) {
        if (performance.now() - lastYield > YIELD_AFTER_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          loadedLength = 0; // another read on this thread may have used the shared raw scratch meanwhile
        }
        if (signal?.aborted) throw abortError(signal);
        const x0 = bx * data.blockWidth;
        const y0 = by * data.blockHeight;
        const clip = blockClip(w, data, bx, by);
        const n = StoredBlocks.number(data, plane, bx, by);
        const offset = index.offsets[n] ?? 0;
        const count = index.counts[n] ?? 0;
        if (offset === 0 || count === 0) {
          sink(plane, null, x0, y0, clip, 'values');
          continue;
        }
        stored.checkInside(data, n, offset, count);
        const r0 = clip.r0 - y0;
        const r1 = clip.r1 - y0;
        const loaded = offset >= loadedOffset && offset + count <= loadedOffset + loadedLength;
        // Rows of the block that hold data (a tiled image's last block row is padded, and padding costs no bytes).
        const rows = Math.min(stored.coding(data, by).rows, data.height - y0);
        const want = loaded || !prefixes ? count : prefixBytes(count, r1, rows);
        if (want < count) {
          // The window needs only the top rows of this block, and DEFLATE decodes from the start: read the share of
          // the stored bytes that holds them (with a margin), and the rest only if the inflater runs out.
          const raw = read(offset, want, n, want);
          loadedLength = 0;
          const rest = (): Uint8Array => read(offset + want, count - want, n, count - want);
          sink(plane, decoder.inflate(raw, n, by, r0, r1, clip.c1 - x0, rest), x0, y0, clip, decoder.rows);
          continue;
        }
        if (!loaded) {
          // Read this block and the blocks of the row that follow it in the file with no gap (a COG stores a band's
          // tiles row by row) in one call, up to 1 MiB.
          let length = count;
          for (let next = bx + 1; next * data.blockWidth < w.c1; next++) {
            const m = n + (next - bx);
            const o = index.offsets[m] ?? 0;
            const c = index.counts[m] ?? 0;
            if (o !== offset + length || c === 0 || length + c > MERGED_READ_BYTES || o + c > stored.size) break;
            length += c;
          }
          loadedLength = read(offset, length, n, count).length;
          loadedOffset = offset;
        }
        const raw = rawScratch(offset - loadedOffset, offset - loadedOffset + count);
        sink(plane, decoder.inflate(raw, n, by, r0, r1, clip.c1 - x0), x0, y0, clip, decoder.rows);
      }
    }
  }
}
