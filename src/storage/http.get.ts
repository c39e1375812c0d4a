/**
 * One HTTP(S) GET over Node's `http`/`https` with keep-alive connections, for the ranged reads of the HTTP and S3
 * sources. Hand-written for speed: profiled on an extraction of 3 471 ranged reads through a 20 ms proxy, `fetch`
 * (undici and its WHATWG streams, headers and abort plumbing) cost ~1.1 ms of CPU per request, more than inflating the
 * block it fetched; this costs a fraction of that, and reads the body into one buffer of the length the server
 * declared (no chunk list, no concatenation).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** Keep-alive connections, shared by every source of the process (requests in flight are bounded above this). */
const AGENTS = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

/** An error of a connection, with Node's `code` (retry.ts retries ECONNRESET and its kind). */
function connectionError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

class NodeResponse implements HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  #body: Promise<Uint8Array> | null = null;

  constructor(
    private readonly res: IncomingMessage,
    private readonly signal: AbortSignal,
  ) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.statusText = res.statusMessage ?? '';
    const h = res.headers;
    this.headers = {
      get: (name) => {
        const v = h[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }

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
    this.res.destroy();
  }

  /** The body into one buffer when its length is declared (from `alloc` when given), else from its chunks. */
  #read(alloc: BodyAlloc | undefined): Promise<Uint8Array> {
    const { res, signal } = this;
    const declared = Number(res.headers['content-length']);
    const known = Number.isSafeInteger(declared) && declared >= 0 && res.headers['content-encoding'] === undefined;
    return new Promise<Uint8Array>((resolve, reject) => {
      // Not zero-filled: every byte is written before the buffer is handed on (a short body is cut to what came).
      const out = !known
        ? null
        : alloc !== undefined
          ? alloc(declared)
          : new Uint8Array(Buffer.allocUnsafeSlow(declared).buffer, 0, declared);
      const chunks: Buffer[] = [];
      let got = 0;
      let done = false;
      const finish = (err: Error | null): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        if (err !== null) {
          res.destroy();
          reject(err);
          return;
        }
        if (out !== null) {
          // Fewer bytes than declared: the caller sees a short body (it checks the length it expected).
          resolve(got === out.length ? out : out.subarray(0, got));
          return;
        }
        const all = Buffer.concat(chunks, got);
        resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
      };
      const onAbort = (): void => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      res.on('data', (chunk: Buffer) => {
        if (out !== null) {
          if (got + chunk.length > out.length) {
            finish(connectionError(`body longer than its Content-Length (${out.length})`, 'ECONNRESET'));
            return;
          }
          out.set(chunk, got);
        } else {
          chunks.push(chunk);
        }
        got += chunk.length;
      });
      res.once('end', () => finish(null));
      res.on('error', (err) => finish(err));
      // A connection closed before the end of the body ('aborted' on older Nodes emits no error).
      res.once('close', () => {
        if (!res.complete) finish(connectionError('connection closed before the end of the body', 'ECONNRESET'));
      });
    });
  }
}

/**
 * Sends a `method` request for `url` with `headers` and resolves once the response headers arrived; `signal` aborts
 * the request and the body read.
 * @throws Error with Node's `code` (ECONNREFUSED, ECONNRESET…) on connection failures; `signal.reason` when aborted.
 */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) {
      reject(reason());
      return;
    }
    const https = url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method, headers, agent: https ? AGENTS.https : AGENTS.http },
      (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(new NodeResponse(res, signal));
      },
    );
    const onAbort = (): void => {
      req.destroy(reason());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    req.end();
  });
}
