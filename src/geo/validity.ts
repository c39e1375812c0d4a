/**
 * A cheap self-intersection test for polygon rings (any CRS units). The Python service never validates polygons, so a
 * bow-tie or overlapping MultiPolygon parts can arrive; signed-area computations (area, fractional coverage) need
 * such input merged first, and this test tells when.
 */
import type { Position } from './geojson.js';

/** Above this many candidate edge pairs the test gives up and answers true (the caller then merges anyway). */
const PAIR_BUDGET = 4_000_000;

function cross(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/**
 * True when two non-adjacent edges of the rings cross or overlap along a line (touching at a single point is
 * allowed: it leaves signed areas right). Sweeps edges sorted by their lower y; gives up (true) past a budget.
 */
export function ringsSelfIntersect(rings: readonly (readonly Position[])[]): boolean {
  let n = 0;
  for (const r of rings) n += Math.max(r.length - 1, 0);
  const x0 = new Float64Array(n);
  const y0 = new Float64Array(n);
  const x1 = new Float64Array(n);
  const y1 = new Float64Array(n);
  const ringOf = new Int32Array(n);
  const indexInRing = new Int32Array(n);
  const ringLen = new Int32Array(rings.length);
  let e = 0;
  rings.forEach((r, ri) => {
    ringLen[ri] = Math.max(r.length - 1, 0);
    for (let i = 0; i + 1 < r.length; i++, e++) {
      const [ax, ay] = r[i] as Position;
      const [bx, by] = r[i + 1] as Position;
      x0[e] = ax;
      y0[e] = ay;
      x1[e] = bx;
      y1[e] = by;
      ringOf[e] = ri;
      indexInRing[e] = i;
    }
  });
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => Math.min(y0[a] as number, y1[a] as number) - Math.min(y0[b] as number, y1[b] as number),
  );
  let pairs = 0;
  for (let oi = 0; oi < n; oi++) {
    const a = order[oi] as number;
    const ax0 = x0[a] as number;
    const ay0 = y0[a] as number;
    const ax1 = x1[a] as number;
    const ay1 = y1[a] as number;
    const aMaxY = Math.max(ay0, ay1);
    for (let oj = oi + 1; oj < n; oj++) {
      const b = order[oj] as number;
      const bx0 = x0[b] as number;
      const by0 = y0[b] as number;
      const bx1 = x1[b] as number;
      const by1 = y1[b] as number;
      if (Math.min(by0, by1) > aMaxY) break;
      if (++pairs > PAIR_BUDGET) return true;
      if (Math.max(ax0, ax1) < Math.min(bx0, bx1) || Math.max(bx0, bx1) < Math.min(ax0, ax1)) continue;
      if (ringOf[a] === ringOf[b]) {
        const len = ringLen[ringOf[a] as number] as number;
        const d = Math.abs((indexInRing[a] as number) - (indexInRing[b] as number));
        if (d === 1 || d === len - 1) continue; // neighbours share a vertex
      }
      const d1 = cross(ax0, ay0, ax1, ay1, bx0, by0);
      const d2 = cross(ax0, ay0, ax1, ay1, bx1, by1);
      const d3 = cross(bx0, by0, bx1, by1, ax0, ay0);
      const d4 = cross(bx0, by0, bx1, by1, ax1, ay1);
      if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
      if (d1 === 0 && d2 === 0) {
        // Collinear: an overlap of positive length is a crossing for our purposes.
        const useX = Math.abs(ax1 - ax0) >= Math.abs(ay1 - ay0);
        const [p0, p1] = useX ? [Math.min(ax0, ax1), Math.max(ax0, ax1)] : [Math.min(ay0, ay1), Math.max(ay0, ay1)];
        const [q0, q1] = useX ? [Math.min(bx0, bx1), Math.max(bx0, bx1)] : [Math.min(by0, by1), Math.max(by0, by1)];
        if (Math.min(p1, q1) > Math.max(p0, q0)) return true;
      }
    }
  }
  return false;
}
