/**
 * Retries for remote reads (HTTP, S3): exponential backoff with full jitter, a per-attempt timeout, and waits that
 * an AbortSignal cuts short.
 */
import { AppError, abortError, isAppError } from '../errors.js';
import { watchAbort } from './watch.js';

/** Retry policy of a remote source. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3, so 4 attempts in all). */
  retries?: number;
  /** Timeout of one attempt in milliseconds, headers and body included (default 30 000). */
  timeoutMs?: number;
  /** First backoff in milliseconds; doubles each retry, with full jitter (default 100). */
  baseDelayMs?: number;
  /** Longest single backoff in milliseconds (default 2 000). */
  maxDelayMs?: number;
}

/** The defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 3,
  timeoutMs: 30_000,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
};

/** `options` with the defaults filled in. */
export function retryPolicy(options: RetryOptions): Required<RetryOptions> {
  return {
    retries: options.retries ?? DEFAULT_RETRY.retries,
    timeoutMs: options.timeoutMs ?? DEFAULT_RETRY.timeoutMs,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  };
}

/**
 * A failure worth another attempt (5xx, timeout, connection reset, truncated body). `kind` picks the final error
 * code once the attempts run out: `unavailable` → `source_unavailable`, `short` → `source_read_error`.
 */
export class RetryableError extends Error {
  readonly kind: 'unavailable' | 'short';
  constructor(kind: 'unavailable' | 'short', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
    this.kind = kind;
  }
}

/** Whether `signal` fired (a function, so TypeScript does not narrow `aborted` across awaits). */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Resolves after `ms`, or rejects with AppError `aborted` as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Node's codes for network failures that a new connection may fix. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The first `code` found on an error or its chain of causes (undici nests the socket error in `cause`). */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for network errors (resets, refused connections, socket closed mid-body) worth retrying. */
export function isTransientNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  // undici reports a body cut short as `TypeError: terminated` without a code on the outer error.
  return err instanceof TypeError && /terminated|other side closed/i.test(err.message);
}

/** A short human description of a failure cause, for the final error message. */
export function describeCause(err: unknown): string {
  if (err instanceof RetryableError) return err.message;
  const code = errorCode(err);
  let message = err instanceof Error ? err.message : String(err);
  // undici's "fetch failed" says nothing; the reason is in `cause` (e.g. "connect ECONNREFUSED …", "bad port").
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error && cause.message !== '' && !message.includes(cause.message)) {
    message = `${message}: ${cause.message}`;
  }
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Runs `attempt` until it succeeds, throws a non-retryable error, or the retries run out.
 * Each attempt gets its own signal, which fires on the caller's abort or after `timeoutMs`.
 * A timeout counts as retryable; the caller's abort ends everything with AppError `aborted`.
 *
 * @param what names the object in the final message, e.g. `https://host/a.tif`.
 * @throws AppError `source_unavailable` | `source_read_error` after the last attempt, `aborted`, or whatever
 *   non-retryable AppError `attempt` threw.
 */
export async function withRetry<T>(
  what: string,
  policy: Required<RetryOptions>,
  signal: AbortSignal | undefined,
  attempt: (attemptSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const attempts = Math.max(1, policy.retries + 1);
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (signal?.aborted === true) throw abortError(signal);
    if (i > 0) {
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (i - 1));
      await sleep(Math.random() * cap, signal);
    }
    // One controller per attempt, fired by the caller's signal or the timeout, and unhooked afterwards (a job's
    // signal lives long and sees thousands of reads).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${policy.timeoutMs} ms`));
    }, policy.timeoutMs);
    const unwatch = signal ? watchAbort(signal, () => controller.abort(signal.reason)) : null;
    try {
      return await attempt(controller.signal);
    } catch (err) {
      if (signal !== undefined && isAborted(signal)) throw abortError(signal);
      if (timedOut) {
        last = new RetryableError('unavailable', `timed out after ${policy.timeoutMs} ms`, { cause: err });
        continue;
      }
      if (isAppError(err)) throw err;
      if (err instanceof RetryableError) {
        last = err;
        continue;
      }
      if (isTransientNetworkError(err)) {
        last = new RetryableError('unavailable', describeCause(err), { cause: err });
        continue;
      }
      throw new AppError('source_unavailable', `Reading ${what} failed: ${describeCause(err)}.`, { cause: err });
    } finally {
      clearTimeout(timer);
      unwatch?.();
    }
  }
  const kind = last instanceof RetryableError ? last.kind : 'unavailable';
  const n = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  throw new AppError(
    kind === 'short' ? 'source_read_error' : 'source_unavailable',
    `Reading ${what} failed after ${n}: ${describeCause(last)}.`,
    { cause: last, details: { url: what, attempts } },
  );
}
