/**
 * One HTTP(S) request over undici's dispatcher (keep-alive connections), for the ranged reads of the HTTP and S3
 * sources. Hand-written on the dispatcher's handler API for speed:
 * - `fetch` (undici's WHATWG streams, headers and abort plumbing) cost ~1.1 ms of CPU per request, more than
 *   inflating the block it fetched (profiled on an extraction of 3 471 ranged reads through a 20 ms proxy);
 * - Node's `http` client copies every body chunk out of the socket's buffer into a new one; undici hands on views of
 *   the socket's buffer, which are copied once, into the body. Measured on this kind of machine (250 ranged GETs of
 *   10 MB from a local server, 8 in flight, bodies from a body pool): the client's CPU 3.8–4.4 s with `node:http`,
 *   2.7–2.8 s with this.
 * The body is read into one buffer of the length the server declared (from the caller's body pool when it gives one).
 */
import { Agent, type Dispatcher } from 'undici';
import type { BodyAlloc } from './bodies.js';

/** The part of a response the sources use (shaped after `fetch`'s `Response`). */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  /** The whole body. Rejects when the connection ends before the declared length (a truncated body). */
  arrayBuffer(): Promise<ArrayBuffer>;
  /**
   * The whole body as a view; with `alloc`, a body of declared length is read into the memory it gives (a body pool's).
   * Rejects as `arrayBuffer`. Read the body once, through one of the two.
   */
  bytes(alloc?: BodyAlloc): Promise<Uint8Array>;
  text(): Promise<string>;
  /** Drops the body unread (the connection is closed rather than drained). */
  cancel(): void;
}

/**
 * Keep-alive connections, shared by every source of the thread (requests in flight are bounded above this). No
 * timeouts of undici's own: each attempt has the retry policy's (`http_timeout_ms`), which aborts it.
 */
const AGENT = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

/** The error of an abort: the signal's reason. */
function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Joins a header's values as `fetch` does. */
function headerValue(v: string | string[] | undefined): string | null {
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

/**
 * One request's handler: resolves the response at its headers, then holds the body back (the connection paused)
 * until the caller asks for it with the memory to read it into.
 */
class Exchange implements Dispatcher.DispatchHandler, HttpResponse {
  status = 0;
  ok = false;
  statusText = '';
  headers: { get(name: string): string | null } = { get: () => null };
  #controller: Dispatcher.DispatchController | null = null;
  #raw: Record<string, string | string[] | undefined> = {};
  /** Chunks that arrived before the body was asked for (copies: the socket's buffer is not ours to keep). */
  #early: Uint8Array[] = [];
  #out: Uint8Array | null = null;
  #chunks: Uint8Array[] | null = null;
  #got = 0;
  #ended = false;
  #error: Error | null = null;
  #body: Promise<Uint8Array> | null = null;
  #settleBody: ((err: Error | null) => void) | null = null;

  constructor(
    private readonly signal: AbortSignal,
    private readonly started: (err: Error | null) => void,
  ) {}

  // --- the dispatcher's side ---

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.signal.aborted) controller.abort(reasonOf(this.signal));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.status = statusCode;
    this.ok = statusCode >= 200 && statusCode < 300;
    this.statusText = statusMessage ?? '';
    this.#raw = headers;
    this.headers = { get: (name) => headerValue(headers[name.toLowerCase()]) };
    // Nothing is read until the caller asks for the body (or cancels).
    if (this.#body === null) controller.pause();
    this.started(null);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#out !== null) {
      if (this.#got + chunk.length > this.#out.length) {
        this.abort(
          Object.assign(new Error(`body longer than its Content-Length (${this.#out.length})`), {
            code: 'ECONNRESET',
          }),
        );
        return;
      }
      this.#out.set(chunk, this.#got);
    } else if (this.#chunks !== null) {
      this.#chunks.push(chunk);
    } else {
      this.#early.push(new Uint8Array(chunk));
    }
    this.#got += chunk.length;
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#settleBody?.(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#error ??= error;
    if (this.status === 0) this.started(error);
    else this.#settleBody?.(error);
  }

  // --- the caller's side ---

  async arrayBuffer(): Promise<ArrayBuffer> {
    const body = await this.bytes();
    const buffer = body.buffer as ArrayBuffer;
    return body.byteOffset === 0 && body.byteLength === buffer.byteLength ? buffer : body.slice().buffer;
  }

  bytes(alloc?: BodyAlloc): Promise<Uint8Array> {
    this.#body ??= this.#read(alloc);
    return this.#body;
  }

  async text(): Promise<string> {
    const body = await this.bytes();
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }

  cancel(): void {
    this.abort(new Error('body not read'));
  }

  /** Stops the exchange wherever it is: the request, the wait for headers or the body. */
  abort(err: Error): void {
    this.#error ??= err;
    const c = this.#controller;
    if (c !== null && !c.aborted) c.abort(err);
    this.#settleBody?.(err);
  }

  /** The body into one buffer when its length is declared (from `alloc` when given), else from its chunks. */
  #read(alloc: BodyAlloc | undefined): Promise<Uint8Array> {
    const declared = Number(headerValue(this.#raw['content-length']) ?? Number.NaN);
    const known = Number.isSafeInteger(declared) && declared >= 0 && this.#raw['content-encoding'] === undefined;
    if (known) {
      // Not zero-filled: every byte is written before the buffer is handed on (a short body is cut to what came).
      this.#out =
        alloc !== undefined ? alloc(declared) : new Uint8Array(Buffer.allocUnsafeSlow(declared).buffer, 0, declared);
      let at = 0;
      for (const c of this.#early) {
        if (at + c.length > declared) {
          this.abort(
            Object.assign(new Error(`body longer than its Content-Length (${declared})`), { code: 'ECONNRESET' }),
          );
          break;
        }
        this.#out.set(c, at);
        at += c.length;
      }
    } else {
      this.#chunks = this.#early;
    }
    this.#early = [];
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      const onAbort = (): void => this.abort(reasonOf(this.signal));
      this.#settleBody = (err) => {
        if (done) return;
        done = true;
        this.signal.removeEventListener('abort', onAbort);
        if (err !== null) {
          reject(err);
          return;
        }
        const out = this.#out;
        if (out !== null) {
          // Fewer bytes than declared: the caller sees a short body (it checks the length it expected).
          resolve(this.#got === out.length ? out : out.subarray(0, this.#got));
          return;
        }
        const all = Buffer.concat(this.#chunks ?? [], this.#got);
        resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
      };
      if (this.#error !== null) this.#settleBody(this.#error);
      else if (this.#ended) this.#settleBody(null);
      else if (this.signal.aborted) onAbort();
      else {
        this.signal.addEventListener('abort', onAbort, { once: true });
        this.#controller?.resume();
      }
    });
  }
}

/**
 * Sends a GET request for `url` with `headers` and resolves once the response headers arrived (the body waits, its
 * connection paused, until `bytes`, `arrayBuffer` or `text` asks for it, or `cancel` drops it); `signal` aborts the
 * request and the body read.
 * @throws Error with a `code` (ECONNREFUSED, UND_ERR_SOCKET…) on connection failures; `signal.reason` when aborted.
 */
export function httpGet(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(reasonOf(signal));
      return;
    }
    const onAbort = (): void => {
      exchange.abort(reasonOf(signal));
    };
    const exchange = new Exchange(signal, (err) => {
      signal.removeEventListener('abort', onAbort);
      if (err === null) resolve(exchange);
      else reject(err);
    });
    signal.addEventListener('abort', onAbort, { once: true });
    AGENT.dispatch({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers }, exchange);
  });
}
