/**
 * Exact fractional coverage of grid cells by polygons (exactextract semantics: the covered share of each cell),
 * by signed-area accumulation: every edge adds, to each cell it crosses, the area of that cell to its right, and
 * the rest of its height to the next cell; a prefix sum along each row then gives every cell its covered share.
 * Cells no edge crosses come out as exactly 0 or 1 from the prefix sum. Cost: O(cells + edge crossings).
 */
import type { PixelRing } from './rasterize.js';

/** Below this a weight is float noise from the prefix sum (a cell area of 1e-12 cells is far below any data). */
const SNAP = 1e-12;

function signedArea({ xs, ys }: PixelRing): number {
  let s = 0;
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1;
    s += (xs[i] as number) * (ys[j] as number) - (xs[j] as number) * (ys[i] as number);
  }
  return s / 2;
}

/**
 * Covered share of each cell of a `width`×`height` window (row-major, in [0, 1]) by polygons given as pixel rings,
 * `ringsPerPolygon[k]` rings for polygon k (exterior first, then holes). Polygons must not overlap each other
 * (pass a union); ring orientation does not matter.
 */
export function accumulateCoverage(
  rings: readonly PixelRing[],
  ringsPerPolygon: readonly number[],
  width: number,
  height: number,
): Float64Array {
  const stride = width + 2;
  const acc = new Float64Array(stride * height);

  // Adds a piece of an edge lying within one row: x goes linearly from xa to xb over a height dh (signed by dir).
  const addPiece = (row: number, xa: number, xb: number, dh: number): void => {
    const base = row * stride;
    if (xa > xb) [xa, xb] = [xb, xa];
    if (xb <= 0) {
      acc[base] = (acc[base] as number) + dh; // wholly left of the window: covers the full row to the right
      return;
    }
    if (xa >= width) return;
    const span = xb - xa;
    if (span === 0) {
      const c = Math.floor(xa);
      acc[base + c] = (acc[base + c] as number) + dh * (c + 1 - xa);
      acc[base + c + 1] = (acc[base + c + 1] as number) + dh * (xa - c);
      return;
    }
    let start = xa;
    if (xa < 0) {
      acc[base] = (acc[base] as number) + (dh * (0 - xa)) / span;
      start = 0;
    }
    const stop = Math.min(xb, width);
    for (let c = Math.floor(start); c < width && c < stop; c++) {
      const xs = Math.max(start, c);
      const xe = Math.min(stop, c + 1);
      if (xe <= xs) continue;
      const h = (dh * (xe - xs)) / span;
      const mid = (xs + xe) / 2;
      acc[base + c] = (acc[base + c] as number) + h * (c + 1 - mid);
      acc[base + c + 1] = (acc[base + c + 1] as number) + h * (mid - c);
    }
  };

  let ringIndex = 0;
  for (const count of ringsPerPolygon) {
    for (let k = 0; k < count; k++, ringIndex++) {
      const ring = rings[ringIndex];
      if (ring === undefined) break;
      // Exteriors add, holes subtract, whatever way the ring runs.
      const area = signedArea(ring);
      if (area === 0) continue;
      const sign = (k === 0) === area < 0 ? 1 : -1;
      const { xs, ys } = ring;
      const n = xs.length;
      for (let i = 0; i < n; i++) {
        const j = i + 1 === n ? 0 : i + 1;
        let x0 = xs[i] as number;
        let y0 = ys[i] as number;
        let x1 = xs[j] as number;
        let y1 = ys[j] as number;
        if (y0 === y1) continue;
        let dir = sign;
        if (y0 > y1) {
          [x0, y0, x1, y1] = [x1, y1, x0, y0];
          dir = -dir;
        }
        if (y1 <= 0 || y0 >= height) continue;
        const dxdy = (x1 - x0) / (y1 - y0);
        const ya = Math.max(y0, 0);
        const yb = Math.min(y1, height);
        for (let r = Math.floor(ya); r < yb && r < height; r++) {
          const top = Math.max(ya, r);
          const bottom = Math.min(yb, r + 1);
          if (bottom <= top) continue;
          addPiece(r, x0 + (top - y0) * dxdy, x0 + (bottom - y0) * dxdy, dir * (bottom - top));
        }
      }
    }
  }

  const out = new Float64Array(width * height);
  for (let r = 0; r < height; r++) {
    let sum = 0;
    const base = r * stride;
    for (let c = 0; c < width; c++) {
      sum += acc[base + c] as number;
      const v = sum;
      out[r * width + c] = v < SNAP ? 0 : v > 1 - SNAP ? 1 : v;
    }
  }
  return out;
}
