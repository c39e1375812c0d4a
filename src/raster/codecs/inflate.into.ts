/**
 * A reusable zlib inflater that writes into a caller's buffer and stops when that buffer is full.
 *
 * Why: `inflateSync` allocates a fresh output buffer and a zlib stream per call. For the many small blocks of a
 * timeseries read (a 128 KiB tile per band and year, decoded once, copied into the window and dropped) that costs
 * ~25 % of the decode time on one thread, and the allocation churn stops two threads from scaling. Here one zlib
 * stream is reset per block and writes straight into a scratch buffer; a window that needs only the top rows of a
 * tile gets exactly those rows (zlib stops when the output is full).
 *
 * Node has no public API for inflating into a given buffer, so this drives the zlib binding the way
 * `zlib.inflateSync` does internally (`_handle.writeSync`, `_writeState`), and falls back to `inflateSync` plus a
 * copy when those are not there (a future Node). Both paths are tested against each other.
 */
import { constants, Inflate, inflateSync } from 'node:zlib';

/** Inflates zlib streams into caller buffers. One per thread or reader; not re-entrant. */
export interface Inflater {
  /**
   * Inflates `src` (a zlib stream) into `dst` until `dst` is full or the stream ends, and returns the bytes written
   * (fewer than `dst.length` when the stream holds less). Bytes of `dst` past that count are unspecified.
   * @throws Error when the stream is corrupt (a stream cut short may throw, or return a short count).
   */
  inflateInto(src: Uint8Array, dst: Uint8Array): number;
  /**
   * Like `inflateInto` for a stream of which `src` is only the start: running out of input is not an error. Returns
   * the bytes written; when that is short of `dst.length` and the input was used up, {@link Inflater.resume} with the
   * rest of the stream continues where it stopped. Only where `direct`.
   * @throws Error when the stream is corrupt.
   */
  inflatePrefix?(src: Uint8Array, dst: Uint8Array): number;
  /**
   * Continues the stream `inflatePrefix` started with its next bytes `rest`, writing on into `dst` after the
   * `written` bytes it had produced; returns the total bytes written. Only after an `inflatePrefix` that used up its
   * input.
   * @throws Error when the stream is corrupt (or ends before `dst` is full).
   */
  resume?(rest: Uint8Array, dst: Uint8Array, written: number): number;
  /** True when the last `inflatePrefix` stopped for want of input (so `resume` may continue it). */
  readonly starved?: boolean;
  /** True when inflating straight into `dst` (the zlib binding); false on the `inflateSync` + copy fallback. */
  readonly direct: boolean;
}

/** The parts of Node's zlib binding `inflateSync` uses. */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string, errno: number, code: string) => void;
}

/** Creates an inflater (`fallback: true` forces the public-API path, for tests). */
export function createInflater(options: { fallback?: boolean } = {}): Inflater {
  const stream = new Inflate();
  const internals = stream as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: Uint32Array };
  const handle = internals._handle;
  const state = internals._writeState;
  if (
    options.fallback === true ||
    handle === undefined ||
    typeof handle.writeSync !== 'function' ||
    !(state instanceof Uint32Array) ||
    typeof stream.reset !== 'function'
  ) {
    stream.close();
    return fallbackInflater();
  }
  const h = handle as ZlibHandle;
  let failure: string | null = null;
  // The binding reports errors through this callback (the stream's own handler would destroy the stream).
  h.onerror = (message, _errno, code) => {
    failure = `${message} (${code})`;
  };
  const check = (): void => {
    if (failure !== null) throw new Error(`DEFLATE stream is corrupt (${failure as string})`);
  };
  let starved = false;
  return {
    direct: true,
    get starved() {
      return starved;
    },
    inflateInto(src, dst) {
      stream.reset();
      failure = null;
      starved = false;
      // Z_FINISH: a stream that ends before `dst` is full is an error ("unexpected end of file"); a full `dst` is not.
      h.writeSync(constants.Z_FINISH, src, 0, src.length, dst, 0, dst.length);
      check();
      return dst.length - (state[0] ?? 0);
    },
    inflatePrefix(src, dst) {
      stream.reset();
      failure = null;
      // Z_SYNC_FLUSH: input running out before `dst` is full leaves the stream waiting for more, not failed.
      h.writeSync(constants.Z_SYNC_FLUSH, src, 0, src.length, dst, 0, dst.length);
      check();
      const written = dst.length - (state[0] ?? 0);
      // Input left over with room in `dst` means the stream ended: nothing more to resume.
      starved = written < dst.length && (state[1] ?? 0) === 0;
      return written;
    },
    resume(rest, dst, written) {
      if (!starved) throw new Error('DEFLATE stream cannot be resumed: it did not stop for want of input');
      failure = null;
      starved = false;
      h.writeSync(constants.Z_FINISH, rest, 0, rest.length, dst, written, dst.length - written);
      check();
      return dst.length - (state[0] ?? 0);
    },
  };
}

function fallbackInflater(): Inflater {
  return {
    direct: false,
    inflateInto(src, dst) {
      let out: Uint8Array;
      try {
        // SYNC_FLUSH: a stream cut short decodes as far as it goes; the length check below decides.
        out = inflateSync(src, { finishFlush: constants.Z_SYNC_FLUSH });
      } catch (err) {
        throw new Error(`DEFLATE stream is corrupt (${err instanceof Error ? err.message : String(err)})`);
      }
      const n = Math.min(out.length, dst.length);
      dst.set(out.subarray(0, n));
      return n;
    },
  };
}
