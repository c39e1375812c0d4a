/**
 * HTTP clients for hostile-input tests against a listening server: `send` (node:http, keep-alive, any method, headers
 * and body node:http lets through) and `sendRaw` (bytes on a fresh TCP connection, for requests no client library
 * would write: bad request lines, invalid header bytes, broken chunking). Both time out rather than hang.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

/** A response as the tests check it. `status` 0: the connection closed (or timed out) without an answer. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Why there was no answer (status 0). */
  error?: string;
}

/** One request. `body` is sent as is (a string or bytes); headers are not added beyond what node:http adds. */
export interface HttpCase {
  method: string;
  /** Path and query, as sent on the request line (not re-encoded). */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** A keep-alive agent for a run of requests; destroy it at the end. */
export function keepAliveAgent(maxSockets = 8): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/** Sends `c` to `base` (`http://host:port`); resolves with the answer, or status 0 after `timeoutMs`. */
export function send(base: string, c: HttpCase, agent?: Agent, timeoutMs = 20_000): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: c.method,
        // node:http refuses spaces and non-ASCII on the request line: those go percent-encoded.
        path: c.path.replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch)),
        headers: c.headers ?? {},
        ...(agent ? { agent } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, headers: {}, body: '', error: err.message }));
    req.end(c.body);
  });
}

/**
 * Writes `bytes` on a new connection to `base` and reads until the server closes it or `timeoutMs` passes; parses
 * the first response (status line, headers, body up to Content-Length).
 */
export function sendRaw(
  base: string,
  bytes: Buffer | string,
  timeoutMs = 10_000,
  options: { headFirst?: boolean } = {},
): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (m === null || end === -1) {
        resolve({ status: 0, headers: {}, body: text, error: error ?? 'no HTTP response' });
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, end).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body = text.slice(end + 4);
      const len = Number(headers['content-length']);
      if (Number.isInteger(len)) body = body.slice(0, len);
      resolve({ status: Number(m[1]), headers, body: Buffer.from(body, 'latin1').toString() });
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      // One complete response with a Content-Length is enough (the server may keep the connection open).
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end))?.[1];
      if (end !== -1 && len !== undefined && Buffer.byteLength(text, 'latin1') >= end + 4 + Number(len)) finish();
    });
    socket.on('end', () => finish());
    // A write that fails (the server answered early and closed, e.g. 413 or 431) still leaves its answer to read.
    let failure: string | undefined;
    socket.on('error', (err) => (failure = err.message));
    socket.on('close', () => finish(failure));
    socket.on('connect', () => {
      const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n') + 4;
      if (options.headFirst !== true || headEnd < 4) return void socket.write(bytes);
      // As a client that waits for an early answer (`Expect: 100-continue` without the 100): the head, then the
      // body only if nothing came back within a second. A server that refuses a body by its Content-Length answers
      // at once, and the client never sends what would make the server's close a reset.
      socket.write(text.slice(0, headEnd), 'latin1');
      setTimeout(() => chunks.length === 0 && !done && socket.write(text.slice(headEnd), 'latin1'), 1_000);
    });
  });
}
