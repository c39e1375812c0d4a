/**
 * Cloud-Optimized GeoTIFF writer, laid out as GDAL's COG driver does: header, the GDAL_STRUCTURAL_METADATA
 * ghost block, every IFD (full resolution, then overviews), then tile data from the smallest overview to the
 * full resolution, each block framed by a 4-byte size leader and a 4-byte trailer.
 *
 * Memory stays bounded: pixels come from a `readRows` callback one strip (a row of blocks, or a few) of one
 * band at a time, strip by strip; compressed blocks go to per-level temp files next to the output (in the order
 * they were made), overview pixels to raw temp files; the final file is assembled in TIFF block order once all
 * block sizes are known, and renamed into place. Compression (zstd, deflate) runs on the libuv thread pool,
 * `concurrency` blocks at a time, while the main thread cuts tiles, applies the predictor, downsamples and sums
 * statistics. The output depends only on the spec and the pixels: the same input gives the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { deflate as deflateCb } from 'node:zlib';
import { AppError } from '../../errors.js';
import { lzwEncode } from '../codecs/lzw.js';
import { createZstdEncoder } from '../codecs/zstd.js';
import { DTYPE_ARRAY, dtypeBytes } from '../dtype.js';
import type { Cog, DType, TypedArray } from '../types.js';
import { emptyMoments, finishStatistics, mergeMoments, stripMoments } from './band.stats.js';
import type { BandStatistics, Moments } from './band.stats.js';
import { validateSpec } from './cog.spec.js';
import type { CogWriteSpec, ResolvedSpec } from './cog.spec.js';
import { buildIfdTags, gdalMetadataXml, planLevels } from './tiff.encode.layout.js';
import type { LevelPlan } from './tiff.encode.layout.js';
import { encodeHeader, encodeIfds, ghostHeader, headerLength } from './tiff.encode.js';
import { ConvolutionDownsampler } from './overview.convolve.js';
import {
  allocArray,
  cutTile,
  downsample,
  encodePredictor2,
  encodePredictor3,
  isBlockResampling,
} from './tiff.encode.pixels.js';

const deflate = promisify(deflateCb);

/** What `writeCog` wrote. */
export interface CogWriteResult {
  /** Size of the finished file in bytes. */
  bytes: number;
  /**
   * SHA-256 (hex) of the finished file, hashed as its bytes were written (the file is written front to back), so a
   * caller that needs its checksum does not read it again.
   */
  sha256: string;
  /** Per-band statistics (band 1 first) when `statistics` was asked for, else null. */
  statistics: BandStatistics[] | null;
}

/**
 * Where each block of a level landed in that level's temp file, indexed by TIFF block number (row-major, band
 * after band for 'band' interleave): start of its framed bytes (size leader) and its compressed size.
 */
interface LevelOutput {
  path: string;
  bytes: number;
  starts: number[];
  sizes: number[];
}

/** Uncompressed tile bytes being compressed at once, at most (see `encodeLevel`). */
const IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/** Compresses one block's bytes (after the predictor). */
type BlockCompress = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

function blockCompressor(s: ResolvedSpec): BlockCompress {
  switch (s.compression) {
    case 'zstd':
      return createZstdEncoder(s.level);
    case 'deflate':
      return (bytes) => deflate(bytes, { level: s.level });
    case 'lzw':
      return lzwEncode;
    default:
      return (bytes) => bytes;
  }
}

/** Overview pixels of one level, band-sequential and uncompressed, in a temp file. */
class RawLevel {
  private constructor(
    private readonly fh: FileHandle,
    private readonly width: number,
    private readonly height: number,
    private readonly dtype: DType,
  ) {}

  static async create(path: string, width: number, height: number, dtype: DType): Promise<RawLevel> {
    return new RawLevel(await open(path, 'w+'), width, height, dtype);
  }

  private position(band: number, row: number): number {
    return ((band - 1) * this.height + row) * this.width * dtypeBytes(this.dtype);
  }

  async write(band: number, row: number, data: TypedArray): Promise<void> {
    await this.fh.write(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      0,
      data.byteLength,
      this.position(band, row),
    );
  }

  async read(band: number, row: number, height: number): Promise<TypedArray> {
    const out = allocArray(this.dtype, this.width * height);
    await this.fh.read(new Uint8Array(out.buffer), 0, out.byteLength, this.position(band, row));
    return out;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

type RowSource = (band: number, row: number, height: number) => TypedArray | Promise<TypedArray>;

/** Predictor + compression of one tile, framed as GDAL does: uint32 size leader, data, last 4 bytes repeated. */
async function encodeBlock(tile: TypedArray, s: ResolvedSpec, spp: number, compress: BlockCompress): Promise<Buffer> {
  let bytes: Uint8Array;
  if (s.predictor === 2) {
    encodePredictor2(tile, s.blockSize, spp);
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  } else if (s.predictor === 3) {
    bytes = encodePredictor3(tile as Float32Array | Float64Array, s.blockSize, spp);
  } else {
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  }
  const data = await compress(bytes);
  const framed = Buffer.allocUnsafe(data.byteLength + 8);
  framed.writeUInt32LE(data.byteLength, 0);
  framed.set(data, 4);
  framed.set(data.subarray(data.byteLength - 4), data.byteLength + 4);
  return framed;
}

/** The next overview level: its raw file, its factor relative to the level being encoded, and its size. */
interface NextLevel {
  raw: RawLevel;
  factor: number;
  width: number;
  height: number;
}

/**
 * Encode one level into `outPath`: strip by strip (every band of a strip before the next strip), tiles cut and
 * compressed with up to `concurrency` blocks in flight, appended to the temp file as they finish in submission
 * order. The level's rows downsampled by `factor` go to the next level's raw file (`overviews`: none for the
 * coarsest level), and each band's statistics into `moments` when given (full resolution only).
 */
async function encodeLevel(
  s: ResolvedSpec,
  level: LevelPlan,
  source: RowSource,
  overviews: readonly NextLevel[],
  outPath: string,
  compress: BlockCompress,
  moments: Moments[] | null,
): Promise<LevelOutput> {
  const fh = await open(outPath, 'w');
  const bs = s.blockSize;
  const across = Math.ceil(level.width / bs);
  const down = Math.ceil(level.height / bs);
  const pixel = s.interleave === 'pixel';
  const blockCount = across * down * (pixel ? 1 : s.bands);
  const out: LevelOutput = {
    path: outPath,
    bytes: 0,
    starts: new Array<number>(blockCount).fill(0),
    sizes: new Array<number>(blockCount).fill(0),
  };
  // Blocks in flight: `concurrency`, but no more than IN_FLIGHT_BYTES of uncompressed tiles (a pixel-interleaved
  // 512² tile of 100 uint32 bands is 100 MB), and at least two so both cores stay busy.
  const tileBytes = bs * bs * dtypeBytes(s.dtype) * (pixel ? s.bands : 1);
  const maxInFlight = Math.max(2, Math.min(s.concurrency, Math.floor(IN_FLIGHT_BYTES / tileBytes)));
  const inFlight: { index: number; block: Promise<Buffer> }[] = [];
  const flushOne = async (): Promise<void> => {
    const job = inFlight.shift() as { index: number; block: Promise<Buffer> };
    const block = await job.block;
    await fh.write(block, 0, block.length, out.bytes);
    out.starts[job.index] = out.bytes;
    out.sizes[job.index] = block.length - 8;
    out.bytes += block.length;
  };
  const submit = async (index: number, block: Promise<Buffer>): Promise<void> => {
    inFlight.push({ index, block });
    // Keep rejections from surfacing as unhandled while the promise waits in the queue.
    block.catch(() => undefined);
    if (inFlight.length >= maxInFlight) await flushOne();
  };
  // Convolution overviews read past a strip's edges: one streaming downsampler per overview and band keeps the
  // overlap rows between strips (see overview.convolve.ts).
  const method = s.resampling;
  const convolvers = new Map<string, ConvolutionDownsampler>();
  const convolver = (o: NextLevel, k: number, band: number): ConvolutionDownsampler => {
    const key = `${k}:${band}`;
    let c = convolvers.get(key);
    if (c === undefined && !isBlockResampling(method)) {
      c = new ConvolutionDownsampler(level.width, level.height, o.width, o.height, method, s.dtype, s.nodata);
      convolvers.set(key, c);
    }
    return c as ConvolutionDownsampler;
  };
  try {
    const bandGroups = pixel
      ? [Array.from({ length: s.bands }, (_, i) => i + 1)]
      : Array.from({ length: s.bands }, (_, i) => [i + 1]);
    // Whole rows of blocks, and a multiple of every overview factor so each strip downsamples on its own.
    const unit = Math.max(bs, ...overviews.map((o) => o.factor));
    const stripRows =
      unit * Math.max(1, Math.floor(s.stripBudgetBytes / (level.width * unit * dtypeBytes(s.dtype) * s.bands)));
    const fill = s.nodata !== null && !Number.isNaN(s.nodata) ? s.nodata : 0;
    for (let y0 = 0; y0 < level.height; y0 += stripRows) {
      const h = Math.min(stripRows, level.height - y0);
      for (const group of bandGroups) {
        const strips: TypedArray[] = [];
        for (const band of group) {
          const data = await source(band, y0, h);
          checkRows(data, s.dtype, level.width * h, band, y0);
          strips.push(data);
        }
        // TIFF block number of this group's first block in this strip.
        const base = (pixel ? 0 : ((group[0] as number) - 1) * across * down) + (y0 / bs) * across;
        for (let r = 0; r < h; r += bs) {
          for (let c = 0; c < level.width; c += bs) {
            const tile = cutTile(strips, level.width, h, c, r, bs, s.dtype, fill);
            await submit(base + (r / bs) * across + c / bs, encodeBlock(tile, s, group.length, compress));
          }
        }
        if (moments) {
          for (let i = 0; i < group.length; i++) {
            const b = (group[i] as number) - 1;
            moments[b] = mergeMoments(moments[b] as Moments, stripMoments(strips[i] as TypedArray, s.nodata));
          }
        }
        for (const [k, o] of overviews.entries()) {
          for (let i = 0; i < group.length; i++) {
            const band = group[i] as number;
            const strip = strips[i] as TypedArray;
            if (isBlockResampling(method)) {
              const small = downsample(strip, level.width, h, o.factor, s.dtype, s.nodata, method);
              await o.raw.write(band, y0 / o.factor, small);
            } else {
              const done = convolver(o, k, band).push(strip, h);
              if (done) await o.raw.write(band, done.row, done.data);
            }
          }
        }
      }
    }
    while (inFlight.length > 0) await flushOne();
    return out;
  } finally {
    await Promise.allSettled(inFlight.map((j) => j.block));
    await fh.close();
  }
}

function checkRows(data: TypedArray, dtype: DType, expected: number, band: number, row: number): void {
  if (!(data instanceof DTYPE_ARRAY[dtype]) || data.length !== expected) {
    throw new AppError(
      'invalid_request',
      `readRows(${band}, ${row}) must return ${expected} ${dtype} samples; got ${data.length} in a ${data.constructor.name}.`,
    );
  }
}

/** Upper bound of the finished file's size, to decide on BigTIFF before writing. */
function sizeBound(s: ResolvedSpec, levels: readonly LevelPlan[]): number {
  const blockBytes = s.blockSize * s.blockSize * dtypeBytes(s.dtype) * s.bands;
  // zlib's and zstd's worst-case expansion is < 1 % + a few bytes per stream; LZW's 12-bit codes for 8-bit
  // bytes at most 1.5×. Round up generously.
  const perBlock = blockBytes * (s.compression === 'lzw' ? 1.5 : 1.01) + 64 + 8;
  const blocks = levels.reduce((n, l) => n + Math.ceil(l.width / s.blockSize) * Math.ceil(l.height / s.blockSize), 0);
  return blocks * perBlock + 1024 * 1024;
}

/**
 * Header, ghost block and IFDs, then each level's blocks, coarsest level first and within a level in TIFF block
 * order; written to `tmpPath`, front to back. Returns the file size and the SHA-256 (hex) of its bytes.
 */
async function assemble(
  s: ResolvedSpec,
  levels: readonly LevelPlan[],
  outputs: readonly LevelOutput[],
  bigTiff: boolean,
  metadataXml: string | null,
  tmpPath: string,
): Promise<{ bytes: number; sha256: string }> {
  const ghost = ghostHeader();
  let ifdStart = headerLength(bigTiff) + ghost.length;
  ifdStart += ifdStart % 2;
  // File offset of every block's data (after its leader), levels coarsest first, blocks in TIFF order.
  const offsetsOf = (dataStart: number): number[][] => {
    const all: number[][] = new Array<number[]>(levels.length);
    let pos = dataStart;
    for (let k = levels.length - 1; k >= 0; k--) {
      const o = outputs[k] as LevelOutput;
      all[k] = o.sizes.map((size) => {
        const at = pos + 4;
        pos += size + 8;
        return at;
      });
    }
    return all;
  };
  const ifdsFor = (offsets: number[][]): Buffer =>
    encodeIfds(
      levels.map((l, k) => buildIfdTags(s, l, k, bigTiff, offsets[k] ?? [], outputs[k]?.sizes ?? [], metadataXml)),
      bigTiff,
      ifdStart,
    ).bytes;
  // IFD sizes do not depend on the offset values, so lay out once with zeros to find where data starts.
  const dataStart = ifdStart + ifdsFor(outputs.map((o) => o.sizes.map(() => 0))).length;
  const offsets = offsetsOf(dataStart);
  const total = dataStart + outputs.reduce((n, o) => n + o.bytes, 0);
  if (!bigTiff && total > 0xffffffff)
    throw new AppError('invalid_request', 'The COG exceeds 4 GiB; write it with bigTiff: true.');
  const ifds = ifdsFor(offsets);
  const fh = await open(tmpPath, 'w');
  const hash = createHash('sha256');
  try {
    const head = Buffer.alloc(dataStart);
    encodeHeader(bigTiff, ifdStart).copy(head, 0);
    ghost.copy(head, headerLength(bigTiff));
    ifds.copy(head, ifdStart);
    await fh.write(head, 0, head.length, 0);
    hash.update(head);
    // Copy framed blocks in TIFF order, batching runs that are contiguous in the temp file into one read.
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    let pos = dataStart;
    for (let k = levels.length - 1; k >= 0; k--) {
      const o = outputs[k] as LevelOutput;
      const src = await open(o.path, 'r');
      try {
        let i = 0;
        while (i < o.starts.length) {
          const from = o.starts[i] as number;
          let len = (o.sizes[i] as number) + 8;
          let j = i + 1;
          while (
            j < o.starts.length &&
            o.starts[j] === from + len &&
            len + (o.sizes[j] as number) + 8 <= chunk.length
          ) {
            len += (o.sizes[j] as number) + 8;
            j++;
          }
          const buf = len <= chunk.length ? chunk : Buffer.allocUnsafe(len);
          const { bytesRead } = await src.read(buf, 0, len, from);
          if (bytesRead !== len) throw new AppError('internal_error', `Temp file ${o.path} ended early.`);
          await fh.write(buf, 0, len, pos);
          hash.update(buf.subarray(0, len));
          pos += len;
          i = j;
        }
      } finally {
        await src.close();
      }
    }
    return { bytes: pos, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

/**
 * Write a Cloud-Optimized GeoTIFF to `path` (replaced atomically: written under a temp name, then renamed). Work
 * files live in a hidden folder `.<name>.XXXXXX` beside `path`, removed on success and on error (a killed process
 * leaves it behind). The folder of `path` must exist.
 * GDAL reports the result as `LAYOUT=COG` and `validate_cloud_optimized_geotiff.py` accepts it; band
 * descriptions, scale/offset, unit and statistics are in GDAL_METADATA, where gdalinfo and rasterio read them.
 * @returns the file size and, when asked for, each band's statistics.
 *
 * @example
 * await writeCog('/tmp/a.tif', { width: 2, height: 1, bands: 1, dtype: 'uint16', crs: 'EPSG:4326',
 *   transform: [1, 0, -120, 0, -1, 40], nodata: 65535, readRows: () => new Uint16Array([1, 2]) });
 * @throws AppError `invalid_request` for an inconsistent spec or a `readRows` result of the wrong size/type;
 *   file-system errors propagate.
 */
export async function writeCog(path: string, spec: CogWriteSpec): Promise<CogWriteResult> {
  const s = validateSpec(spec);
  const compress = blockCompressor(s);
  const moments = s.statistics ? Array.from({ length: s.bands }, emptyMoments) : null;
  const levels = planLevels(s);
  const bigTiff = s.bigTiff === 'auto' ? sizeBound(s, levels) > 0xffffffff : s.bigTiff;
  const dir = await mkdtemp(join(dirname(path), `.${basename(path)}.`));
  const raws: RawLevel[] = [];
  try {
    const outputs: LevelOutput[] = [];
    // Each overview level is computed from the level before it, as GDAL 3.6 does for power-of-two factors (and
    // always for the convolution methods).
    let source: RowSource = (band, row, height) => spec.readRows(band, row, height);
    for (let k = 0; k < levels.length; k++) {
      const level = levels[k] as LevelPlan;
      const nextLevel = levels[k + 1];
      const next: NextLevel[] = [];
      if (nextLevel) {
        const raw = await RawLevel.create(join(dir, `raw-${k + 1}`), nextLevel.width, nextLevel.height, s.dtype);
        raws.push(raw);
        next.push({ raw, factor: nextLevel.factor / level.factor, width: nextLevel.width, height: nextLevel.height });
      }
      const stats = k === 0 ? moments : null;
      outputs.push(await encodeLevel(s, level, source, next, join(dir, `level-${k}`), compress, stats));
      const raw = next[0]?.raw;
      if (raw) source = (band, row, height) => raw.read(band, row, height);
    }
    const statistics = moments ? moments.map(finishStatistics) : null;
    const tmpPath = join(dir, `out-${randomBytes(4).toString('hex')}.tif`);
    const { bytes, sha256 } = await assemble(s, levels, outputs, bigTiff, gdalMetadataXml(s, statistics), tmpPath);
    await rename(tmpPath, path);
    return { bytes, sha256, statistics };
  } finally {
    await Promise.allSettled(raws.map((r) => r.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A `readRows` that reads full-width rows of an open COG, for re-tiling an existing GeoTIFF or slicing its bands
 * into new files: output band `i` (1-based) is source band `bands[i - 1]` (default: the same).
 * Rows come from full resolution; cells outside the source are its nodata (boundless read).
 *
 * @example
 * // bands 101–200 of a cube into their own COG
 * const m = cog.metadata;
 * await writeCog(out, { width: m.width, height: m.height, bands: 100, dtype: m.dtype, crs: 'EPSG:4269',
 *   transform: m.transform, nodata: m.nodata, readRows: rowsFromCog(cog, Array.from({ length: 100 }, (_, i) => 101 + i)) });
 * @throws AppError `band_out_of_range` (from the callback) when `bands` is shorter than the output; reader errors.
 */
export function rowsFromCog(cog: Cog, bands?: readonly number[]): CogWriteSpec['readRows'] {
  const width = cog.metadata.width;
  return async (band, row, height) => {
    const source = bands ? bands[band - 1] : band;
    if (source === undefined) throw new AppError('band_out_of_range', `Output band ${band} has no source band.`);
    const block = await cog.read({ bands: [source], window: { col: 0, row, width, height } });
    return block.data;
  };
}
