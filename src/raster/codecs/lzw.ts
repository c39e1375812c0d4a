/**
 * TIFF LZW decoder (compression 5): MSB-first codes of 9–12 bits, Clear = 256, EOI = 257, "early change" code
 * width switch, as libtiff writes it.
 *
 * Speed comes from never materialising dictionary strings: the string of every code added after a Clear is a
 * substring of the output already written (the previous code's string plus the next byte), so the table only
 * stores (offset, length) into the output and decoding a code is a copy inside the output buffer.
 */

const CLEAR = 256;
const EOI = 257;
const FIRST = 258;
const MAX_CODES = 4096;

/**
 * Decodes `src` into exactly `expectedBytes` bytes (extra output is dropped, as libtiff does).
 * @throws Error on an invalid code or when the data ends before the output is full.
 */
export function lzwDecode(src: Uint8Array, expectedBytes: number): Uint8Array {
  // Slack of one maximal string (4096 bytes) lets every copy run unchecked; the result is trimmed to size.
  const out = new Uint8Array(expectedBytes + MAX_CODES + 1);
  const offs = new Int32Array(MAX_CODES);
  const lens = new Int32Array(MAX_CODES);
  const n = src.length;
  const fast = n - 2;
  let ip = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let width = 9;
  let mask = 511;
  let next = FIRST;
  let o = 0;
  let prevOff = -1; // where the previous code's string starts in `out` (-1: no previous code)
  let prevLen = 0;

  while (o < expectedBytes) {
    if (bitCount < width) {
      // Codes are at most 12 bits, so two more bytes always suffice; the buffer keeps < 28 meaningful bits.
      if (ip < fast) {
        bitBuf = (bitBuf << 16) | (src[ip]! << 8) | src[ip + 1]!;
        ip += 2;
        bitCount += 16;
      } else {
        while (bitCount < width) {
          if (ip >= n) throw new Error(`LZW data ended after ${o} of ${expectedBytes} bytes`);
          bitBuf = (bitBuf << 8) | src[ip++]!;
          bitCount += 8;
        }
      }
    }
    bitCount -= width;
    const code = (bitBuf >>> bitCount) & mask;

    const start = o;
    let len: number;
    if (code < CLEAR) {
      out[o++] = code;
      len = 1;
    } else if (code >= FIRST && code < next) {
      len = lens[code]!;
      const from = offs[code]!;
      // A table string was written earlier and ends at or before `o`, so the copy never overlaps its source.
      if (len > 16) out.copyWithin(o, from, from + len);
      else for (let k = 0; k < len; k++) out[o + k] = out[from + k]!;
      o += len;
    } else if (code === CLEAR) {
      width = 9;
      mask = 511;
      next = FIRST;
      prevOff = -1;
      continue;
    } else if (code === EOI) {
      break;
    } else if (code === next && prevOff >= 0) {
      // KwKwK: the previous string plus its own first byte; the copy overlaps its source, so go byte by byte.
      len = prevLen + 1;
      for (let k = 0; k < len; k++) out[o + k] = out[prevOff + k]!;
      o += len;
    } else {
      throw new Error(`LZW data has an invalid code ${code} (next free code ${next})`);
    }

    if (prevOff >= 0 && next < MAX_CODES) {
      // New entry: previous string + first byte of this one; it sits contiguously in the output at prevOff.
      offs[next] = prevOff;
      lens[next] = prevLen + 1;
      next++;
      if (next + 1 >= 1 << width && width < 12) {
        width++;
        mask = (1 << width) - 1;
      }
    }
    prevOff = start;
    prevLen = len;
  }
  if (o < expectedBytes) throw new Error(`LZW data ended after ${o} of ${expectedBytes} bytes`);
  return out.subarray(0, expectedBytes);
}

/** Open-addressing table size for the encoder (a power of two, > 4096 entries at most half full). */
const HASH_SIZE = 8192;

/**
 * TIFF LZW encoder (compression 5), libtiff's bit stream: a Clear code first, MSB-first codes of 9–12 bits
 * widened one code early, a Clear (and a fresh table) when the table reaches 4094 entries, then EOI. What
 * `lzwDecode`, libtiff and GDAL decode.
 */
export function lzwEncode(src: Uint8Array): Uint8Array {
  // Each input byte yields at most one 12-bit code; plus Clear codes, the last code and EOI.
  const out = new Uint8Array(Math.ceil((src.length + 2 + Math.ceil(src.length / 3800)) * 1.5) + 16);
  const keys = new Int32Array(HASH_SIZE).fill(-1);
  const codes = new Int16Array(HASH_SIZE);
  let o = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let width = 9;
  let free = FIRST;
  const put = (code: number): void => {
    bitBuf = (bitBuf << width) | code;
    bitCount += width;
    while (bitCount >= 8) {
      bitCount -= 8;
      out[o++] = (bitBuf >>> bitCount) & 0xff;
    }
    bitBuf &= (1 << bitCount) - 1;
  };
  put(CLEAR);
  if (src.length > 0) {
    let ent = src[0]!;
    for (let i = 1; i < src.length; i++) {
      const c = src[i]!;
      const key = (ent << 8) | c;
      let h = ((key * 2654435761) >>> 19) & (HASH_SIZE - 1);
      while (keys[h] !== -1 && keys[h] !== key) h = (h + 1) & (HASH_SIZE - 1);
      if (keys[h] === key) {
        ent = codes[h]!;
        continue;
      }
      put(ent);
      keys[h] = key;
      codes[h] = free++;
      ent = c;
      if (free === MAX_CODES - 2) {
        put(CLEAR);
        keys.fill(-1);
        free = FIRST;
        width = 9;
      } else if (free > (1 << width) - 1) {
        width++;
      }
    }
    put(ent);
    free++;
    // The decoder adds an entry for this last code too, so EOI may already need the next width.
    if (free === MAX_CODES - 2) {
      put(CLEAR);
      width = 9;
    } else if (free > (1 << width) - 1) {
      width++;
    }
  }
  put(EOI);
  if (bitCount > 0) out[o++] = (bitBuf << (8 - bitCount)) & 0xff;
  return out.subarray(0, o);
}
