/**
 * The first read of a TIFF: prefetches the header bytes once (a COG keeps every IFD there) and walks the IFD chain
 * before @cogeotiff/core parses it, because that parser follows "next IFD" pointers without a cycle check (a
 * corrupt file would loop for ever) and without checking that they lie inside the file.
 */
import { AppError } from '../errors.js';
import type { ByteSource, FetchOptions } from '../storage/source.js';

/** Bytes prefetched from the start of the file. */
export const HEADER_BYTES = 64 * 1024;
/** More IFDs than this is not a raster we serve (a COG has one per level and mask). */
const MAX_IFDS = 512;

/**
 * A ByteSource that answers reads inside the prefetched header from memory and passes the rest through.
 * Handed to @cogeotiff/core so its header parsing costs no extra requests.
 */
export class HeaderSource implements ByteSource {
  readonly url: URL;
  constructor(
    private readonly inner: ByteSource,
    private readonly prefix: Uint8Array,
    readonly metadata: { size: number; etag?: string },
  ) {
    this.url = inner.url;
  }

  fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer> {
    const end = length === undefined ? this.metadata.size : offset + length;
    if (offset >= 0 && (end <= this.prefix.length || this.prefix.length === this.metadata.size)) {
      const slice = this.prefix.slice(offset, Math.min(end, this.prefix.length));
      return Promise.resolve(slice.buffer);
    }
    return this.inner.fetch(offset, length, options);
  }

  head(): Promise<{ size: number; etag?: string }> {
    return Promise.resolve(this.metadata);
  }
}

/**
 * The bytes a COG's structure is parsed from: the file's start (every IFD, and the block indexes when they lie
 * there), with the object's size and version. Plain data: the main thread sends it with an extraction's tasks so a
 * worker thread opens the file without reading its header again.
 */
export interface CogHeader {
  /** Object size in bytes. */
  size: number;
  /** Object version (ETag, or `mtimeMs-size` for files), when known. */
  etag?: string;
  /** Bytes 0 … `prefix.length` of the object. */
  prefix: Uint8Array;
}

/** TIFF tags whose arrays @cogeotiff/core loads lazily: block offsets and byte counts. */
const INDEX_TAGS = new Set([273, 279, 324, 325]);
/** Bytes per value of the TIFF field types an index may use (SHORT, LONG, LONG8). */
const TYPE_BYTES: Record<number, number> = { 3: 2, 4: 4, 16: 8 };
/** Largest index stretch fetched with the header (a bigger one is loaded per IFD when a read needs it). */
const MAX_INDEX_BYTES = 32 * 1024 * 1024;

/**
 * Reads the header (`HEADER_BYTES` from the start, or `known.prefix` when the caller has it) and checks the
 * TIFF/BigTIFF magic and the IFD chain: every IFD inside the file, no cycles, at most MAX_IFDS. When block indexes
 * (tile/strip offsets and byte counts) lie past the prefix, one more request reads the stretch that holds them all,
 * so that opening a COG costs one round trip, two at most, and no read later waits for an index. Returns a
 * HeaderSource for the parser and the header bytes (`CogHeader`).
 * @throws AppError `raster_invalid` naming the file
 */
export async function readHeader(
  source: ByteSource,
  known: CogHeader,
  options?: FetchOptions,
): Promise<{ source: HeaderSource; header: CogHeader }> {
  const url = source.url.href;
  const { size } = known;
  const bad = (why: string): AppError => new AppError('raster_invalid', `${url}: ${why}`);
  let head = known.prefix;
  if (head.length < 8) throw bad('not a TIFF file (too short).');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const order = String.fromCharCode(head[0]!, head[1]!);
  if (order !== 'II' && order !== 'MM') throw bad('not a TIFF file (bad magic bytes).');
  const le = order === 'II';
  const version = dv.getUint16(2, le);
  if (version !== 42 && version !== 43) throw bad(`not a TIFF file (version ${version}).`);
  const big = version === 43;
  if (big && head.length < 16) throw bad('truncated BigTIFF header.');

  /** Reads `n` bytes at `offset`, from the header when possible. */
  const bytesAt = async (offset: number, n: number): Promise<DataView> => {
    if (offset + n <= head.length) return new DataView(head.buffer, head.byteOffset + offset, n);
    const buf = await source.fetch(offset, n, options);
    if (buf.byteLength < n) throw bad(`IFD at byte ${offset} is truncated.`);
    return new DataView(buf);
  };
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const pointerSize = big ? 8 : 4;
  const readUint = (v: DataView, at: number, bytes: number): number =>
    bytes === 8 ? Number(v.getBigUint64(at, le)) : bytes === 4 ? v.getUint32(at, le) : v.getUint16(at, le);

  let next = big ? readUint(dv, 8, 8) : readUint(dv, 4, 4);
  if (next === 0) throw bad('the TIFF has no image (no IFD).');
  const seen = new Set<number>();
  /** End of the furthest block index past the prefix (0: all inside). */
  let indexEnd = 0;
  while (next !== 0) {
    if (seen.has(next)) throw bad(`the IFD chain loops back to byte ${next}.`);
    if (seen.size >= MAX_IFDS) throw bad(`more than ${MAX_IFDS} IFDs.`);
    if (next + countSize > size) throw bad(`IFD at byte ${next} is past the end of the file (${size} bytes).`);
    seen.add(next);
    const count = readUint(await bytesAt(next, countSize), 0, countSize);
    const end = next + countSize + count * entrySize;
    if (count === 0 || end + pointerSize > size) throw bad(`IFD at byte ${next} runs past the end of the file.`);
    if (end <= head.length) {
      // The IFD is in the prefix: note where its block indexes end when they are stored past it.
      for (let i = 0; i < count; i++) {
        const at = next + countSize + i * entrySize;
        const tag = readUint(dv, at, 2);
        const typeBytes = TYPE_BYTES[readUint(dv, at + 2, 2)];
        if (!INDEX_TAGS.has(tag) || typeBytes === undefined) continue;
        const n = readUint(dv, at + 4, big ? 8 : 4);
        const bytes = n * typeBytes;
        if (bytes <= pointerSize) continue; // stored in the entry itself
        const offset = readUint(dv, at + 4 + (big ? 8 : 4), pointerSize);
        const stop = offset + bytes;
        if (stop > head.length && stop <= size) indexEnd = Math.max(indexEnd, stop);
      }
    }
    next = readUint(await bytesAt(end, pointerSize), 0, pointerSize);
  }
  if (indexEnd > head.length && indexEnd - head.length <= MAX_INDEX_BYTES) {
    const rest = new Uint8Array(await source.fetch(head.length, indexEnd - head.length, options));
    const joined = new Uint8Array(head.length + rest.length);
    joined.set(head);
    joined.set(rest, head.length);
    head = joined;
  }
  const meta = known.etag === undefined ? { size } : { size, etag: known.etag };
  return { source: new HeaderSource(source, head, meta), header: { ...meta, prefix: head } };
}
