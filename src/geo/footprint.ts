import type { PixelWindow } from './area.js';

/**
 * Where a pixel window lies relative to a raster of `width`×`height` cells: `inside` when wholly
 * within it, `outside` when it shares no cell with it (the request is refused before a job), `partial` otherwise
 * (the read is boundless: cells outside are missing but still counted).
 */
export function footprintRelation(
  window: PixelWindow,
  width: number,
  height: number,
): 'inside' | 'partial' | 'outside' {
  const c0 = window.col;
  const r0 = window.row;
  const c1 = window.col + window.width;
  const r1 = window.row + window.height;
  if (window.width <= 0 || window.height <= 0 || c1 <= 0 || r1 <= 0 || c0 >= width || r0 >= height) return 'outside';
  if (c0 >= 0 && r0 >= 0 && c1 <= width && r1 <= height) return 'inside';
  return 'partial';
}
