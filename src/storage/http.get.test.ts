import { createServer, type Server } from 'node:http';
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
