/**
 * An independent oracle for polygon areas in tests: Sutherland–Hodgman clipping of a ring by a CONVEX region, and
 * the shoelace area. Clipping a simple (possibly concave) ring by a convex region gives a ring whose signed area is
 * exactly the area of the intersection (the zero-width bridges it may leave along the region's edges add nothing),
 * so `area(P ∩ C) = |clip(exterior)| − Σ |clip(hole)|` for a valid polygon P. It shares no code with `src/geo`.
 */
import type { Position } from '../../src/geo/geojson.js';

/** Signed shoelace area (positive counter-clockwise) of a ring, closed or not. */
export function signedArea(ring: readonly Position[]): number {
  const n = ring.length;
  if (n < 3) return 0;
  const [x0, y0] = ring[0]!;
  let s = 0;
  for (let i = 1; i + 1 < n; i++) {
    const [xa, ya] = ring[i]!;
    const [xb, yb] = ring[i + 1]!;
    s += (xa - x0) * (yb - y0) - (xb - x0) * (ya - y0);
  }
  return s / 2;
}

/** Absolute area of a ring. */
export function ringArea(ring: readonly Position[]): number {
  return Math.abs(signedArea(ring));
}

/** `ring` (closed or open) clipped by the convex polygon `clip` (counter-clockwise, open or closed). */
export function clipConvex(ring: readonly Position[], clip: readonly Position[]): Position[] {
  const c = closedEqual(clip) ? clip.slice(0, -1) : clip.slice();
  let out: Position[] = closedEqual(ring) ? ring.slice(0, -1) : ring.slice();
  for (let i = 0; i < c.length && out.length > 0; i++) {
    const [ax, ay] = c[i]!;
    const [bx, by] = c[(i + 1) % c.length]!;
    const side = ([x, y]: Position): number => (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const p = input[j]!;
      const q = input[(j + 1) % input.length]!;
      const sp = side(p);
      const sq = side(q);
      if (sp >= 0) out.push(p);
      if ((sp >= 0 && sq < 0) || (sp < 0 && sq >= 0)) {
        const t = sp / (sp - sq);
        out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
      }
    }
  }
  return out;
}

/** Area of a polygon (exterior + holes, holes inside the exterior and disjoint) inside the convex `clip`. */
export function polygonAreaInConvex(rings: readonly (readonly Position[])[], clip: readonly Position[]): number {
  let total = 0;
  rings.forEach((r, i) => {
    const a = ringArea(clipConvex(r, clip));
    total += i === 0 ? a : -a;
  });
  return total;
}

/** A counter-clockwise ring of `pts` (reverses a clockwise one). */
export function ccw(pts: readonly Position[]): Position[] {
  return signedArea(pts) < 0 ? pts.slice().reverse() : pts.slice();
}

function closedEqual(r: readonly Position[]): boolean {
  const a = r[0];
  const b = r[r.length - 1];
  return r.length > 1 && a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1];
}
