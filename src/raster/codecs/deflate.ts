import { constants, inflate as zlibInflate, inflateSync } from 'node:zlib';
import type { ZlibOptions } from 'node:zlib';
import { libdeflateInflate, libdeflateInflateAsync } from './libdeflate.js';

/**
 * Blocks up to this many decoded bytes inflate synchronously. Measured here (Node 20, 2 cores): an async zlib call
 * costs about as much main-thread CPU to set up as inflating a 128 KiB block, so small blocks are cheaper inline;
 * large ones (a 100-band pixel-interleaved block is 13 MB) go to the libuv pool and decode in parallel.
 */
export const SYNC_MAX_BYTES = 256 * 1024;

function run(data: Uint8Array, expectedBytes: number, extra: ZlibOptions): Promise<Uint8Array> {
  // One output chunk a little larger than the block: zlib then never allocates a second chunk.
  const options: ZlibOptions = {
    chunkSize: Math.max(64, expectedBytes + 64),
    maxOutputLength: Math.max(1, expectedBytes),
    ...extra,
  };
  if (expectedBytes <= SYNC_MAX_BYTES) {
    const whole = extra.finishFlush === undefined ? libdeflateInflate() : null;
    if (whole !== null) {
      try {
        const out = new Uint8Array(Math.max(1, expectedBytes));
        const n = whole(data, out);
        // -1: more than expected, which zlib below refuses with its own message.
        if (n >= 0) return Promise.resolve(out.subarray(0, n));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    try {
      return Promise.resolve(inflateSync(data, options));
    } catch (err) {
      return Promise.reject(
        new Error(`DEFLATE stream is corrupt (${err instanceof Error ? err.message : String(err)})`),
      );
    }
  }
  const pooled = extra.finishFlush === undefined ? libdeflateInflateAsync() : null;
  if (pooled !== null) {
    // Every byte up to the count returned is written, so the buffer need not be zeroed first.
    const out = Buffer.allocUnsafe(Math.max(1, expectedBytes));
    return pooled(data, out).then(
      (n) => (n >= 0 ? out.subarray(0, n) : zlibRun(data, options)),
      (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
    );
  }
  return zlibRun(data, options);
}

/** Node's zlib on the libuv pool. */
function zlibRun(data: Uint8Array, options: ZlibOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zlibInflate(data, options, (err, out) => {
      if (err) reject(new Error(`DEFLATE stream is corrupt (${err.message})`));
      else resolve(out);
    });
  });
}

/**
 * Inflates a zlib (DEFLATE, TIFF compression 8/32946) stream of `expectedBytes` decoded bytes. Large blocks run on
 * the libuv thread pool (several decode in parallel), small ones inline. `expectedBytes` also sizes the output
 * buffer (one chunk: ~1.4× faster than zlib's 16 KiB default) and caps the output so a corrupt stream cannot balloon.
 * @throws Error when the stream is corrupt or decodes to more than `expectedBytes`.
 */
export function inflate(data: Uint8Array, expectedBytes: number): Promise<Uint8Array> {
  return run(data, expectedBytes, {});
}

/**
 * Inflates only the start of a stream: at least `neededBytes` of the `expectedBytes` it decodes to, by feeding
 * zlib a proportional prefix of the input (plus a margin). Resolves null when that prefix decoded to too few bytes
 * (compression varies along the block); the caller then inflates the whole stream.
 * @throws Error when the stream is corrupt.
 */
export async function inflatePrefix(
  data: Uint8Array,
  expectedBytes: number,
  neededBytes: number,
): Promise<Uint8Array | null> {
  const fraction = Math.min(1, (neededBytes / expectedBytes) * 1.1 + 0.02);
  const part = data.subarray(0, Math.ceil(data.length * fraction));
  // SYNC_FLUSH: a cut stream is not an error, zlib just returns what it could decode.
  const out = await run(part, expectedBytes, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.length >= neededBytes ? out : null;
}
