/**
 * A pool of worker threads that decode batches of small compressed blocks, so a read of many blocks (a window
 * across 100 bands of a band-interleaved file: hundreds of 128 KiB blocks, each too small to be worth an async zlib
 * call) uses every core. The reader decodes part of the blocks itself and hands the rest to the pool (see
 * `read/decoder.pool.ts`). Create one per process or worker thread (`openCogs` in `cog.store.ts`) and close it on shutdown.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { BlockCoding } from './decode.js';

/** One block sent to a worker: its compressed bytes (moved, not copied), coding and the rows needed. */
export interface DecodeItem {
  raw: ArrayBuffer;
  rawOffset: number;
  rawLength: number;
  coding: BlockCoding;
  needRows: number;
  /** Rows [first, end) to finish (byte order, predictor) after inflating. */
  finish: [number, number];
}

/** A batch of blocks for one worker. */
export interface DecodeRequest {
  id: number;
  items: DecodeItem[];
}

/** One decoded block (rows `finish` finished: native byte order, predictor undone) or its error. */
export type DecodeResult =
  { ok: true; buffer: ArrayBuffer; offset: number; length: number } | { ok: false; message: string };

/** A worker's answer to one batch, results in item order. */
export interface DecodeReply {
  id: number;
  results: DecodeResult[];
}

/** What `decode()` resolves each block to. */
export type PooledBlock = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

/** Worker threads decoding blocks. */
export interface DecodePool {
  /** Worker threads. */
  readonly threads: number;
  /** Reads that need at least this many small blocks decoded are split between the caller and the pool. */
  readonly minBlocks: number;
  /** Batches currently being decoded by the workers. */
  readonly busy: number;
  /** Blocks decoded by the pool since it was created (for tests and metrics). */
  readonly blocksDecoded: number;
  /** Worker threads currently running (they start with the first batch). */
  readonly liveThreads: number;
  /**
   * Decodes a batch on the least busy worker. Each block is `inflateBlock` + `finishRows` over rows `finish`.
   * Rejects only when the worker dies or the pool is closed; per-block errors are results.
   */
  decode(items: Pick<DecodeItem, 'coding' | 'needRows' | 'finish'>[] & { raw: Uint8Array }[]): Promise<PooledBlock[]>;
  /** Starts every thread now and resolves once each has answered (threads otherwise start with the first batch). */
  warm(): Promise<void>;
  /** Terminates the workers; pending batches reject. */
  close(): Promise<void>;
}

/** Options of {@link createDecodePool}. */
export interface DecodePoolOptions {
  /** Worker threads (≥ 1). */
  threads: number;
  /** See `DecodePool.minBlocks` (default 16: tile reads of 1–4 blocks always decode inline). */
  minBlocks?: number;
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve(r: PooledBlock[]): void; reject(e: Error): void }>;
  dead: boolean;
}

/** The worker entry: the compiled .js directly, or under tsx (dev, tests) the .ts source through tsx's loader. */
function startWorker(): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const url = new URL(`./decode.worker.${isTs ? 'ts' : 'js'}`, import.meta.url);
  if (!isTs) return new Worker(url);
  // tsx's `--import` loader registers its hooks on the main thread only (Node 20), so the worker registers them
  // itself through tsx's API, then imports the .ts entry. tsx is resolved from here, not from the process's cwd.
  // (require.resolve finds the CommonJS build of the API; its ESM twin sits next to it.)
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}

/** Starts `threads` decode workers. */
export function createDecodePool(options: DecodePoolOptions): DecodePool {
  const threads = Math.max(1, Math.floor(options.threads));
  let nextId = 1;
  let closed = false;
  let decoded = 0;
  const slots: Slot[] = [];

  const spawn = (): Slot => {
    const worker = startWorker();
    const slot: Slot = { worker, pending: new Map(), dead: false };
    // Idle workers must not keep the process alive; a worker with work in flight does (see `decode`).
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      decoded += reply.results.length;
      p.resolve(
        reply.results.map((r) =>
          r.ok ? { ok: true, bytes: new Uint8Array(r.buffer, r.offset, r.length) } : { ok: false, message: r.message },
        ),
      );
    });
    const fail = (err: Error): void => {
      slot.dead = true;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`decode worker failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`decode worker exited (code ${code})`)));
    return slot;
  };
  // Threads start on the first batch: a runtime that never reads many blocks (tests, small tiles) pays nothing.

  return {
    threads,
    minBlocks: Math.max(1, options.minBlocks ?? 16),
    get busy() {
      return slots.reduce((n, s) => n + s.pending.size, 0);
    },
    get blocksDecoded() {
      return decoded;
    },
    get liveThreads() {
      return slots.filter((s) => !s.dead).length;
    },
    async warm() {
      await Promise.all(Array.from({ length: threads }, () => this.decode([])));
    },
    decode(items) {
      if (closed) return Promise.reject(new Error('the decode pool is closed'));
      while (slots.length < threads) slots.push(spawn());
      // A worker that died (e.g. out of memory) is replaced on the next batch.
      for (let i = 0; i < slots.length; i++) if (slots[i]!.dead) slots[i] = spawn();
      let slot = slots[0]!;
      for (const s of slots) if (s.pending.size < slot.pending.size) slot = s;
      if (items.length === 0) slot = slots.find((s) => s.pending.size === 0) ?? slot;
      const id = nextId++;
      const req: DecodeRequest = { id, items: [] };
      const transfer: ArrayBuffer[] = [];
      for (const it of items) {
        // A copy of the compressed bytes: the source may share its buffer with other blocks (merged ranges).
        const raw = it.raw.slice();
        req.items.push({
          raw: raw.buffer,
          rawOffset: 0,
          rawLength: raw.length,
          coding: it.coding,
          needRows: it.needRows,
          finish: it.finish,
        });
        transfer.push(raw.buffer);
      }
      const s = slot;
      return new Promise<PooledBlock[]>((resolve, reject) => {
        s.pending.set(id, { resolve, reject });
        s.worker.ref();
        s.worker.postMessage(req, transfer);
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
      for (const s of slots) s.dead = true;
    },
  };
}
