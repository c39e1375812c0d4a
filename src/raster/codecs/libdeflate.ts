/**
 * libdeflate through the project's own N-API binding (`native/inflate/`, built by `npm ci` when the system has
 * libdeflate's headers: Debian's `libdeflate-dev`). Inflating DEFLATE blocks is most of an extraction's CPU and
 * libdeflate does it at about 2.3× the rate of Node's zlib here (see the binding's source for the measurement),
 * so whole blocks go through it when it is there; otherwise everything inflates with Node's zlib, as before.
 * Output is identical either way (tests compare the two).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Decompresses the whole zlib stream `src` into `dst`; returns the bytes written, or -1 when the stream holds more
 * than `dst.length` bytes. @throws Error when the stream is corrupt.
 */
export type ZlibInflate = (src: Uint8Array, dst: Uint8Array) => number;

/**
 * Inflates the whole zlib stream `src` until `dst` is full and returns how many leading bytes of `dst` hold the
 * stream's first bytes: all it wrote when the stream fit, `need` when it did not but its first `need` bytes are proven
 * written, or -1 when that cannot be told (inflate the whole stream then). Proof needs `dst.length ≥ need +`
 * {@link HEAD_MARGIN}. @throws Error when the stream is corrupt; TypeError when `need` is not in [0, dst.length].
 */
export type ZlibInflateHead = (src: Uint8Array, dst: Uint8Array, need: number) => number;

/**
 * Bytes of `dst` past `need` that {@link ZlibInflateHead} needs to prove the head written (a canary past the 299
 * bytes libdeflate's fast loop may write ahead of itself, plus a longest DEFLATE match): `native/inflate/inflate.c`.
 */
export const HEAD_MARGIN = 512 + 8 + 258;

/** {@link ZlibInflate} on libuv's thread pool; `src` and `dst` must not be touched until it settles. */
export type ZlibInflateAsync = (src: Uint8Array, dst: Uint8Array) => Promise<number>;

/**
 * Counts the values of rows of horizontal deltas into a histogram (`native/inflate/count.c`; the same as
 * `countDeltaRows` in `raster/deltas.ts`): row i starts at `samples[first + i·stride]`, its columns
 * [`cols[2i]`, `cols[2i+1]`) are counted. Returns the values counted. @throws RangeError when a row reaches outside
 * `samples` or `counts` has fewer than 2^bits bins (nothing is counted then).
 */
export type DeltaCount = (
  samples: Uint16Array | Uint8Array,
  first: number,
  stride: number,
  cols: Int32Array,
  counts: Uint32Array,
) => number;

interface Binding {
  zlibInflate: ZlibInflate;
  zlibInflateAsync?: ZlibInflateAsync;
  zlibInflateHead?: ZlibInflateHead;
  deltaCount?: DeltaCount;
}

/** Where `npm ci` builds the binding: `native/inflate/build/Release/` at the package root (same depth from src/ and dist/). */
const ADDON = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'native',
  'inflate',
  'build',
  'Release',
  'skope_inflate.node',
);

interface Loaded {
  inflate: ZlibInflate | null;
  inflateAsync: ZlibInflateAsync | null;
  inflateHead: ZlibInflateHead | null;
  deltaCount: DeltaCount | null;
  why: string;
}
let loaded: Loaded | null = null;

function load(): Loaded {
  if (loaded !== null) return loaded;
  if (!existsSync(ADDON))
    loaded = {
      inflate: null,
      inflateAsync: null,
      inflateHead: null,
      deltaCount: null,
      why: 'not built (install libdeflate-dev, then npm rebuild)',
    };
  else
    try {
      const binding = createRequire(import.meta.url)(ADDON) as Binding;
      loaded = {
        inflate: binding.zlibInflate,
        inflateAsync: binding.zlibInflateAsync ?? null,
        inflateHead: binding.zlibInflateHead ?? null,
        deltaCount: binding.deltaCount ?? null,
        why: 'loaded',
      };
    } catch (e) {
      const why = `cannot be loaded: ${e instanceof Error ? e.message : String(e)}`;
      loaded = { inflate: null, inflateAsync: null, inflateHead: null, deltaCount: null, why };
    }
  return loaded;
}

/** libdeflate's whole-stream inflate on libuv's pool, or null when the binding is not built. */
export function libdeflateInflateAsync(): ZlibInflateAsync | null {
  return load().inflateAsync;
}

/** libdeflate's whole-stream inflate, or null when the binding is not built (callers use Node's zlib). */
export function libdeflateInflate(): ZlibInflate | null {
  return load().inflate;
}

/** libdeflate's inflate of a stream's first bytes, or null when the binding is not built. */
export function libdeflateInflateHead(): ZlibInflateHead | null {
  return load().inflateHead;
}

/** The binding's delta-row counting loop, or null when the binding is not built (callers count in JavaScript). */
export function nativeDeltaCount(): DeltaCount | null {
  return load().deltaCount;
}

/** 'loaded', or why libdeflate is not used (for start-up logs and tests). */
export function libdeflateStatus(): string {
  return load().why;
}
