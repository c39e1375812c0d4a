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
 * Reads the header bytes and checks the TIFF/BigTIFF magic and the IFD chain: every IFD inside the file, no
 * cycles, at most MAX_IFDS. Returns a HeaderSource for the parser.
 * @throws AppError `raster_invalid` naming the file
 */
export async function readHeader(
  source: ByteSource,
  size: number,
  etag: string | undefined,
  options?: FetchOptions,
): Promise<HeaderSource> {
  const url = source.url.href;
  const bad = (why: string): AppError => new AppError('raster_invalid', `${url}: ${why}`);
  const head = new Uint8Array(await source.fetch(0, Math.min(size, HEADER_BYTES), options));
  const meta = etag === undefined ? { size } : { size, etag };
  const wrapped = new HeaderSource(source, head, meta);
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
  while (next !== 0) {
    if (seen.has(next)) throw bad(`the IFD chain loops back to byte ${next}.`);
    if (seen.size >= MAX_IFDS) throw bad(`more than ${MAX_IFDS} IFDs.`);
    if (next + countSize > size) throw bad(`IFD at byte ${next} is past the end of the file (${size} bytes).`);
    seen.add(next);
    const count = readUint(await bytesAt(next, countSize), 0, countSize);
    const end = next + countSize + count * entrySize;
    if (count === 0 || end + pointerSize > size) throw bad(`IFD at byte ${next} runs past the end of the file.`);
    next = readUint(await bytesAt(end, pointerSize), 0, pointerSize);
  }
  return wrapped;
}
