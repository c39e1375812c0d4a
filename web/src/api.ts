/**
 * Calls to the API: JSON in and out, the API's own error message on failure, and a wait-and-retry when the server
 * answers 503 with `Retry-After` (extraction capacity full). `fetch` and the clock are arguments so the rules are
 * unit-tested without a server.
 */

/** A failed call, with the message to show (the API's `detail`, or what went wrong on the way). */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when no answer came. */
    readonly status: number,
    /** The API's stable error `code`, when it gave one. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** How {@link callApi} fetches, waits and reports a wait. */
export interface ApiOptions {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  /** Told before each wait for capacity: seconds to wait, attempt number (1-based). */
  onWait?: (seconds: number, attempt: number) => void;
  /** Most 503 retries before giving up (default 20). */
  maxRetries?: number;
}

/** The message of an API error body: `detail` as a string, or the `msg` of each entry of a `detail` array. */
export function errorMessage(body: unknown, status: number): { message: string; code: string | undefined } {
  let message = `The server answered ${status}.`;
  let code: string | undefined;
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (typeof b['code'] === 'string') code = b['code'];
    const detail = b['detail'] ?? b['message'] ?? b['error'];
    if (typeof detail === 'string' && detail.trim()) message = detail;
    else if (Array.isArray(detail)) {
      const msgs = detail
        .map((d) => (typeof d === 'object' && d !== null ? (d as Record<string, unknown>)['msg'] : d))
        .filter((m): m is string => typeof m === 'string' && m.length > 0);
      if (msgs.length > 0) message = msgs.join('; ');
    }
  }
  return { message, code };
}

/** `Retry-After` in seconds (a number of seconds or an HTTP date), clamped to 1…60; 5 when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number): number {
  if (header === null || header.trim() === '') return 5;
  const s = Number(header);
  const seconds = Number.isFinite(s) ? s : (Date.parse(header) - now) / 1000;
  return Number.isFinite(seconds) ? Math.min(60, Math.max(1, Math.ceil(seconds))) : 5;
}

/**
 * Calls `url` and returns the parsed JSON body of a 2xx answer. A 503 with `Retry-After` is retried after that
 * many seconds (up to `maxRetries` times); any other failure throws an {@link ApiError} with the API's message.
 */
export async function callApi<T>(url: string, init: RequestInit, options: ApiOptions): Promise<T> {
  const maxRetries = options.maxRetries ?? 20;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await options.fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
    } catch {
      throw new ApiError('The server did not answer. Is it running?', 0, undefined);
    }
    if (res.status === 503 && res.headers.has('retry-after') && attempt <= maxRetries) {
      const seconds = retryAfterSeconds(res.headers.get('retry-after'), Date.now());
      options.onWait?.(seconds, attempt);
      await options.sleep(seconds * 1000);
      continue;
    }
    let body: unknown = null;
    const text = await res.text();
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) {
      const { message, code } = errorMessage(body, res.status);
      throw new ApiError(message, res.status, code);
    }
    if (body === null)
      throw new ApiError(`The server answered ${res.status} without a JSON body.`, res.status, undefined);
    return body as T;
  }
}

/** A JSON POST body. */
export function postJson(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
