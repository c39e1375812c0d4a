/**
 * ZSTD (TIFF compression 50000) for the reader and the COG writer, through `@toondepauw/node-zstd`: libzstd as a
 * Node-API addon whose prebuilt binaries ship inside per-platform npm packages (napi-rs; no install script, no
 * download besides the npm registry, Node ≥ 20), with asynchronous calls that run on the libuv thread pool so
 * blocks encode and decode in parallel.
 *
 * Why this one (measured on this project's blocks, 512² uint32 with predictor 2, level 9; see `npm run bench --
 * cogwrite`): the WASM builds (`@bokuweb/zstd-wasm`, `@hpcc-js/wasm-zstd`) encode about half as fast and only
 * synchronously on the calling thread; `zstd-napi` and `@mongodb-js/zstd` ≥ 2 fetch their binaries from GitHub
 * at install time (or compile with node-gyp, which downloads Node's headers), which an offline `npm ci` cannot
 * do; `@mongodb-js/zstd` 1.x ignores the level in its JavaScript wrapper; `node:zlib` has zstd only from Node
 * 22.15, with a libzstd version that follows Node's, so the same input would give different bytes on different
 * Node versions. With one pinned libzstd, the same block and level always compress to the same bytes.
 * Decoding through the same addon is ~2.3× faster than the `zstddec` WASM decoder we used before, and ZSTD blocks
 * decode ~7× faster than the same blocks as DEFLATE through `node:zlib` (one block at a time; ~4× with every core).
 */
import { Decoder, Encoder } from '@toondepauw/node-zstd';

/** Decodes one ZSTD frame into exactly `expectedBytes` bytes. */
export type ZstdDecode = (data: Uint8Array, expectedBytes: number) => Promise<Uint8Array>;

/** Compresses one block into one ZSTD frame (same input and level → same bytes). */
export type ZstdEncode = (data: Uint8Array) => Promise<Uint8Array>;

/** Blocks up to this many compressed bytes decode inline: a trip through the thread pool costs more. */
const SYNC_MAX_BYTES = 16 * 1024;

const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** A ZSTD decoder. Cheap: the addon loads once per process (or worker thread). */
export function createZstdDecoder(): Promise<ZstdDecode> {
  const decoder = new Decoder();
  return Promise.resolve(async (data, expectedBytes) => {
    let out: Uint8Array;
    try {
      const input = asBuffer(data);
      out = input.length <= SYNC_MAX_BYTES ? decoder.decodeSync(input) : await decoder.decode(input);
    } catch (err) {
      throw new Error(`ZSTD frame is corrupt (${err instanceof Error ? err.message : String(err)})`);
    }
    if (out.length !== expectedBytes) {
      throw new Error(`ZSTD frame decoded to ${out.length} bytes, expected ${expectedBytes}`);
    }
    return out;
  });
}

/**
 * A ZSTD encoder at `level` (1–22; GDAL's default ZSTD_LEVEL is 9). Each call compresses one whole block as a
 * single frame on the libuv thread pool.
 */
export function createZstdEncoder(level: number): ZstdEncode {
  if (!Number.isInteger(level) || level < 1 || level > 22)
    throw new RangeError(`zstd level must be 1…22; got ${level}`);
  const encoder = new Encoder(level);
  return (data) => encoder.encode(asBuffer(data));
}
