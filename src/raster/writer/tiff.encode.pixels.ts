/**
 * Pure pixel kernels of the COG writer: cutting tiles out of row strips, the TIFF predictors (the inverse
 * of what readers undo) and the overview downsampler. Typed arrays in, typed arrays out, no I/O.
 */
import { DTYPE_ARRAY } from '../dtype.js';
import type { DType, TypedArray } from '../types.js';
import type { ConvolutionMethod } from './overview.convolve.js';

/** TIFF SampleFormat: 1 unsigned integer, 2 signed integer, 3 IEEE float. */
export function sampleFormat(dtype: DType): 1 | 2 | 3 {
  if (dtype.startsWith('float')) return 3;
  return dtype.startsWith('int') ? 2 : 1;
}

/** A new typed array of `dtype` with `length` samples. */
export function allocArray(dtype: DType, length: number): TypedArray {
  return new DTYPE_ARRAY[dtype](length);
}

/**
 * Cut one `size`×`size` tile out of row strips (one per band, each `stripWidth` samples wide, `stripRows`
 * rows), starting at strip column `col` and strip row `row`, interleaving the bands pixel by pixel
 * (`out[(r·size + c)·bands + b]`). Cells past the strip's right or bottom edge are `fill`: TIFF tiles are
 * always full size.
 */
export function cutTile(
  strips: readonly TypedArray[],
  stripWidth: number,
  stripRows: number,
  col: number,
  row: number,
  size: number,
  dtype: DType,
  fill: number,
): TypedArray {
  const nb = strips.length;
  const out = allocArray(dtype, size * size * nb);
  const w = Math.min(size, stripWidth - col);
  const h = Math.min(size, stripRows - row);
  if (fill !== 0 && (w < size || h < size)) out.fill(fill);
  for (let b = 0; b < nb; b++) {
    const src = strips[b] as TypedArray;
    for (let r = 0; r < h; r++) {
      const s = (row + r) * stripWidth + col;
      if (nb === 1) {
        out.set(src.subarray(s, s + w), r * size);
        continue;
      }
      let o = r * size * nb + b;
      for (let c = 0; c < w; c++, o += nb) out[o] = src[s + c] as number;
    }
  }
  return out;
}

/** The same bytes seen as unsigned integers of the sample width (predictor 2 differences wrap modulo 2^bits). */
function unsignedView(a: TypedArray): Uint8Array | Uint16Array | Uint32Array {
  switch (a.BYTES_PER_ELEMENT) {
    case 1:
      return new Uint8Array(a.buffer, a.byteOffset, a.length);
    case 2:
      return new Uint16Array(a.buffer, a.byteOffset, a.length);
    case 4:
      return new Uint32Array(a.buffer, a.byteOffset, a.length);
    default:
      throw new RangeError('predictor 2 needs 8-, 16- or 32-bit integer samples');
  }
}

/**
 * TIFF predictor 2 (horizontal differencing), in place: each sample minus the same band's sample one pixel to
 * the left, per row of `width` pixels × `spp` samples, modulo 2^bits (libtiff `horDiff*`).
 */
export function encodePredictor2(data: TypedArray, width: number, spp: number): void {
  const u = unsignedView(data);
  const rowLen = width * spp;
  for (let start = 0; start < u.length; start += rowLen) {
    for (let i = start + rowLen - 1; i >= start + spp; i--) u[i] = (u[i] as number) - (u[i - spp] as number);
  }
}

/**
 * TIFF predictor 3 (floating point, libtiff `fpDiff`): per row, the samples' bytes are split into byte planes,
 * most significant first, then each byte minus the byte `spp` positions before it (mod 256).
 * @returns a new byte array of the same length.
 */
export function encodePredictor3(data: Float32Array | Float64Array, width: number, spp: number): Uint8Array {
  const bps = data.BYTES_PER_ELEMENT;
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const wc = width * spp;
  const rowBytes = wc * bps;
  for (let start = 0; start < out.length; start += rowBytes) {
    // Little-endian memory: byte `k` of a sample goes to plane bps-1-k (big-endian plane order).
    for (let k = 0; k < bps; k++) {
      const plane = start + (bps - 1 - k) * wc;
      for (let i = 0, s = start + k; i < wc; i++, s += bps) out[plane + i] = src[s] as number;
    }
    for (let i = start + rowBytes - 1; i >= start + spp; i--) out[i] = (out[i] as number) - (out[i - spp] as number);
  }
  return out;
}

/** Resamplings where each overview cell comes from its own window of the level above (`downsample`). */
export type BlockResampling = 'average' | 'mode' | 'nearest';

/**
 * How overview cells are computed from the level above (GDAL's OVERVIEW_RESAMPLING names, lower case): the block
 * methods here, the convolutions (bilinear, cubic, lanczos) in overview.convolve.ts.
 */
export type Resampling = BlockResampling | ConvolutionMethod;

/** Every resampling the writer implements. */
export const RESAMPLINGS: readonly Resampling[] = ['average', 'mode', 'nearest', 'bilinear', 'cubic', 'lanczos'];

/** True for the resamplings computed by `downsample`. */
export function isBlockResampling(r: Resampling): r is BlockResampling {
  return r === 'average' || r === 'mode' || r === 'nearest';
}

/**
 * Downsample one band's rows by an integer `ratio` (the overview of rows `0…height-1` of `src`, `width`
 * wide): output is ceil(width/ratio) × ceil(height/ratio), each cell from the ratio×ratio source window
 * clipped at the edges (GDAL's overview sizes). Nodata cells never count (NaN counts as a value unless the nodata
 * is NaN, as in GDAL); a window without a valid cell gives nodata (0 without one).
 * - `average`: mean of the valid cells (NaN if one is NaN); integer results rounded half up (GDAL).
 * - `mode`: most frequent valid value; scanning the window row-major, a value takes over only when its count
 *   exceeds the current mode's, so a tie keeps the value that reached the count first (GDAL's rule).
 * - `nearest`: the window's top-left cell (GDAL 3.6: source cell `floor(0.5 + i·ratio)`).
 * Applied level after level (each overview from the one before), these equal GDAL 3.6's overviews when each
 * level's size is half the previous one's exactly; otherwise GDAL's windows follow the fractional ratio of the two
 * sizes (with partial weights for AVERAGE) and some cells differ. GDAL 3.6 also resamples 32-bit integers and
 * float64 in a Float32 working type, so their values above 2^24 (or beyond float32 precision) differ from our
 * exact ones.
 */
export function downsample(
  src: TypedArray,
  width: number,
  height: number,
  ratio: number,
  dtype: DType,
  nodata: number | null,
  method: BlockResampling,
): TypedArray {
  const ow = Math.ceil(width / ratio);
  const oh = Math.ceil(height / ratio);
  const out = allocArray(dtype, ow * oh);
  const hasNodata = nodata !== null && !Number.isNaN(nodata);
  const nanIsNodata = nodata !== null && Number.isNaN(nodata);
  const isFloat = dtype.startsWith('float');
  const empty = nodata ?? 0;
  // Scratch for `mode`: the window's distinct values and their counts.
  const vals = new Float64Array(ratio * ratio);
  const counts = new Int32Array(ratio * ratio);
  // Integer AVERAGE by 2 (every overview step of a release) takes a fast path for its whole 2×2 windows; the loop
  // below then does only the edge cells.
  const fast = method === 'average' && ratio === 2 && !isFloat;
  const fullRows = fast ? Math.floor(height / 2) : 0;
  const fullCols = fast ? Math.floor(width / 2) : 0;
  if (fast) average2(src, width, fullRows, fullCols, out, ow, hasNodata ? (nodata as number) : null, empty);
  for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * ratio;
    const y1 = Math.min(height, y0 + ratio);
    for (let ox = oy < fullRows ? fullCols : 0; ox < ow; ox++) {
      const x0 = ox * ratio;
      const x1 = Math.min(width, x0 + ratio);
      if (method === 'nearest') {
        out[oy * ow + ox] = src[y0 * width + x0] as number;
        continue;
      }
      if (method === 'mode') {
        let distinct = 0;
        let best = -1;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const v = src[y * width + x] as number;
            if ((hasNodata && v === nodata) || (nanIsNodata && v !== v)) continue;
            let i = 0;
            while (i < distinct && vals[i] !== v) i++;
            if (i === distinct) {
              vals[i] = v;
              counts[i] = 0;
              distinct++;
            }
            const c = ++counts[i]!;
            if (best < 0 || c > counts[best]!) best = i;
          }
        }
        out[oy * ow + ox] = best < 0 ? empty : vals[best]!;
        continue;
      }
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const v = src[y * width + x] as number;
          if ((hasNodata && v === nodata) || (nanIsNodata && v !== v)) continue;
          sum += v;
          n++;
        }
      }
      if (n === 0) out[oy * ow + ox] = empty;
      else out[oy * ow + ox] = isFloat ? sum / n : Math.floor(sum / n + 0.5);
    }
  }
  return out;
}

/**
 * `downsample`'s AVERAGE by 2 of integer samples over the whole 2×2 windows (`rows` × `cols` output cells): the
 * same sums in the same order and the same rounding, unrolled with no per-cell method branch or inner loops.
 * Hand-written for speed: it was the largest share of the release build's main-thread time (~5 s of ~28 s CPU per
 * 100 bands of 1560 × 1440).
 */
function average2(
  src: TypedArray,
  width: number,
  rows: number,
  cols: number,
  out: TypedArray,
  ow: number,
  nodata: number | null,
  empty: number,
): void {
  for (let oy = 0; oy < rows; oy++) {
    let a = 2 * oy * width;
    let b = a + width;
    let o = oy * ow;
    for (let ox = 0; ox < cols; ox++, a += 2, b += 2, o++) {
      const v0 = src[a] as number;
      const v1 = src[a + 1] as number;
      const v2 = src[b] as number;
      const v3 = src[b + 1] as number;
      if (nodata === null || (v0 !== nodata && v1 !== nodata && v2 !== nodata && v3 !== nodata)) {
        out[o] = Math.floor((v0 + v1 + v2 + v3) / 4 + 0.5);
        continue;
      }
      let sum = 0;
      let n = 0;
      if (v0 !== nodata) {
        sum += v0;
        n++;
      }
      if (v1 !== nodata) {
        sum += v1;
        n++;
      }
      if (v2 !== nodata) {
        sum += v2;
        n++;
      }
      if (v3 !== nodata) {
        sum += v3;
        n++;
      }
      out[o] = n === 0 ? empty : Math.floor(sum / n + 0.5);
    }
  }
}
