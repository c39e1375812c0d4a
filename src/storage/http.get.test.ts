import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBytes } from '../../test/support/source.conformance.js';
import { httpGet } from './http.get.js';

const BODY = testBytes(3_000_000, 5);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/chunked') {
      // No Content-Length: the body comes in chunks of unknown total.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(BODY.subarray(0, 1000));
      setTimeout(() => res.end(BODY.subarray(1000, 5000)), 5);
      return;
    }
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-length': String(BODY.length) });
      res.write(BODY.subarray(0, 100)); // then nothing: the body never completes
      return;
    }
    res.writeHead(200, { 'content-length': String(BODY.length) });
    res.end(BODY);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const get = (path: string, signal = new AbortController().signal) => httpGet(new URL(`${base}${path}`), {}, signal);

describe('httpGet', () => {
  it('gives the whole body when it is asked for only after a pause (early chunks kept)', async () => {
    const res = await get('/whole');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Length')).toBe(String(BODY.length));
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.from(await res.bytes()).equals(BODY)).toBe(true);
  });

  it('reads a body of declared length into the memory alloc gives, and a chunked one without it', async () => {
    const given: Uint8Array[] = [];
    const res = await get('/whole');
    const body = await res.bytes((n) => {
      const b = new Uint8Array(new ArrayBuffer(n + 100), 0, n);
      given.push(b);
      return b;
    });
    expect(given).toHaveLength(1);
    expect(body.buffer).toBe(given[0]?.buffer);
    expect(Buffer.from(body).equals(BODY)).toBe(true);
    const chunked = await get('/chunked');
    const bytes = new Uint8Array(await chunked.arrayBuffer());
    expect(Buffer.from(bytes).equals(BODY.subarray(0, 5000))).toBe(true);
  });

  it('reads a 2xx body straight into the memory given with the request, and an error body without it', async () => {
    const given: Uint8Array[] = [];
    const alloc = (n: number): Uint8Array => {
      const b = new Uint8Array(n);
      given.push(b);
      return b;
    };
    const res = await httpGet(new URL(`${base}/whole`), {}, new AbortController().signal, alloc);
    await new Promise((r) => setTimeout(r, 50)); // not paused: the body arrives meanwhile
    const body = await res.bytes();
    expect(body).toBe(given[0]);
    expect(Buffer.from(body).equals(BODY)).toBe(true);
    const server = await rawServer((_r, socket) =>
      socket.write('HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope'),
    );
    try {
      const missing = await httpGet(server.url('/m'), {}, new AbortController().signal, alloc);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe('nope');
      expect(given).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('rejects the body with the signal’s reason when aborted mid-body, and the next request still works', async () => {
    const controller = new AbortController();
    const res = await get('/slow', controller.signal);
    const body = res.bytes();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(body).rejects.toThrow('stop');
    const next = await get('/whole');
    expect((await next.bytes()).byteLength).toBe(BODY.length);
  });

  it('drops a cancelled body without reading it, and rejects at once for an aborted signal', async () => {
    const res = await get('/slow');
    res.cancel();
    await expect(res.bytes()).rejects.toThrow();
    const controller = new AbortController();
    controller.abort(new Error('never sent'));
    await expect(get('/whole', controller.signal)).rejects.toThrow('never sent');
  });

  it('names a refused connection by its code', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const address = probe.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise((r) => probe.close(r));
    const err: unknown = await httpGet(new URL(`http://127.0.0.1:${port}/x`), {}, new AbortController().signal).catch(
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
  });
});

/** A TCP server that answers each request head on a connection with the next of `replies` (raw bytes, in parts). */
async function rawServer(
  reply: (request: string, socket: Socket, index: number) => void,
): Promise<{ url: (path: string) => URL; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let index = 0;
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    let pending = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        reply(request, socket, index++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: (path) => new URL(`http://127.0.0.1:${port}${path}`),
    connections: () => connections,
    // The client keeps idle connections for a few seconds: end them rather than wait.
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Writes `bytes` to `socket` in the given parts, a macrotask apart. */
async function writeInParts(socket: Socket, bytes: Buffer, cuts: number[]): Promise<void> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) socket.write(bytes.subarray(from, c));
    from = Math.max(from, c);
    await new Promise((r) => setImmediate(r));
  }
}

/** A chunked body of `body` in chunks of the given sizes (and an extension on the first). */
function chunked(body: Buffer, sizes: number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const s of sizes) {
    if (at >= body.length) break;
    const piece = body.subarray(at, Math.min(body.length, at + Math.max(1, s)));
    parts.push(Buffer.from(`${piece.length.toString(16)}${at === 0 ? ';ext=1' : ''}\r\n`), piece, Buffer.from('\r\n'));
    at += piece.length;
  }
  if (at < body.length) {
    const rest = body.subarray(at);
    parts.push(Buffer.from(`${rest.length.toString(16)}\r\n`), rest, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\nx-trailer: 1\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('httpGet: the HTTP/1.1 response parser', () => {
  it('reads any body split anywhere, framed by Content-Length or chunked, after 1xx responses, on one kept connection', async () => {
    let current: Buffer = Buffer.alloc(0);
    let cuts: number[] = [];
    const server = await rawServer((_request, socket) => void writeInParts(socket, current, cuts));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 3000 }),
          fc.boolean(),
          fc.boolean(),
          fc.array(fc.nat({ max: 4000 }), { maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 5 }),
          async (body, useChunked, informational, splits, sizes) => {
            const b = Buffer.from(body);
            const head = useChunked
              ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n'
              : `HTTP/1.1 206 Partial Content\r\nCONTENT-LENGTH: ${b.length}\r\n\r\n`;
            current = Buffer.concat([
              Buffer.from(informational ? 'HTTP/1.1 100 Continue\r\n\r\n' : ''),
              Buffer.from(head),
              useChunked ? chunked(b, sizes) : b,
            ]);
            cuts = splits;
            const res = await httpGet(server.url('/p'), { range: 'bytes=0-1' }, new AbortController().signal);
            expect(res.status).toBe(useChunked ? 200 : 206);
            if (useChunked) expect(res.headers.get('x-a')).toBe('1, 2');
            expect(Buffer.from(await res.bytes()).equals(b)).toBe(true);
          },
        ),
        { numRuns: 100 },
      );
      // Every response was framed, so one connection carried them all.
      expect(server.connections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('reads a body that ends with the connection (no length, no chunking), and does not reuse that connection', async () => {
    const server = await rawServer((_r, socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
    try {
      for (let i = 0; i < 2; i++) {
        const res = await httpGet(server.url('/c'), {}, new AbortController().signal);
        expect(await res.text()).toBe('until the end');
      }
      expect(server.connections()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('honours Connection: close, and opens a new connection after the server closed an idle one', async () => {
    const server = await rawServer((request, socket, i) => {
      const close = request.includes('/close');
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\n${close ? 'connection: close\r\n' : ''}\r\nok`);
      if (close || i === 1) socket.end();
    });
    try {
      const get = async (path: string): Promise<string> =>
        (await httpGet(server.url(path), {}, new AbortController().signal)).text();
      expect(await get('/close')).toBe('ok');
      expect(await get('/a')).toBe('ok'); // the server ends this one after answering
      await new Promise((r) => setTimeout(r, 20));
      expect(await get('/b')).toBe('ok');
      expect(server.connections()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('fails a malformed response with HPE_INVALID, a cut one with ECONNRESET, and never reuses their connections', async () => {
    const replies = [
      'HTTP/1.1 2OO OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!',
      'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nbad header\r\n\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n',
      `HTTP/1.1 200 OK\r\nx-long: ${'a'.repeat(70_000)}\r\n\r\n`,
      'HTTP/1.1 206 Partial Content\r\ncontent-length: 999999999999999\r\n\r\n',
    ];
    const server = await rawServer((_r, socket, i) => {
      if (i < replies.length) socket.write(replies[i] as string);
      else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort');
    });
    try {
      for (let i = 0; i < replies.length; i++) {
        const err: unknown = await httpGet(server.url(`/${i}`), {}, new AbortController().signal)
          .then((r) => r.bytes())
          .catch((e: unknown) => e);
        expect((err as { code?: string }).code, `reply ${i}`).toBe('HPE_INVALID');
      }
      const res = await httpGet(server.url('/short'), {}, new AbortController().signal);
      const err: unknown = await res.bytes().catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('ECONNRESET');
      expect(server.connections()).toBe(replies.length + 1);
    } finally {
      await server.close();
    }
  });

  it('refuses a header value that would break the request head', async () => {
    await expect(
      httpGet(new URL(`${base}/x`), { range: 'bytes=0-1\r\nx-injected: 1' }, new AbortController().signal),
    ).rejects.toThrow(TypeError);
  });

  it('speaks HTTPS (the certificate checked unless the process turned checks off, as this test does)', async () => {
    const dir = new URL('../../test/fixtures/tls/', import.meta.url);
    const sockets = new Set<Socket>();
    const server = createTlsServer(
      { key: readFileSync(new URL('localhost.key', dir)), cert: readFileSync(new URL('localhost.crt', dir)) },
      (socket) => {
        sockets.add(socket);
        socket.on('data', () => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${BODY.length}\r\n\r\n`));
        socket.on('data', () => socket.write(BODY));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const url = new URL(`https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/t`);
    try {
      // Verified by default: a self-signed certificate is refused.
      const refused: unknown = await httpGet(url, {}, new AbortController().signal).catch((e: unknown) => e);
      expect((refused as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      const before = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
      try {
        const res = await httpGet(url, {}, new AbortController().signal);
        expect(Buffer.from(await res.bytes()).equals(BODY)).toBe(true);
      } finally {
        if (before === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
        else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = before;
      }
    } finally {
      await new Promise((r) => {
        server.close(r);
        for (const socket of sockets) socket.destroy();
      });
    }
  });
});
