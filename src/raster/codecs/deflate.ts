import { inflate as zlibInflate } from 'node:zlib';

/**
 * Inflates a zlib (DEFLATE, TIFF compression 8/32946) stream. Runs on the libuv thread pool, so several blocks
 * decode in parallel. `expectedBytes` (the decoded block size) sizes the output chunk (about 1.4× faster than the
 * default 16 KiB chunks) and caps the output so a corrupt stream cannot balloon.
 * @throws Error when the stream is corrupt or decodes to more than `expectedBytes`.
 */
export function inflate(data: Uint8Array, expectedBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zlibInflate(
      data,
      { chunkSize: Math.max(64, expectedBytes), maxOutputLength: Math.max(1, expectedBytes) },
      (err, out) => {
        if (err) reject(new Error(`DEFLATE stream is corrupt (${err.message})`));
        else resolve(out);
      },
    );
  });
}
