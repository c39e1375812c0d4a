/**
 * The 'scratch' read path: the blocks of a window are fetched concurrently (started in one turn, so the byte source
 * can merge adjacent ranges into one request), and each is inflated into the thread scratch (`scratch.ts`) as it
 * arrives and handed on in the same synchronous step, so one buffer serves every block. For DEFLATE blocks read
 * without the block cache from sources without synchronous reads (or levels with a mask).
 */
import type { LimitFunction } from 'p-limit';

import type { ScratchDecoder } from './scratch.js';
import { StoredBlocks } from './stored.js';
import { visitBlocks, type BlockWalk } from './walk.js';

/**
 * Hands every block of `walk` to its sink, fetching through `fetches` (which bounds the fetches in flight); `keep`
 * false for reads that bypass the caches (the byte cache does not keep their blocks either).
 * @throws AppError `raster_invalid` (index unreadable, block past the end of the file, truncated or corrupt) |
 *   source errors (`aborted` among them)
 */
export function scratchBlocks(
  walk: BlockWalk,
  stored: StoredBlocks,
  decoder: ScratchDecoder,
  fetches: LimitFunction,
  keep = true,
): Promise<void> {
  const { layout, signal, sink } = walk;
  return visitBlocks(walk, fetches, async (plane, bx, by, clip) => {
    const x0 = bx * layout.blockWidth;
    const y0 = by * layout.blockHeight;
    const raw = await stored.fetchBlock(layout, plane, bx, by, signal, keep);
    if (raw === null) {
      sink(plane, null, x0, y0, clip, 'values');
      return;
    }
    // No await between inflating and the sink: the scratch is this block's until the sink returns.
    const n = StoredBlocks.number(layout, plane, bx, by);
    const samples = decoder.inflate(raw, n, by, clip.r0 - y0, clip.r1 - y0, clip.c1 - x0);
    // The stored bytes are inflated: a block read once goes back to the source (its body memory is reused).
    if (!keep) stored.release(raw);
    sink(plane, samples, x0, y0, clip, decoder.rows);
  });
}
