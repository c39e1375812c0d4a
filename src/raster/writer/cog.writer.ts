/**
 * Cloud-Optimized GeoTIFF writer, laid out as GDAL's COG driver does: header, the GDAL_STRUCTURAL_METADATA
 * ghost block, every IFD (full resolution, then overviews), then tile data from the smallest overview to the
 * full resolution, each block framed by a 4-byte size leader and a 4-byte trailer.
 *
 * Memory stays bounded: pixels come from a `readRows` callback one strip (a row of blocks, or a few) of one
 * band at a time; compressed blocks go to per-level temp files next to the output, overview pixels to raw
 * temp files; the final file is assembled once all block sizes are known and renamed into place.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { deflate as deflateCb } from 'node:zlib';
import { AppError } from '../../errors.js';
import { DTYPE_ARRAY, dtypeBytes } from '../dtype.js';
import type { Cog, DType, TypedArray } from '../types.js';
import { validateSpec } from './cog.spec.js';
import type { CogWriteSpec, ResolvedSpec } from './cog.spec.js';
import { buildIfdTags, planLevels } from './tiff.encode.layout.js';
import type { LevelPlan } from './tiff.encode.layout.js';
import { encodeHeader, encodeIfds, ghostHeader, headerLength } from './tiff.encode.js';
import { allocArray, cutTile, downsample, encodePredictor2, encodePredictor3 } from './tiff.encode.pixels.js';

const deflate = promisify(deflateCb);

/** Where each block of a level landed in that level's temp file (data start, after the leader). */
interface LevelOutput {
  path: string;
  bytes: number;
  offsets: number[];
  sizes: number[];
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
async function encodeBlock(tile: TypedArray, s: ResolvedSpec, spp: number): Promise<Buffer> {
  let bytes: Uint8Array;
  if (s.predictor === 2) {
    encodePredictor2(tile, s.blockSize, spp);
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  } else if (s.predictor === 3) {
    bytes = encodePredictor3(tile as Float32Array | Float64Array, s.blockSize, spp);
  } else {
    bytes = new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength);
  }
  const data = s.compression === 'deflate' ? await deflate(bytes, { level: s.deflateLevel }) : bytes;
  const framed = Buffer.allocUnsafe(data.byteLength + 8);
  framed.writeUInt32LE(data.byteLength, 0);
  framed.set(data, 4);
  framed.set(data.subarray(data.byteLength - 4), data.byteLength + 4);
  return framed;
}

/**
 * Encode one level into `outPath`: strips of rows from `source`, tiles cut, compressed with up to
 * `concurrency` blocks in flight (results appended in TIFF block order), and the level's downsampled rows
 * written to `next` when there is a coarser level.
 */
async function encodeLevel(
  s: ResolvedSpec,
  level: LevelPlan,
  source: RowSource,
  next: { raw: RawLevel; ratio: number } | null,
  outPath: string,
): Promise<LevelOutput> {
  const fh = await open(outPath, 'w');
  const out: LevelOutput = { path: outPath, bytes: 0, offsets: [], sizes: [] };
  const inFlight: Promise<Buffer>[] = [];
  const flushOne = async (): Promise<void> => {
    const block = await (inFlight.shift() as Promise<Buffer>);
    await fh.write(block, 0, block.length, out.bytes);
    out.offsets.push(out.bytes + 4);
    out.sizes.push(block.length - 8);
    out.bytes += block.length;
  };
  const submit = async (p: Promise<Buffer>): Promise<void> => {
    inFlight.push(p);
    // Keep rejections from surfacing as unhandled while the promise waits in the queue.
    p.catch(() => undefined);
    if (inFlight.length >= s.concurrency) await flushOne();
  };
  try {
    const bs = s.blockSize;
    const pixel = s.interleave === 'pixel';
    const bandGroups = pixel
      ? [Array.from({ length: s.bands }, (_, i) => i + 1)]
      : Array.from({ length: s.bands }, (_, i) => [i + 1]);
    const stripRows =
      bs *
      Math.max(
        1,
        Math.floor(s.stripBudgetBytes / (level.width * bs * dtypeBytes(s.dtype) * (bandGroups[0]?.length ?? 1))),
      );
    const fill = s.nodata !== null && !Number.isNaN(s.nodata) ? s.nodata : 0;
    for (const group of bandGroups) {
      for (let y0 = 0; y0 < level.height; y0 += stripRows) {
        const h = Math.min(stripRows, level.height - y0);
        const strips: TypedArray[] = [];
        for (const band of group) {
          const data = await source(band, y0, h);
          checkRows(data, s.dtype, level.width * h, band, y0);
          strips.push(data);
        }
        for (let r = 0; r < h; r += bs) {
          for (let c = 0; c < level.width; c += bs) {
            const tile = cutTile(strips, level.width, h, c, r, bs, s.dtype, fill);
            await submit(encodeBlock(tile, s, group.length));
          }
        }
        if (next) {
          for (let i = 0; i < group.length; i++) {
            const small = downsample(
              strips[i] as TypedArray,
              level.width,
              h,
              next.ratio,
              s.dtype,
              s.nodata,
              s.resampling,
            );
            await next.raw.write(group[i] as number, y0 / next.ratio, small);
          }
        }
      }
    }
    while (inFlight.length > 0) await flushOne();
    return out;
  } finally {
    await Promise.allSettled(inFlight);
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
  // zlib's worst-case expansion is ~0.03 % + a few bytes per stream; round up generously.
  const perBlock = blockBytes * 1.01 + 64 + 8;
  const blocks = levels.reduce((n, l) => n + Math.ceil(l.width / s.blockSize) * Math.ceil(l.height / s.blockSize), 0);
  return blocks * perBlock + 1024 * 1024;
}

/** Header, ghost block and IFDs, then each level's blocks, coarsest first; written to `tmpPath`. */
async function assemble(
  s: ResolvedSpec,
  levels: readonly LevelPlan[],
  outputs: readonly LevelOutput[],
  bigTiff: boolean,
  tmpPath: string,
): Promise<void> {
  const ghost = ghostHeader();
  let ifdStart = headerLength(bigTiff) + ghost.length;
  ifdStart += ifdStart % 2;
  // IFD sizes do not depend on the offset values, so lay out once with zeros to find where data starts.
  const dryRun = encodeIfds(
    levels.map((l, k) =>
      buildIfdTags(s, l, k, bigTiff, new Array<number>(outputs[k]?.offsets.length ?? 0).fill(0), []),
    ),
    bigTiff,
    ifdStart,
  );
  const dataStart = ifdStart + dryRun.bytes.length;
  const levelBase: number[] = new Array<number>(levels.length).fill(0);
  let pos = dataStart;
  for (let k = levels.length - 1; k >= 0; k--) {
    levelBase[k] = pos;
    pos += outputs[k]?.bytes ?? 0;
  }
  if (!bigTiff && pos > 0xffffffff)
    throw new AppError('invalid_request', 'The COG exceeds 4 GiB; write it with bigTiff: true.');
  const ifds = encodeIfds(
    levels.map((l, k) => {
      const o = outputs[k] as LevelOutput;
      const base = levelBase[k] ?? 0;
      return buildIfdTags(
        s,
        l,
        k,
        bigTiff,
        o.offsets.map((x) => x + base),
        o.sizes,
      );
    }),
    bigTiff,
    ifdStart,
  );
  const fh = await open(tmpPath, 'w');
  try {
    const head = Buffer.alloc(dataStart);
    encodeHeader(bigTiff, ifdStart).copy(head, 0);
    ghost.copy(head, headerLength(bigTiff));
    ifds.bytes.copy(head, ifdStart);
    await fh.write(head, 0, head.length, 0);
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (let k = levels.length - 1; k >= 0; k--) {
      const o = outputs[k] as LevelOutput;
      const src = await open(o.path, 'r');
      try {
        let done = 0;
        while (done < o.bytes) {
          const { bytesRead } = await src.read(chunk, 0, Math.min(chunk.length, o.bytes - done), done);
          if (bytesRead === 0) throw new AppError('internal_error', `Temp file ${o.path} ended early.`);
          await fh.write(chunk, 0, bytesRead, (levelBase[k] ?? 0) + done);
          done += bytesRead;
        }
      } finally {
        await src.close();
      }
    }
  } finally {
    await fh.close();
  }
}

/**
 * Write a Cloud-Optimized GeoTIFF to `path` (replaced atomically: written under a temp name, then renamed). Work
 * files live in a hidden folder `.<name>.XXXXXX` beside `path`, removed on success and on error (a killed process
 * leaves it behind). The folder of `path` must exist.
 * GDAL reports the result as `LAYOUT=COG` and `validate_cloud_optimized_geotiff.py` accepts it.
 *
 * @example
 * await writeCog('/tmp/a.tif', { width: 2, height: 1, bands: 1, dtype: 'uint16', crs: 'EPSG:4326',
 *   transform: [1, 0, -120, 0, -1, 40], nodata: 65535, readRows: () => new Uint16Array([1, 2]) });
 * @throws AppError `invalid_request` for an inconsistent spec or a `readRows` result of the wrong size/type;
 *   file-system errors propagate.
 */
export async function writeCog(path: string, spec: CogWriteSpec): Promise<void> {
  const s = validateSpec(spec);
  const levels = planLevels(s);
  const bigTiff = s.bigTiff === 'auto' ? sizeBound(s, levels) > 0xffffffff : s.bigTiff;
  const dir = await mkdtemp(join(dirname(path), `.${basename(path)}.`));
  const raws: RawLevel[] = [];
  try {
    const outputs: LevelOutput[] = [];
    let source: RowSource = (band, row, height) => spec.readRows(band, row, height);
    for (let k = 0; k < levels.length; k++) {
      const level = levels[k] as LevelPlan;
      const nextLevel = levels[k + 1];
      let next: { raw: RawLevel; ratio: number } | null = null;
      if (nextLevel) {
        const raw = await RawLevel.create(join(dir, `raw-${k + 1}`), nextLevel.width, nextLevel.height, s.dtype);
        raws.push(raw);
        next = { raw, ratio: nextLevel.factor / level.factor };
      }
      outputs.push(await encodeLevel(s, level, source, next, join(dir, `level-${k}`)));
      if (next) {
        const raw = next.raw;
        source = (band, row, height) => raw.read(band, row, height);
      }
    }
    const tmpPath = join(dir, `out-${randomBytes(4).toString('hex')}.tif`);
    await assemble(s, levels, outputs, bigTiff, tmpPath);
    await rename(tmpPath, path);
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
