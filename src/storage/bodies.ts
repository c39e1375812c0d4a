/**
 * Reusable memory for the response bodies of remote reads that are used once (an extraction's blocks, read with
 * `cache: false`): the reader hands a body's views back with `ByteSource.release` once it has inflated them, and the
 * next request fills the same memory instead of a fresh buffer.
 *
 * Written for speed: every fresh body is V8 "external memory", and V8 starts a full mark-and-sweep each time some
 * 64 MB more of it was allocated. Measured on this kind of machine (2 cores; 250 ranged GETs of 10 MB from a local
 * server, 8 in flight, through undici's client at the time): the client's CPU 3.5–4.5 s with a fresh body each,
 * 2.1–2.7 s with bodies reused, of which garbage collection 1.2–1.6 s against 0.4 s. The 1 000 000-cell S3 extraction moves ~2.5 GB of bodies.
 */

/** Allocates the body of one response: `length` bytes whose contents are undefined until written. */
export type BodyAlloc = (length: number) => Uint8Array;

/** Bodies smaller than this are plain allocations (a tile's blocks, headers): reuse would save little. */
const MIN_POOLED_BYTES = 256 * 1024;

/**
 * The buffer size a body of `length` bytes is taken from: `length` rounded up to a quarter of its power of two
 * (at most 25 % unused), so bodies of nearby sizes share buffers.
 */
export function bodyClassBytes(length: number): number {
  const step = 2 ** Math.max(0, Math.floor(Math.log2(length)) - 2);
  return Math.ceil(length / step) * step;
}

/** Counters, for benchmarks and tests. */
export interface BodyPoolStats {
  /** Bodies served from a free buffer. */
  reused: number;
  /** Pooled-size bodies that needed a new buffer. */
  allocated: number;
  /** Bytes of the free buffers held now. */
  freeBytes: number;
}

/**
 * A pool of body buffers. A body is lent to its holders (the views a merged read was split into); when every holder
 * has released its view, the buffer goes back to the free list (up to `capacityBytes` of free buffers; beyond that it
 * is left to the garbage collector). A holder that never releases only keeps its buffer out of the pool, so views
 * handed to callers that keep them (the byte cache, `fetch`) are safe; releasing a view and then reading it is not.
 */
export class BodyPool {
  readonly #free = new Map<number, ArrayBuffer[]>();
  /** Holders that have not released yet, per lent buffer. */
  readonly #holders = new WeakMap<ArrayBuffer, number>();
  /** Views already released: a second release of the same view is ignored (it must not free a buffer early). */
  readonly #released = new WeakSet<Uint8Array>();
  readonly #stats: BodyPoolStats = { reused: 0, allocated: 0, freeBytes: 0 };

  /** @param capacityBytes most bytes of free buffers kept for reuse. */
  constructor(readonly capacityBytes: number) {}

  /** A body of `length` bytes with one holder: a view of a free buffer of its class, or of a new one. */
  readonly acquire: BodyAlloc = (length) => {
    if (length < MIN_POOLED_BYTES) return new Uint8Array(length);
    const size = bodyClassBytes(length);
    const list = this.#free.get(size);
    let buffer = list?.pop();
    if (buffer !== undefined) {
      this.#stats.reused++;
      this.#stats.freeBytes -= size;
    } else {
      this.#stats.allocated++;
      // Not zero-filled: the response writes every byte before anyone reads it (a short body is cut to what came).
      buffer = Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
    }
    this.#holders.set(buffer, 1);
    return new Uint8Array(buffer, 0, length);
  };

  /** `body` (from {@link acquire}) is now held by `holders` views, each released once. No-op for other buffers. */
  share(body: Uint8Array, holders: number): void {
    const buffer = body.buffer as ArrayBuffer;
    if (this.#holders.has(buffer)) this.#holders.set(buffer, holders);
  }

  /** One holder is done with `view`: the last one returns the buffer to the free list. No-op for other buffers. */
  release(view: Uint8Array): void {
    const buffer = view.buffer as ArrayBuffer;
    const left = this.#holders.get(buffer);
    if (left === undefined || this.#released.has(view)) return;
    this.#released.add(view);
    if (left > 1) {
      this.#holders.set(buffer, left - 1);
      return;
    }
    this.#holders.delete(buffer);
    const size = buffer.byteLength;
    if (this.#stats.freeBytes + size > this.capacityBytes) return;
    const list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, [buffer]);
    else list.push(buffer);
    this.#stats.freeBytes += size;
  }

  /** A copy of the counters. */
  stats(): BodyPoolStats {
    return { ...this.#stats };
  }
}
