/**
 * Decoding into the thread scratch, for the read paths that decode a block and hand it on in one synchronous step
 * ('pread' and 'scratch'): the stored bytes of a block (synchronous reads), its decoded bytes and the zlib stream are
 * one set of buffers shared by every reader on this thread. Decoding a block and handing it to the caller's copy or
 * visitor is one synchronous step, so one set serves all reads; it grows to the largest block seen (a 100-band
 * pixel-interleaved 256² block is 13 MB) and is not given back, so large blocks do not fault fresh pages every read.
 */
import { AppError } from '../../errors.js';
import type { ByteSource } from '../../storage/source.js';
import { createInflater, type Inflater } from '../codecs/inflate.into.js';
import { HEAD_MARGIN, libdeflateInflate, libdeflateInflateHead } from '../codecs/libdeflate.js';
import type { BlockCoding } from '../decode.js';
import { decodedBytes, finishRows, rowBytes } from '../decode.js';
import { DTYPE_ARRAY } from '../dtype.js';
import type { IfdLayout } from '../ifd.js';
import type { DType, RowEncoding, TypedArray } from '../types.js';
import { rasterInvalid, type StoredBlocks } from './stored.js';

/** A source's synchronous read (`ByteSource.readSync`). */
export type ReadSync = NonNullable<ByteSource['readSync']>;

const SCRATCH: { raw: Uint8Array | null; decoded: Uint8Array | null; inflater: Inflater | null } = {
  raw: null,
  decoded: null,
  inflater: null,
};

/** Blocks stored in fewer bytes are read whole even when only their top rows are needed. */
const PREFIX_MIN_BYTES = 8 * 1024;

/**
 * Stored bytes worth reading first of a `count`-byte DEFLATE block when only its first `rows` of the `height` rows
 * that hold data are needed: the rows' share of the bytes, with a margin for rows that compress worse than the
 * block's average (a shortfall costs one more read, of the rest). `count` when that is most of the block anyway.
 */
export function prefixBytes(count: number, rows: number, height: number): number {
  if (rows >= height || count < PREFIX_MIN_BYTES) return count;
  // libdeflate inflates any head of a whole block at ~2.3× zlib's rate (`inflate` below): copying the rest of the
  // block from the page cache costs less than zlib on a prefix.
  if (libdeflateInflateHead() !== null) return count;
  const want = Math.ceil(count * ((1.25 * rows) / height + 0.02)) + 512;
  return want < 0.85 * count ? want : count;
}

/**
 * True when blocks of this coding can be decoded into the scratch: DEFLATE blocks of whole-byte samples. They inflate
 * on the calling thread, only the rows needed (measured: a 13 MB pixel-interleaved block inflates faster that way than
 * through the libuv pool into a fresh buffer, whose page faults dominate).
 */
export function inflatesToScratch(coding: BlockCoding): boolean {
  return (coding.compression === 8 || coding.compression === 32946) && coding.bitsPerSample >= 8;
}

/** True when this thread's inflater can stop after the first bytes of a stream and resume with the rest. */
export function inflatesPrefix(): boolean {
  SCRATCH.inflater ??= createInflater();
  return SCRATCH.inflater.inflatePrefix !== undefined;
}

/**
 * Reads `length` bytes at `offset` into the thread's raw scratch (grown as needed) and returns those read (fewer at
 * the end of the file). Valid until the next read into the scratch.
 */
export function readIntoScratch(readSync: ReadSync, offset: number, length: number): Uint8Array {
  if (SCRATCH.raw === null || SCRATCH.raw.length < length) {
    SCRATCH.raw = new Uint8Array(Math.max(length, 2 * (SCRATCH.raw?.length ?? 0), 64 * 1024));
  }
  const got = readSync(offset, length, SCRATCH.raw.subarray(0, length));
  return SCRATCH.raw.subarray(0, got);
}

/** Bytes [start, end) of the raw scratch (what the last `readIntoScratch` read, from its start). */
export function rawScratch(start: number, end: number): Uint8Array {
  return (SCRATCH.raw as Uint8Array).subarray(start, end);
}

/** One read's decoding into the scratch: the level, the dtype the samples are viewed as, and what rows hold. */
export class ScratchDecoder {
  constructor(
    private readonly stored: StoredBlocks,
    private readonly layout: IfdLayout,
    private readonly dtype: DType,
    /** 'deltas': rows whose predictor leaves horizontal deltas are handed on as stored (the consumer sums them). */
    readonly rows: RowEncoding,
  ) {}

  /**
   * Inflates rows [0, `r1`) of block `n` (block row `by`) into the scratch, finishes rows [`r0`, `r1`) (byte order,
   * predictor; only their first `cols` pixels are guaranteed) unless rows are handed on as deltas, and returns the
   * scratch as samples, valid until the next call. With `rest`, `raw` is only the start of the stored block, and
   * `rest()` gives the remaining bytes if those rows need more of it (read into the raw scratch: `raw` is used up by
   * then).
   * @throws AppError `raster_invalid` when the block is corrupt or short.
   */
  inflate(
    raw: Uint8Array,
    n: number,
    by: number,
    r0: number,
    r1: number,
    cols: number,
    rest?: () => Uint8Array,
  ): TypedArray {
    const coding = this.stored.coding(this.layout, by);
    const bytes = Math.min(coding.rows, r1) * rowBytes(coding);
    const size = decodedBytes(coding);
    if (SCRATCH.decoded === null || SCRATCH.decoded.byteLength < size) {
      SCRATCH.decoded = new Uint8Array(new ArrayBuffer(Math.max(size, 8)));
    }
    SCRATCH.inflater ??= createInflater();
    const dst = SCRATCH.decoded.subarray(0, bytes);
    let got: number;
    const inflater = SCRATCH.inflater;
    const whole = libdeflateInflate();
    const head = libdeflateInflateHead();
    try {
      if (rest && inflater.inflatePrefix && inflater.resume) {
        got = inflater.inflatePrefix(raw, dst);
        if (got < bytes && inflater.starved === true) got = inflater.resume(rest(), dst, got);
      } else if (whole !== null && (head !== null || 5 * bytes >= 2 * size)) {
        // libdeflate, at ~2.3× zlib's rate, inflates only whole streams but stops once its output is full: when the
        // window needs only the block's top rows, it gets those plus the margin that proves them written (a 1 000 000-
        // cell window ending 176 rows into its last block row inflates those blocks in ~0.76 of their time).
        let n =
          head !== null && bytes + HEAD_MARGIN < size
            ? head(raw, SCRATCH.decoded.subarray(0, bytes + HEAD_MARGIN), bytes)
            : -1;
        if (n < 0) n = whole(raw, SCRATCH.decoded.subarray(0, size));
        got = n < 0 ? inflater.inflateInto(raw, dst) : Math.min(n, bytes);
      } else {
        got = inflater.inflateInto(raw, dst);
      }
    } catch (err) {
      throw rasterInvalid(this.stored.url, `block ${n} of IFD ${this.layout.ifd} cannot be decoded`, err);
    }
    if (got < bytes) {
      throw new AppError(
        'raster_invalid',
        `${this.stored.url}: block ${n} of IFD ${this.layout.ifd} decoded to ${got} of ${size} bytes.`,
      );
    }
    if (this.rows === 'values') finishRows(dst, coding, r0, r1, cols);
    const Ctor = DTYPE_ARRAY[this.dtype];
    return new Ctor(SCRATCH.decoded.buffer as ArrayBuffer, 0, bytes / (coding.bitsPerSample >> 3));
  }
}
