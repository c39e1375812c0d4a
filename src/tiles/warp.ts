/**
 * Warp a source window (dataset CRS, one resolution level) onto a Web Mercator tile grid.
 *
 * Step 1, `sourceCoords`: the fractional source pixel (col, row) under every output pixel centre. Geographic
 * sources are separable (one projection per output column and per row, exact); projected sources are projected
 * exactly on a coarse grid (every `step` ≤ 64 output px, as GDAL's approximate transformer) and interpolated
 * bilinearly in between — never one proj call per pixel.
 * Step 2, `warpNearest` / `warpBilinear`: sample the window into float64 values, NaN where the output pixel
 * has no data (outside the raster, nodata, NaN).
 */
import type { Affine } from '../geo/affine.js';
import { invertAffine } from '../geo/affine.js';
import type { PixelWindow, TypedArray } from '../raster/types.js';
import type { Bounds } from './tile.matrix.js';
import { mercatorToLonLat } from './tile.matrix.js';
import type { TileCrs } from './tile.crs.js';
import type { Rescale, TileCodes } from './colorize.js';
import { TRANSPARENT } from './colorize.js';

/** GDAL's nearest kernel adds this before flooring so centres landing on a cell edge pick the same cell. */
const EDGE_EPS = 1e-10;

/**
 * Fractional source pixel coordinates (of one level; pixel centres at +0.5) under each output pixel centre.
 * `separable`: `col[i]` for output column i, `row[j]` for output row j. `grid`: `col[j*width+i]`, `row[…]`.
 */
export type SourceCoords =
  | { kind: 'separable'; width: number; height: number; col: Float64Array; row: Float64Array }
  | { kind: 'grid'; width: number; height: number; col: Float64Array; row: Float64Array };

/**
 * Source coordinates for an output grid covering `bounds` (EPSG:3857 metres) with `width`×`height` px.
 * @param transform the level's geotransform (dataset CRS)
 * @param step coarse grid spacing in output px for projected CRSs (≤ 64)
 */
export function sourceCoords(
  bounds: Bounds,
  width: number,
  height: number,
  crs: TileCrs,
  transform: Affine,
  step = 16,
): SourceCoords {
  const inv = invertAffine(transform);
  const [minX, minY, maxX, maxY] = bounds;
  const resX = (maxX - minX) / width;
  const resY = (maxY - minY) / height;
  if (crs.geographic && transform[1] === 0 && transform[3] === 0) {
    const col = new Float64Array(width);
    const row = new Float64Array(height);
    for (let i = 0; i < width; i++) {
      const [lon] = mercatorToLonLat(minX + (i + 0.5) * resX, 0);
      const [x] = crs.fromLonLat(lon, 0);
      col[i] = inv[0] * x + inv[2];
    }
    for (let j = 0; j < height; j++) {
      const [, lat] = mercatorToLonLat(0, maxY - (j + 0.5) * resY);
      const [, y] = crs.fromLonLat(0, lat);
      row[j] = inv[4] * y + inv[5];
    }
    return { kind: 'separable', width, height, col, row };
  }
  const s = Math.max(1, Math.min(64, Math.floor(step)));
  // Grid nodes at output pixel centres 0, s, 2s, …, plus the last centre.
  const nodesX = nodePositions(width, s);
  const nodesY = nodePositions(height, s);
  const nx = nodesX.length;
  const gc = new Float64Array(nx * nodesY.length);
  const gr = new Float64Array(nx * nodesY.length);
  for (let b = 0; b < nodesY.length; b++) {
    const my = maxY - ((nodesY[b] as number) + 0.5) * resY;
    for (let a = 0; a < nx; a++) {
      const [lon, lat] = mercatorToLonLat(minX + ((nodesX[a] as number) + 0.5) * resX, my);
      const [x, y] = crs.fromLonLat(lon, lat);
      gc[b * nx + a] = inv[0] * x + inv[1] * y + inv[2];
      gr[b * nx + a] = inv[3] * x + inv[4] * y + inv[5];
    }
  }
  const col = new Float64Array(width * height);
  const row = new Float64Array(width * height);
  const segX = segmentsOf(nodesX, width);
  const segY = segmentsOf(nodesY, height);
  for (let j = 0; j < height; j++) {
    const b = segY.index[j] as number;
    const ty = segY.frac[j] as number;
    for (let i = 0; i < width; i++) {
      const a = segX.index[i] as number;
      const tx = segX.frac[i] as number;
      const k00 = b * nx + a;
      const k01 = k00 + (tx > 0 ? 1 : 0);
      const k10 = k00 + (ty > 0 ? nx : 0);
      const k11 = k10 + (tx > 0 ? 1 : 0);
      const w00 = (1 - tx) * (1 - ty);
      const w01 = tx * (1 - ty);
      const w10 = (1 - tx) * ty;
      const w11 = tx * ty;
      const o = j * width + i;
      col[o] =
        w00 * (gc[k00] as number) + w01 * (gc[k01] as number) + w10 * (gc[k10] as number) + w11 * (gc[k11] as number);
      row[o] =
        w00 * (gr[k00] as number) + w01 * (gr[k01] as number) + w10 * (gr[k10] as number) + w11 * (gr[k11] as number);
    }
  }
  return { kind: 'grid', width, height, col, row };
}

function nodePositions(n: number, step: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < n - 1; p += step) out.push(p);
  out.push(n - 1);
  return out;
}

/** For each output index: the node segment it falls in and its fraction along it. */
function segmentsOf(nodes: number[], n: number): { index: Int32Array; frac: Float64Array } {
  const index = new Int32Array(n);
  const frac = new Float64Array(n);
  let seg = 0;
  for (let p = 0; p < n; p++) {
    while (seg < nodes.length - 2 && p >= (nodes[seg + 1] as number)) seg++;
    const a = nodes[seg] as number;
    const b = nodes[Math.min(seg + 1, nodes.length - 1)] as number;
    index[p] = seg;
    frac[p] = b > a ? (p - a) / (b - a) : 0;
  }
  return { index, frac };
}

/**
 * The smallest window of the level (clipped to `levelWidth`×`levelHeight`) holding every cell the resampling
 * touches, or null when no output pixel lands on the raster (then nothing needs reading).
 */
export function neededWindow(
  coords: SourceCoords,
  levelWidth: number,
  levelHeight: number,
  resampling: Resampling,
): PixelWindow | null {
  // Bilinear reads the cell pair around (c − 0.5); nearest the cell under c.
  const lo = resampling === 'bilinear' ? -0.5 : EDGE_EPS;
  const hi = resampling === 'bilinear' ? 1 : 0;
  let c0 = Infinity;
  let c1 = -Infinity;
  let r0 = Infinity;
  let r1 = -Infinity;
  const scan = (c: number, r: number): void => {
    if (!(c >= 0 && c < levelWidth && r >= 0 && r < levelHeight)) return;
    const fc = Math.floor(c + lo);
    const fr = Math.floor(r + lo);
    if (fc < c0) c0 = fc;
    if (fc + hi > c1) c1 = fc + hi;
    if (fr < r0) r0 = fr;
    if (fr + hi > r1) r1 = fr + hi;
  };
  if (coords.kind === 'separable') {
    let anyRow = false;
    for (const r of coords.row) if (r >= 0 && r < levelHeight) anyRow = true;
    if (!anyRow) return null;
    const midRow = coords.row.find((r) => r >= 0 && r < levelHeight) as number;
    for (const c of coords.col) scan(c, midRow);
    const midCol = coords.col.find((c) => c >= 0 && c < levelWidth);
    if (midCol === undefined) return null;
    for (const r of coords.row) scan(midCol, r);
  } else {
    for (let k = 0; k < coords.col.length; k++) scan(coords.col[k] as number, coords.row[k] as number);
  }
  if (c0 === Infinity) return null;
  c0 = Math.max(0, c0);
  r0 = Math.max(0, r0);
  c1 = Math.min(levelWidth - 1, c1);
  r1 = Math.min(levelHeight - 1, r1);
  return { col: c0, row: r0, width: c1 - c0 + 1, height: r1 - r0 + 1 };
}

/** Resampling kernels we offer (GDAL names). */
export type Resampling = 'nearest' | 'bilinear';

/** A window of samples of one band: `data[r * window.width + c]`, `nodata` as the file declares it. */
export interface SourceSamples {
  window: PixelWindow;
  data: TypedArray;
  nodata: number | null;
  /** Size of the whole level, px: cells outside it have no data. */
  levelWidth: number;
  levelHeight: number;
}

/**
 * Window cell index (0…len−1) of the level cell under fractional coordinate `v`, or −1 when `v` is outside the
 * level (size cells) or the window (off, len). GDAL's edge epsilon decides points on a cell edge.
 */
function sourceCell(v: number, size: number, off: number, len: number): number {
  if (!(v >= 0 && v < size)) return -1;
  const k = Math.floor(v + EDGE_EPS) - off;
  return k >= 0 && k < len ? k : -1;
}

/**
 * Nearest neighbour: each output pixel takes the source cell under its centre (GDAL's GWKNearest).
 * @returns row-major output values, NaN where there is no data
 */
export function warpNearest(coords: SourceCoords, src: SourceSamples): Float64Array {
  const { width, height } = coords;
  const out = new Float64Array(width * height).fill(NaN);
  const { window: win, data, nodata, levelWidth, levelHeight } = src;
  const nd = nodata ?? NaN;
  if (coords.kind === 'separable') {
    const cols = new Int32Array(width);
    for (let i = 0; i < width; i++) cols[i] = sourceCell(coords.col[i] as number, levelWidth, win.col, win.width);
    for (let j = 0; j < height; j++) {
      const r = sourceCell(coords.row[j] as number, levelHeight, win.row, win.height);
      if (r < 0) continue;
      const base = r * win.width;
      const o = j * width;
      for (let i = 0; i < width; i++) {
        const c = cols[i] as number;
        if (c < 0) continue;
        const v = data[base + c] as number;
        if (v !== nd) out[o + i] = v;
      }
    }
    return out;
  }
  for (let k = 0; k < out.length; k++) {
    const c = sourceCell(coords.col[k] as number, levelWidth, win.col, win.width);
    const r = sourceCell(coords.row[k] as number, levelHeight, win.row, win.height);
    if (c < 0 || r < 0) continue;
    const v = data[r * win.width + c] as number;
    if (v !== nd) out[k] = v;
  }
  return out;
}

/** Code tables kept for the few rescales in use (key: dtype, lo, hi, nodata); oldest dropped past the bound. */
const codeTables = new Map<string, Uint16Array>();
const CODE_TABLES_MAX = 8;

/**
 * The code of every value of an 8- or 16-bit integer dtype (index: value, + 32768 / + 128 for signed), or null for
 * other dtypes. Built once per rescale and nodata (65 536 codes, ~0.3 ms) and reused by every tile: a table lookup
 * per pixel instead of a clip, a division and a truncation (speed is the reason; the codes are the same numbers).
 */
function codeTable(
  data: TypedArray,
  rescale: Rescale,
  nodata: number,
  code: (v: number) => number,
): Uint16Array | null {
  const kind =
    data instanceof Uint16Array
      ? 'u16'
      : data instanceof Int16Array
        ? 'i16'
        : data instanceof Uint8Array
          ? 'u8'
          : data instanceof Int8Array
            ? 'i8'
            : null;
  if (kind === null) return null;
  const key = `${kind} ${rescale.lo} ${rescale.hi} ${nodata}`;
  let table = codeTables.get(key);
  if (table !== undefined) return table;
  const n = kind === 'u16' || kind === 'i16' ? 65536 : 256;
  const base = kind === 'i16' ? -32768 : kind === 'i8' ? -128 : 0;
  table = new Uint16Array(n);
  for (let k = 0; k < n; k++) table[k] = code(base + k);
  if (codeTables.size >= CODE_TABLES_MAX) codeTables.delete(codeTables.keys().next().value as string);
  codeTables.set(key, table);
  return table;
}

/**
 * Nearest neighbour straight to colormap codes (`warpNearest` then `rescaleToCodes` in one pass, without the
 * float64 intermediate): the hot path of every default tile. Written for speed: 8/16-bit integer samples are coded
 * through a cached table, and an output row whose source row is the previous one's is copied (zoomed-in tiles
 * repeat each source row many times).
 */
export function warpNearestCodes(coords: SourceCoords, src: SourceSamples, rescale: Rescale): TileCodes {
  const { width, height } = coords;
  const out = new Uint16Array(width * height).fill(TRANSPARENT);
  const { window: win, data, nodata, levelWidth, levelHeight } = src;
  const nd = nodata ?? NaN;
  const { lo, hi } = rescale;
  const span = hi - lo;
  const code = (v: number): number => {
    if (v !== v || v === nd) return TRANSPARENT;
    const c = v < lo ? lo : v > hi ? hi : v;
    return Math.trunc(((c - lo) / span) * 255);
  };
  const table = codeTable(data, rescale, nd, code);
  const bias = data instanceof Int16Array ? 32768 : data instanceof Int8Array ? 128 : 0;
  if (coords.kind === 'separable') {
    const cols = new Int32Array(width);
    for (let i = 0; i < width; i++) cols[i] = sourceCell(coords.col[i] as number, levelWidth, win.col, win.width);
    let prevR = -1;
    for (let j = 0; j < height; j++) {
      const r = sourceCell(coords.row[j] as number, levelHeight, win.row, win.height);
      if (r < 0) {
        prevR = -1; // this row stays transparent: the next one cannot copy it
        continue;
      }
      const o = j * width;
      if (r === prevR) {
        out.copyWithin(o, o - width, o);
        continue;
      }
      prevR = r;
      const base = r * win.width;
      if (table !== null) {
        for (let i = 0; i < width; i++) {
          const c = cols[i] as number;
          if (c >= 0) out[o + i] = table[(data[base + c] as number) + bias] as number;
        }
      } else {
        for (let i = 0; i < width; i++) {
          const c = cols[i] as number;
          if (c >= 0) out[o + i] = code(data[base + c] as number);
        }
      }
    }
    return out;
  }
  for (let k = 0; k < out.length; k++) {
    const c = sourceCell(coords.col[k] as number, levelWidth, win.col, win.width);
    const r = sourceCell(coords.row[k] as number, levelHeight, win.row, win.height);
    if (c < 0 || r < 0) continue;
    const v = data[r * win.width + c] as number;
    out[k] = table !== null ? (table[v + bias] as number) : code(v);
  }
  return out;
}

/**
 * Bilinear: weights of the four cells around (col − 0.5, row − 0.5); cells without data drop out and the
 * remaining weights are renormalised (GDAL's behaviour at nodata and raster edges). An output pixel whose centre
 * is outside the raster has no data.
 */
export function warpBilinear(coords: SourceCoords, src: SourceSamples): Float64Array {
  const { width, height } = coords;
  const out = new Float64Array(width * height).fill(NaN);
  const { window: win, data, nodata, levelWidth, levelHeight } = src;
  const nd = nodata ?? NaN;
  const sample = (c: number, r: number): number => {
    if (c < 0 || r < 0 || c >= levelWidth || r >= levelHeight) return NaN;
    const wc = c - win.col;
    const wr = r - win.row;
    if (wc < 0 || wr < 0 || wc >= win.width || wr >= win.height) return NaN;
    const v = data[wr * win.width + wc] as number;
    return v === nd ? NaN : v;
  };
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const c = coords.kind === 'separable' ? (coords.col[i] as number) : (coords.col[j * width + i] as number);
      const r = coords.kind === 'separable' ? (coords.row[j] as number) : (coords.row[j * width + i] as number);
      if (!(c >= 0 && c < levelWidth && r >= 0 && r < levelHeight)) continue;
      const x = c - 0.5;
      const y = r - 0.5;
      const c0 = Math.floor(x);
      const r0 = Math.floor(y);
      const fx = x - c0;
      const fy = y - r0;
      let acc = 0;
      let wsum = 0;
      const add = (v: number, w: number): void => {
        if (w > 0 && !Number.isNaN(v)) {
          acc += v * w;
          wsum += w;
        }
      };
      add(sample(c0, r0), (1 - fx) * (1 - fy));
      add(sample(c0 + 1, r0), fx * (1 - fy));
      add(sample(c0, r0 + 1), (1 - fx) * fy);
      add(sample(c0 + 1, r0 + 1), fx * fy);
      if (wsum > 1e-9) out[j * width + i] = acc / wsum;
    }
  }
  return out;
}
