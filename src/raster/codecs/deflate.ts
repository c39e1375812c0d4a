import { constants, inflate as zlibInflate } from 'node:zlib';
import type { ZlibOptions } from 'node:zlib';

function run(data: Uint8Array, options: ZlibOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zlibInflate(data, options, (err, out) => {
      if (err) reject(new Error(`DEFLATE stream is corrupt (${err.message})`));
      else resolve(out);
    });
  });
}

/**
 * Inflates a zlib (DEFLATE, TIFF compression 8/32946) stream. Runs on the libuv thread pool, so several blocks
 * decode in parallel. `expectedBytes` (the decoded block size) sizes the output chunk (about 1.4× faster than the
 * default 16 KiB chunks) and caps the output so a corrupt stream cannot balloon.
 * @throws Error when the stream is corrupt or decodes to more than `expectedBytes`.
 */
export function inflate(data: Uint8Array, expectedBytes: number): Promise<Uint8Array> {
  return run(data, { chunkSize: Math.max(64, expectedBytes), maxOutputLength: Math.max(1, expectedBytes) });
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
  const out = await run(part, {
    chunkSize: Math.max(64, expectedBytes),
    maxOutputLength: Math.max(1, expectedBytes),
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  return out.length >= neededBytes ? out : null;
}
