/**
 * Answers for requests that never reach a route: malformed HTTP (the parser's client errors), URLs the router cannot
 * decode or whose path parameters are too long, a missing `Host`, and `CONNECT`. Each gets the same JSON body as
 * every other error (`{"detail", "code"}`, docs/ERRORS.md), never Fastify's or Node's own shapes or a silently
 * closed connection.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Status, code and sentence of a parser error, by Node's error code (anything else: 400 `bad_request`). */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are too large (at most 16 KiB in all).'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request was not received in time.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'The chunk extensions of the request are too large.'],
};
const MALFORMED: [number, string, string] = [400, 'bad_request', 'The request is not valid HTTP/1.1.'];

/** A complete HTTP/1.1 response with a JSON error body, written straight to a socket (then closed). */
export function rawErrorResponse(status: number, code: string, detail: string): string {
  const body = JSON.stringify({ detail, code });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
    body
  );
}

/** Fastify's `clientErrorHandler`: malformed requests get a JSON error body, then the connection closes. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = CLIENT_ERRORS[err.code ?? ''] ?? MALFORMED;
  // Not in the middle of a response already on this socket (a pipelined request's answer being written).
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && current?.headersSent !== true) socket.end(rawErrorResponse(status, code, detail));
  else socket.destroy();
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot percent-decode (400) or with a path parameter over its
 * length limit (414). The sentence does not repeat the URL.
 */
export function frameworkErrors(err: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  void reply
    .status(tooLong ? 414 : 400)
    .type('application/json; charset=utf-8')
    .header('X-Content-Type-Options', 'nosniff')
    .send(
      tooLong
        ? { detail: 'A path segment of the URL is too long.', code: 'uri_too_long' }
        : { detail: 'The URL is not valid (bad percent-encoding).', code: 'bad_request' },
    );
}

/**
 * Installs what the server needs beyond Fastify's options: `CONNECT` (which Node would otherwise answer by closing the
 * connection) gets 405. This service is not a proxy.
 */
export function installProtocolHandlers(server: Server): void {
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    if (socket.writable) socket.end(rawErrorResponse(405, 'method_not_allowed', 'CONNECT is not supported.'));
    else socket.destroy();
  });
}

/** An onRequest check: HTTP/1.1 requires a `Host` header (RFC 9112 §3.2); without it, 400 like a malformed request. */
export function requireHost(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    void reply.status(400).send({ detail: 'The request has no Host header.', code: 'bad_request' });
    return;
  }
  done();
}
