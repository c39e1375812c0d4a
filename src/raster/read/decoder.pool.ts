/**
 * Splits the block decodes of one large read between the calling thread and a `DecodePool`: blocks queue up as
 * their bytes arrive; the calling thread decodes one block per event-loop turn from the front of the queue while
 * idle workers take small batches from the back, so both cores stay busy until the queue is empty.
 */
import { abortError } from '../../errors.js';
import type { ZstdDecode } from '../codecs/zstd.js';
import { inflateBlock } from '../decode.js';
import type { BlockCoding } from '../decode.js';
import type { DecodePool } from '../decode.pool.js';
import type { BlockDecoder, DecodedBytes } from './decoder.js';

interface Item {
  raw: Uint8Array;
  coding: BlockCoding;
  needRows: number;
  finish: [number, number];
  resolve(b: DecodedBytes): void;
  reject(e: unknown): void;
}

/** Compressions a worker decodes (ZSTD needs its WASM decoder, uncompressed blocks need no work). */
const POOLED = new Set([5, 8, 32773, 32946]);

/** True when a block of this coding may go to the pool. */
export function poolable(c: BlockCoding, maxBytes: number, decoded: number): boolean {
  return POOLED.has(c.compression) && decoded <= maxBytes;
}

/** One read's decode queue (the decoder of the 'pool' read path). */
export class DecodeSchedule implements BlockDecoder {
  private readonly queue: Item[] = [];
  private inflight = 0;
  private stepping = false;
  private aborted: unknown = null;

  constructor(
    private readonly pool: DecodePool,
    private readonly zstd: ZstdDecode | null,
    signal?: AbortSignal,
  ) {
    signal?.addEventListener(
      'abort',
      () => {
        this.aborted = abortError(signal);
        for (const it of this.queue.splice(0)) it.reject(this.aborted);
      },
      { once: true },
    );
  }

  /**
   * Decodes one block (inline or on the pool); a worker also finishes rows `finish` (those the read needs: finishing
   * the rest would be wasted work when the window covers part of the block). Rejects with the decoder's error (the
   * caller names the file).
   */
  decode(raw: Uint8Array, coding: BlockCoding, needRows: number, finish: [number, number]): Promise<DecodedBytes> {
    if (this.aborted) return Promise.reject(this.aborted);
    return new Promise<DecodedBytes>((resolve, reject) => {
      this.queue.push({ raw, coding, needRows, finish, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const threads = this.pool.threads;
    // Keep one block for this thread; send workers batches sized so the tail of the read stays balanced.
    // Two batches per worker: it starts the next while this thread handles the previous reply.
    while (this.inflight < threads * 2 && this.queue.length >= 2) {
      const size = Math.max(1, Math.min(8, Math.floor(this.queue.length / (threads + 1) / 2)));
      const batch = this.queue.splice(this.queue.length - size, size);
      this.inflight++;
      this.pool.decode(batch).then(
        (results) => {
          this.inflight--;
          batch.forEach((it, i) => {
            const r = results[i];
            if (r?.ok) it.resolve({ bytes: r.bytes, finished: it.finish });
            else it.reject(new Error(r ? r.message : 'decode worker returned no result'));
          });
          this.pump();
        },
        (err: unknown) => {
          this.inflight--;
          for (const it of batch) it.reject(err);
          this.pump();
        },
      );
    }
    if (!this.stepping && this.queue.length > 0) {
      this.stepping = true;
      setImmediate(() => this.step());
    }
  }

  private step(): void {
    this.stepping = false;
    const it = this.queue.shift();
    if (it) {
      inflateBlock(it.raw, it.coding, this.zstd, it.needRows).then(
        (bytes) => it.resolve({ bytes, finished: null }),
        (err: unknown) => it.reject(err),
      );
    }
    this.pump();
  }
}
