/**
 * Decodes PackBits (TIFF compression 32773) into exactly `expectedBytes` bytes.
 * @throws Error when the data runs out before the output is full.
 */
export function unpackBits(src: Uint8Array, expectedBytes: number): Uint8Array {
  const out = new Uint8Array(expectedBytes);
  let i = 0;
  let o = 0;
  const n = src.length;
  while (o < expectedBytes && i < n) {
    const h = src[i++]!;
    if (h < 128) {
      // Literal run of h + 1 bytes.
      const count = Math.min(h + 1, expectedBytes - o, n - i);
      out.set(src.subarray(i, i + count), o);
      i += h + 1;
      o += count;
    } else if (h > 128) {
      // Replicate the next byte 257 - h times.
      if (i >= n) break;
      const end = Math.min(o + 257 - h, expectedBytes);
      out.fill(src[i++]!, o, end);
      o = end;
    }
    // 128 is a no-op.
  }
  if (o < expectedBytes) throw new Error(`PackBits data ended after ${o} of ${expectedBytes} bytes`);
  return out;
}
