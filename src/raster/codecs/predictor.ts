/**
 * Undo TIFF predictors in place on a decoded block. Blocks are `rows` rows of `rowSamples` samples
 * (width × samples per pixel in the block), `bytesPerSample` bytes each.
 */

/** Swaps every `bytesPerSample`-byte word of `buf` in place (big-endian file → little-endian host). */
export function swapBytes(buf: Uint8Array, bytesPerSample: number): void {
  if (bytesPerSample === 2) {
    for (let i = 0; i + 1 < buf.length; i += 2) {
      const t = buf[i]!;
      buf[i] = buf[i + 1]!;
      buf[i + 1] = t;
    }
  } else if (bytesPerSample === 4) {
    for (let i = 0; i + 3 < buf.length; i += 4) {
      const a = buf[i]!;
      const b = buf[i + 1]!;
      buf[i] = buf[i + 3]!;
      buf[i + 1] = buf[i + 2]!;
      buf[i + 2] = b;
      buf[i + 3] = a;
    }
  } else if (bytesPerSample === 8) {
    for (let i = 0; i + 7 < buf.length; i += 8) {
      for (let k = 0; k < 4; k++) {
        const t = buf[i + k]!;
        buf[i + k] = buf[i + 7 - k]!;
        buf[i + 7 - k] = t;
      }
    }
  }
}

/**
 * Predictor 2 (horizontal differencing): each sample is stored as the difference to the sample `stride` positions
 * before it in the same row (stride = samples per pixel). Works on native-endian data with wrapping integer
 * arithmetic of the sample width (1, 2, 4 or 8 bytes), as libtiff does. `buf.byteOffset` must be aligned.
 * `usedSamples`: only the first that many samples of each row are needed (a hint; a row may be finished further).
 */
export function undoHorizontal(
  buf: Uint8Array,
  bytesPerSample: number,
  rows: number,
  rowSamples: number,
  stride: number,
  usedSamples: number = rowSamples,
): void {
  const count = rows * rowSamples;
  if (bytesPerSample === 1) accumulate(buf, rows, rowSamples, stride);
  else if (bytesPerSample === 2 && stride === 1)
    accumulate16(new Uint16Array(buf.buffer, buf.byteOffset, count), rows, rowSamples, usedSamples);
  else if (bytesPerSample === 2)
    accumulate(new Uint16Array(buf.buffer, buf.byteOffset, count), rows, rowSamples, stride);
  else if (bytesPerSample === 4)
    accumulate(new Uint32Array(buf.buffer, buf.byteOffset, count), rows, rowSamples, stride);
  else if (bytesPerSample === 8) {
    const a = new BigUint64Array(buf.buffer, buf.byteOffset, count);
    for (let r = 0; r < rows; r++) {
      const base = r * rowSamples;
      for (let i = base + stride; i < base + rowSamples; i++) a[i] = BigInt.asUintN(64, a[i]! + a[i - stride]!);
    }
  } else throw new Error(`predictor 2 does not support ${bytesPerSample}-byte samples`);
}

/**
 * `accumulate` for the commonest case (16-bit, one sample per pixel: DEM and climate COGs) in a function of its own,
 * so the hot loop sees one array type (a shared loop over three typed-array kinds is ~2× slower in V8).
 */
function accumulate16(a: Uint16Array, rows: number, rowSamples: number, usedSamples: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * rowSamples;
    const end = base + Math.min(rowSamples, usedSamples);
    let acc = a[base]!;
    for (let i = base + 1; i < end; i++) {
      acc = (acc + a[i]!) & 0xffff;
      a[i] = acc;
    }
  }
}

function accumulate(a: Uint8Array | Uint16Array | Uint32Array, rows: number, rowSamples: number, stride: number): void {
  // Typed-array stores wrap modulo 2^bits, which is exactly the integer overflow libtiff relies on.
  if (stride === 1) {
    // One sample per pixel: a running sum per row, kept in a register and wrapped by masking.
    const mask = a.BYTES_PER_ELEMENT === 4 ? -1 : (1 << (8 * a.BYTES_PER_ELEMENT)) - 1;
    for (let r = 0; r < rows; r++) {
      const base = r * rowSamples;
      const end = base + rowSamples;
      let acc = a[base]!;
      for (let i = base + 1; i < end; i++) {
        acc = (acc + a[i]!) & mask; // for 32-bit samples the int32 result stores as the same uint32 bits
        a[i] = acc;
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * rowSamples;
    const end = base + rowSamples;
    for (let i = base + stride; i < end; i++) a[i] = a[i]! + a[i - stride]!;
  }
}

/**
 * Predictor 3 (floating point): each row holds the bytes of its samples shuffled by significance (all most
 * significant bytes first), then byte-differenced with `stride`. Un-difference the bytes, then un-shuffle into
 * native (little-endian) sample order. The file's byte order does not matter for this predictor.
 */
export function undoFloatingPoint(
  buf: Uint8Array,
  bytesPerSample: number,
  rows: number,
  rowSamples: number,
  stride: number,
): void {
  const rowBytes = rowSamples * bytesPerSample;
  const tmp = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    for (let i = base + stride; i < base + rowBytes; i++) buf[i] = (buf[i]! + buf[i - stride]!) & 0xff;
    tmp.set(buf.subarray(base, base + rowBytes));
    for (let b = 0; b < bytesPerSample; b++) {
      // Byte plane b holds byte (bytesPerSample - 1 - b) of each little-endian sample.
      const plane = (bytesPerSample - 1 - b) * rowSamples;
      let o = base + b;
      for (let i = 0; i < rowSamples; i++, o += bytesPerSample) buf[o] = tmp[plane + i]!;
    }
  }
}
