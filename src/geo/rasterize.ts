/**
 * Polygon rasterisation with GDAL's rules (alg/llrasterize.cpp, GDAL 3.6), re-implemented over typed arrays:
 * scanline fill at cell-centre rows (`GDALdllImageFilledPolygon`) and the all-touched edge walk with
 * "intersect only" (`GDALdllImageLineAllTouched`). Coordinates are pixel (col, row) of the WHOLE raster, as GDAL
 * computes them when it rasterises onto the dataset grid; a {@link MaskWindow} says which cells the mask holds.
 * Working in whole-raster coordinates (not the window's) keeps ties — an edge exactly on a cell-centre line — on
 * the same side GDAL puts them.
 */
import type { Affine } from './affine.js';
import type { Position } from './geojson.js';

/** One closed ring in whole-raster pixel coordinates (the closing vertex repeated, as OGR keeps it). */
export interface PixelRing {
  xs: Float64Array;
  ys: Float64Array;
}

/**
 * Map CRS rings to pixel rings with `pixel` = [g1, g2, g0, g4, g5, g3] (px = g0 + X·g1 + Y·g2, GDAL's order).
 * Every ring (exterior or hole) is turned clockwise in CRS coordinates first: GDAL/rasterio burn centre-line
 * horizontal edges by their direction, and measured against GDAL 3.6 they behave as if every ring were clockwise.
 */
export function toPixelRings(rings: readonly (readonly Position[])[], pixel: Affine): PixelRing[] {
  const [g1, g2, g0, g4, g5, g3] = pixel;
  return rings.map((given) => {
    const ring = clockwise(given);
    const n = ring.length;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const [x, y] = ring[i] as Position;
      xs[i] = g0 + x * g1 + y * g2;
      ys[i] = g3 + x * g4 + y * g5;
    }
    return { xs, ys };
  });
}

function clockwise(ring: readonly Position[]): readonly Position[] {
  let s = 0;
  for (let i = 0, n = ring.length; i < n; i++) {
    const [x0, y0] = ring[i] as Position;
    const [x1, y1] = ring[(i + 1) % n] as Position;
    s += x0 * y1 - x1 * y0;
  }
  return s > 0 ? [...ring].reverse() : ring;
}

/** The cells a mask holds: whole-raster columns `col … col + width − 1` and rows `row … row + height − 1`. */
export interface MaskWindow {
  col: number;
  row: number;
  width: number;
  height: number;
}

function fillSpan(mask: Float64Array, win: MaskWindow, row: number, x1: number, x2: number): void {
  // Cells x1..x2 inclusive of one (whole-raster) row, clipped to the window.
  const a = Math.max(x1, win.col) - win.col;
  const b = Math.min(x2, win.col + win.width - 1) - win.col;
  const base = (row - win.row) * win.width;
  for (let x = a; x <= b; x++) mask[base + x] = 1;
}

/**
 * GDAL's scanline fill of a multi-ring polygon (even-odd over all rings): a cell of row y is burnt when its centre
 * line y + 0.5 lies between a pair of edge crossings, each rounded with floor(x + 0.5). Edges are half-open in y
 * (lower end included); a horizontal edge lying exactly on a centre line is burnt when it runs right to left.
 */
export function burnFilled(rings: readonly PixelRing[], win: MaskWindow, mask: Float64Array): void {
  const { height } = win;
  const top = win.row;
  const bottom = win.row + height; // exclusive
  // Pass 1: count crossings per row; pass 2: store them (CSR) — no per-row arrays. Row r of the raster is slot
  // r − top.
  const counts = new Int32Array(height + 1);
  const rowRange = (ya: number, yb: number): [number, number] => {
    // Rows y with ya <= y + 0.5 < yb, clipped to the window; the exact predicate decides at the ends.
    let y0 = Math.max(top, Math.ceil(ya - 0.5));
    while (y0 > top && y0 - 1 + 0.5 >= ya) y0--;
    while (y0 < bottom && y0 + 0.5 < ya) y0++;
    let y1 = Math.min(bottom - 1, Math.ceil(yb - 0.5) - 1);
    while (y1 + 1 < bottom && y1 + 1 + 0.5 < yb) y1++;
    while (y1 >= top && y1 + 0.5 >= yb) y1--;
    return [y0, y1];
  };
  const forEachEdge = (visit: (x1: number, y1: number, x2: number, y2: number) => void): void => {
    for (const { xs, ys } of rings) {
      const n = xs.length;
      for (let i = 0; i < n; i++) {
        const p = i === 0 ? n - 1 : i - 1;
        visit(xs[p] as number, ys[p] as number, xs[i] as number, ys[i] as number);
      }
    }
  };
  forEachEdge((_x1, y1, _x2, y2) => {
    if (y1 === y2) return;
    const [r0, r1] = y1 < y2 ? rowRange(y1, y2) : rowRange(y2, y1);
    for (let r = r0 - top; r <= r1 - top; r++) counts[r + 1] = (counts[r + 1] as number) + 1;
  });
  for (let r = 0; r < height; r++) counts[r + 1] = (counts[r + 1] as number) + (counts[r] as number);
  const total = counts[height] as number;
  const xsAt = new Float64Array(total);
  const fillPos = counts.slice(0, height);
  forEachEdge((px1, py1, px2, py2) => {
    if (py1 === py2) {
      // A horizontal edge exactly on a centre line, running right to left, is burnt on its own (GDAL's "bottom
      // horizontal segments"); rings are oriented first (toPixelRings), so this picks the lower edges of the shape.
      const r = py1 - 0.5;
      if (px1 > px2 && Number.isInteger(r) && r >= top && r < bottom) {
        const h1 = Math.floor(px2 + 0.5);
        const h2 = Math.floor(px1 + 0.5);
        if (h1 <= win.col + win.width - 1 && h2 > win.col) fillSpan(mask, win, r, h1, h2 - 1);
      }
      return;
    }
    // Order the edge by y, keeping GDAL's crossing formula (lower end as origin).
    const [dx1, dy1, dx2, dy2] = py1 < py2 ? [px1, py1, px2, py2] : [px2, py2, px1, py1];
    const [r0, r1] = rowRange(dy1, dy2);
    for (let r = r0; r <= r1; r++) {
      const dy = r + 0.5;
      const slot = fillPos[r - top] as number;
      xsAt[slot] = ((dy - dy1) * (dx2 - dx1)) / (dy2 - dy1) + dx1;
      fillPos[r - top] = slot + 1;
    }
  });
  for (let r = 0; r < height; r++) {
    const start = counts[r] as number;
    const end = counts[r + 1] as number;
    if (end - start < 2) continue;
    const row = xsAt.subarray(start, end).sort();
    for (let i = 0; i + 1 < row.length; i += 2) {
      const x1 = Math.floor((row[i] as number) + 0.5);
      const x2 = Math.floor((row[i + 1] as number) + 0.5);
      if (x2 > x1 && x1 <= win.col + win.width - 1 && x2 > win.col) fillSpan(mask, win, r + top, x1, x2 - 1);
    }
  }
}

/** Pixel-coordinate tolerance under which GDAL treats an edge end as lying on a cell boundary. */
const ALIGNED_EPS = 1e-4;
/**
 * How close (in pixels) an axis-parallel edge may lie to a cell boundary and still count as on it: GDAL 3.6 burns
 * no cell along a vertical or horizontal edge within 0.01 px of a boundary (measured with rasterio: an edge at
 * x = 2.99 touches nothing in column 2, one at 2.989 does).
 */
const AXIS_ALIGNED_EPS = 0.01;

function burn(mask: Float64Array, win: MaskWindow, x: number, y: number): void {
  const c = x - win.col;
  const r = y - win.row;
  if (c >= 0 && c < win.width && r >= 0 && r < win.height) mask[r * win.width + c] = 1;
}

/** Burn the cells one segment passes through (GDAL's all-touched walk with "intersect only"). */
function walkSegment(x0: number, y0: number, x1: number, y1: number, win: MaskWindow, mask: Float64Array): void {
  // The window's edges in raster pixels: GDAL clips to the raster's [0, size]; an area never reaches past its own
  // window, so clipping to the window's edges is the same no-op there.
  const left = win.col;
  const right = win.col + win.width;
  const top = win.row;
  const bottom = win.row + win.height;
  let x = x0;
  let y = y0;
  let xEnd = x1;
  let yEnd = y1;
  if (
    (y < top && yEnd < top) ||
    (y > bottom && yEnd > bottom) ||
    (x < left && xEnd < left) ||
    (x > right && xEnd > right)
  ) {
    return;
  }
  if (x > xEnd) [x, y, xEnd, yEnd] = [xEnd, yEnd, x, y];
  const aligned = (v: number): boolean => Math.abs(v - Math.round(v)) < AXIS_ALIGNED_EPS;

  if (Math.abs(x - xEnd) < 0.01) {
    // Near-vertical: one column; an edge on a column boundary touches no cell's interior.
    if (aligned(x) && aligned(xEnd)) return;
    if (yEnd < y) [y, yEnd] = [yEnd, y];
    const col = Math.floor(xEnd);
    if (col < left || col >= right) return;
    const rEnd = Math.min(Math.floor(yEnd - ALIGNED_EPS), bottom - 1);
    for (let r = Math.max(Math.floor(y), top); r <= rEnd; r++) burn(mask, win, col, r);
    return;
  }
  if (Math.abs(y - yEnd) < 0.01) {
    if (aligned(y) && aligned(yEnd)) return;
    const row = Math.floor(y);
    if (row < top || row >= bottom) return;
    const cEnd = Math.min(Math.floor(xEnd - ALIGNED_EPS), right - 1);
    for (let c = Math.max(Math.floor(x), left); c <= cEnd; c++) burn(mask, win, c, row);
    return;
  }

  const slope = (yEnd - y) / (xEnd - x);
  if (xEnd > right) {
    yEnd -= (xEnd - right) * slope;
    xEnd = right;
  }
  if (x < left) {
    y += (left - x) * slope;
    x = left;
  }
  if (yEnd > y) {
    if (y < top) {
      x += (top - y) / slope;
      y = top;
    }
    if (yEnd >= bottom) xEnd += (yEnd - bottom) / slope;
  } else {
    if (y >= bottom) {
      x += (bottom - y) / slope;
      y = bottom;
    }
    if (yEnd < top) xEnd -= (yEnd - top) / slope;
  }
  // Step cell by cell, to the next column boundary or the next row boundary, whichever comes first.
  while (x >= left && x < xEnd) {
    const col = Math.floor(x);
    const row = Math.floor(y);
    // y is monotone along the walk: once it has left the window's rows it cannot return (GDAL walks on; the
    // result is the same, and a long steep edge cannot spin here).
    if ((slope > 0 && row >= bottom) || (slope < 0 && row < top)) break;
    if (row >= top && row < bottom) burn(mask, win, col, row);
    let stepX = Math.floor(x) + 1 - x; // not floor(x + 1) − x: x + 1 may round up to the next integer
    let stepY = stepX * slope;
    if (Math.floor(y + stepY) === row) {
      x += stepX;
      y += stepY;
    } else if (slope < 0) {
      stepY = Math.min(row - y, -1e-9);
      stepX = stepY / slope;
      x += stepX;
      y += stepY;
    } else {
      stepY = Math.max(row + 1 - y, 1e-9);
      stepX = stepY / slope;
      x += stepX;
      y += stepY;
    }
  }
}

/** Burn every cell the ring outlines pass through (the edge part of GDAL `ALL_TOUCHED=TRUE`). */
export function burnOutline(rings: readonly PixelRing[], win: MaskWindow, mask: Float64Array): void {
  for (const { xs, ys } of rings) {
    for (let i = 1; i < xs.length; i++) {
      walkSegment(xs[i - 1] as number, ys[i - 1] as number, xs[i] as number, ys[i] as number, win, mask);
    }
  }
}
