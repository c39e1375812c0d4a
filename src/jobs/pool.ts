/**
 * A worker-thread pool (piscina) that runs abortable tasks with progress, so the HTTP event loop keeps answering
 * while workers decode and compute. Generic: the worker module decides what a task is (see `defineWorkerTask`).
 *
 * Cancellation is cooperative first (an `abort` message over a MessagePort aborts the worker's AbortController, so
 * the worker stops reading and keeps its caches), then forced after a grace period (piscina terminates the thread).
 * Errors cross the thread boundary as `{code, message}` and are re-thrown as AppError; an unexpected error's text
 * crosses only as `details.workerError` (for the log), never as the message.
 */
import { setMaxListeners } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AppError, type ErrorCode } from '../errors.js';

/** Options of one pool run. */
export interface PoolRunOptions {
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

/** A pool of worker threads running tasks of type T with results of type R. */
export interface WorkerPool<T, R> {
  run(task: T, options?: PoolRunOptions): Promise<R>;
  /** Threads in the pool. */
  readonly size: number;
  close(): Promise<void>;
}

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module (file URL or path); a `.ts` module is loaded through tsx. */
  filename: string | URL;
  /** Number of threads. */
  size: number;
  /**
   * Tasks one thread runs at once (default 1). More than one only pays when tasks wait on I/O (remote storage):
   * one task's reads are in flight while another's decode.
   */
  tasksPerThread?: number;
  /** Serialisable data every worker receives (e.g. the Config). */
  workerData?: unknown;
  /** How long a worker may take to honour an abort before it is terminated (ms). Default 2000. */
  abortGraceMs?: number;
  /** Told about worker errors that happen outside a task. */
  onError?(err: unknown): void;
}

/** What travels to the worker: the task and the port that carries aborts in and progress out. */
export interface WorkerEnvelope<T> {
  task: T;
  port: MessagePort;
}

/** What travels back: the value, or the error as `{code, message}` (re-thrown as AppError). */
export type WorkerOutcome<R> =
  | { ok: true; value: R }
  | {
      ok: false;
      code: string;
      message: string;
      /** An unexpected error's own text and stack, for the log. */ internal?: string;
    };

type PortMessage = { type: 'progress'; done: number; total: number } | { type: 'end' };

/** Creates a piscina pool. */
export function createWorkerPool<T, R>(options: WorkerPoolOptions): WorkerPool<T, R> {
  const filename = options.filename instanceof URL ? options.filename.href : options.filename;
  const isTs = /\.[cm]?ts$/.test(filename);
  const piscina = new Piscina({
    filename,
    minThreads: options.size,
    maxThreads: options.size,
    concurrentTasksPerWorker: Math.max(1, options.tasksPerThread ?? 1),
    // Keep the threads (and their caches) alive between jobs.
    idleTimeout: Number.MAX_SAFE_INTEGER,
    workerData: options.workerData,
    // Resolved from here, not from the process's cwd (`skope serve` may run anywhere).
    execArgv: isTs ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [],
  });
  // A worker that fails outside a task (e.g. cannot start) must not crash the server: its tasks reject instead.
  piscina.on('error', (err: unknown) => options.onError?.(err));
  const grace = options.abortGraceMs ?? 2000;

  return {
    size: options.size,
    async run(task: T, runOptions: PoolRunOptions = {}): Promise<R> {
      const { signal, onProgress } = runOptions;
      if (signal?.aborted) throw toAbortError(signal);
      const channel = new MessageChannel();
      const hard = new AbortController();
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        channel.port1.postMessage('abort');
        graceTimer = setTimeout(() => hard.abort(), grace);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // The result arrives over piscina's channel, progress over this port: the two are not ordered, so wait for
      // the worker's `end` (sent after its last progress) before returning.
      let ended!: () => void;
      const end = new Promise<void>((resolve) => (ended = resolve));
      channel.port1.on('message', (m: PortMessage) => {
        if (m.type === 'progress') onProgress?.(m.done, m.total);
        else ended();
      });
      try {
        const envelope: WorkerEnvelope<T> = { task, port: channel.port2 };
        const outcome = (await piscina.run(envelope, {
          transferList: [channel.port2],
          signal: hard.signal,
        })) as WorkerOutcome<R>;
        await Promise.race([end, new Promise((r) => setTimeout(r, 1000).unref())]);
        if (outcome.ok) return outcome.value;
        throw new AppError(
          outcome.code as ErrorCode,
          outcome.message,
          outcome.internal === undefined ? undefined : { details: { workerError: outcome.internal } },
        );
      } catch (err) {
        if (signal?.aborted) throw toAbortError(signal);
        throw err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
        channel.port1.close();
      }
    },
    async close(): Promise<void> {
      await piscina.destroy();
    },
  };
}

function toAbortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  return reason instanceof AppError ? reason : new AppError('aborted', 'The operation was aborted.');
}

/** What a worker task function receives besides its task. */
export interface WorkerTaskContext {
  signal: AbortSignal;
  onProgress(done: number, total: number): void;
}

/**
 * Wraps a task function as the default export of a pool worker module:
 * `export default defineWorkerTask(async (task, ctx) => …)`.
 */
export function defineWorkerTask<T, R>(
  fn: (task: T, ctx: WorkerTaskContext) => Promise<R>,
): (envelope: WorkerEnvelope<T>) => Promise<WorkerOutcome<R>> {
  return async ({ task, port }) => {
    const controller = new AbortController();
    // Many block reads listen to this one signal at once; that is not a leak.
    setMaxListeners(0, controller.signal);
    port.on('message', (m: unknown) => {
      if (m === 'abort') controller.abort(new AppError('aborted', 'The operation was aborted.'));
    });
    let lastSent = 0;
    const ctx: WorkerTaskContext = {
      signal: controller.signal,
      onProgress(done, total) {
        // Cheap throttle at the source; the queue throttles store writes again.
        const now = Date.now();
        if (done < total && now - lastSent < 50) return;
        lastSent = now;
        port.postMessage({ type: 'progress', done, total } satisfies PortMessage);
      },
    };
    try {
      return { ok: true, value: await fn(task, ctx) };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, code: err.code, message: err.message };
      // A raw exception's text (paths, internals) is for the log only: the caller logs `details.workerError`.
      const internal = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
      return { ok: false, code: 'internal_error', message: 'An internal error occurred in a worker thread.', internal };
    } finally {
      port.postMessage({ type: 'end' } satisfies PortMessage);
      port.close();
    }
  };
}
