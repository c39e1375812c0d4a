/**
 * One read's walk over the blocks of a window. The read paths (`path.*.ts`) differ in how they get each block's
 * samples, not in what they hand on: every block the window touches, for every plane, goes to one `BlockSink`.
 */
import type { LimitFunction } from 'p-limit';

import type { IfdLayout } from '../ifd.js';
import type { RowEncoding, TypedArray } from '../types.js';
import type { Clip } from '../window.js';

/**
 * Receives one block: its samples in file layout (null for a sparse block), the pixel (`x0`, `y0`) of the level at
 * its top-left sample, the cells of the window inside it, and what its rows hold. It is called right after the block
 * is decoded, with no await in between, so samples decoded into the thread scratch are valid during the call only.
 */
export type BlockSink = (
  plane: number,
  block: TypedArray | null,
  x0: number,
  y0: number,
  clip: Clip,
  rows: RowEncoding,
) => void;

/** The blocks one read visits and where they go. */
export interface BlockWalk {
  /** The level's data IFD. */
  layout: IfdLayout;
  /** Planes to visit: those of the requested bands for band-interleaved files, else [0]. */
  planes: readonly number[];
  /** The window clipped to the level (never empty). */
  area: Clip;
  signal: AbortSignal | undefined;
  sink: BlockSink;
}

/** The window `{ col, row, width, height }` clipped to a `width × height` level, or null when nothing is left. */
export function clipToLevel(
  window: { col: number; row: number; width: number; height: number },
  width: number,
  height: number,
): Clip | null {
  const area = {
    c0: Math.max(window.col, 0),
    c1: Math.min(window.col + window.width, width),
    r0: Math.max(window.row, 0),
    r1: Math.min(window.row + window.height, height),
  };
  return area.c0 < area.c1 && area.r0 < area.r1 ? area : null;
}

/** The cells of `area` inside block (`bx`, `by`) of `layout`. */
export function blockClip(area: Clip, layout: IfdLayout, bx: number, by: number): Clip {
  const x0 = bx * layout.blockWidth;
  const y0 = by * layout.blockHeight;
  return {
    c0: Math.max(area.c0, x0),
    c1: Math.min(area.c1, x0 + layout.blockWidth),
    r0: Math.max(area.r0, y0),
    r1: Math.min(area.r1, y0 + layout.blockHeight),
  };
}

/**
 * Starts `visit` for every block of `walk` in file order (plane, block row, block column: how COGs store a plane's
 * blocks), each when `limit` lets it, all in this turn so the byte source can merge neighbouring ranges; resolves
 * when every visit has. In file order the blocks in flight at once are neighbours: visiting one block of every plane
 * first put 64 blocks megabytes apart in flight, and no two of them could share a request. `clip`: the cells of the
 * window inside the block.
 */
export async function visitBlocks(
  walk: BlockWalk,
  limit: LimitFunction,
  visit: (plane: number, bx: number, by: number, clip: Clip) => Promise<void>,
): Promise<void> {
  const { layout, planes, area } = walk;
  const tasks: Promise<void>[] = [];
  for (const plane of planes) {
    for (let by = Math.floor(area.r0 / layout.blockHeight); by * layout.blockHeight < area.r1; by++) {
      for (let bx = Math.floor(area.c0 / layout.blockWidth); bx * layout.blockWidth < area.c1; bx++) {
        tasks.push(limit(() => visit(plane, bx, by, blockClip(area, layout, bx, by))));
      }
    }
  }
  await Promise.all(tasks);
}

/** Blocks of `layout` that `area` touches, per plane. */
export function blocksTouched(area: Clip, layout: { blockWidth: number; blockHeight: number }): number {
  const across = Math.ceil(area.c1 / layout.blockWidth) - Math.floor(area.c0 / layout.blockWidth);
  const down = Math.ceil(area.r1 / layout.blockHeight) - Math.floor(area.r0 / layout.blockHeight);
  return across * down;
}
