/**
 * A small range-capable HTTP server for tests (node:http on 127.0.0.1, a random port): serves byte buffers by path,
 * logs every request, and injects faults on demand (503, connection reset, truncated body, hang, ignored ranges).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault applied to the next request (faults are consumed in order, one per request). */
export type Fault = '503' | 'reset' | 'truncate' | 'hang' | '500';

/** One request the server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
}

/** Handle on a running test server. */
export interface RangeServer {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  readonly origin: string;
  /** Absolute URL of `path` (leading slash optional). */
  url(path: string): string;
  /** Serves `bytes` at `path` (replacing what was there; the ETag changes with the content). */
  set(path: string, bytes: Uint8Array): void;
  /** Every request seen, in order. */
  readonly requests: SeenRequest[];
  /** Faults for the next requests, consumed first-in first-out. */
  readonly faults: Fault[];
  /** When true, answer 200 with the whole body, as servers without range support do. */
  ignoreRanges: boolean;
  /** When false, HEAD is answered 405 (sources must fall back to a 0-0 range). */
  allowHead: boolean;
  /** Which version header to send: ETag (default), Last-Modified only, or none. */
  versionHeader: 'etag' | 'last-modified' | 'none';
  /** Largest body of one 206 (servers may send less than asked); default unlimited. */
  maxRangeBytes: number;
  close(): Promise<void>;
}

const normal = (path: string): string => (path.startsWith('/') ? path : `/${path}`);

/** Starts a server on 127.0.0.1 with an OS-assigned port. */
export async function startRangeServer(): Promise<RangeServer> {
  const files = new Map<string, { bytes: Uint8Array; etag: string; modified: string }>();
  const requests: SeenRequest[] = [];
  const faults: Fault[] = [];
  const state = {
    ignoreRanges: false,
    allowHead: true,
    maxRangeBytes: Number.POSITIVE_INFINITY,
    versionHeader: 'etag' as RangeServer['versionHeader'],
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range;
    requests.push({ method: req.method ?? 'GET', path, range, authorization: req.headers.authorization });
    const fault = faults.shift();
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'hang') return;
    if (fault === '503' || fault === '500') {
      res.writeHead(Number(fault), { 'content-type': 'text/plain' }).end('try again later');
      return;
    }
    const file = files.get(path);
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (req.method === 'HEAD' && !state.allowHead) {
      res.writeHead(405).end();
      return;
    }
    const size = file.bytes.byteLength;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const m = range === undefined || state.ignoreRanges ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
    if (m !== null) {
      start = Number(m[1]);
      end = m[2] === '' || m[2] === undefined ? size - 1 : Math.min(Number(m[2]), size - 1);
      end = Math.min(end, start + state.maxRangeBytes - 1);
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}`, etag: file.etag }).end();
        return;
      }
      status = 206;
    }
    const body = file.bytes.subarray(start, end + 1);
    const headers: Record<string, string> = {
      'content-length': String(body.byteLength),
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
    };
    if (state.versionHeader === 'etag') headers['etag'] = file.etag;
    if (state.versionHeader === 'last-modified') headers['last-modified'] = file.modified;
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (fault === 'truncate') {
      // Half the promised body, then the connection drops.
      res.write(body.subarray(0, Math.floor(body.byteLength / 2)), () => req.socket.destroy());
      return;
    }
    res.end(body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    url: (path) => `${origin}${normal(path)}`,
    set(path, bytes) {
      const etag = `"${createHash('sha1').update(bytes).digest('hex')}"`;
      files.set(normal(path), { bytes: bytes.slice(), etag, modified: new Date().toUTCString() });
    },
    requests,
    faults,
    get ignoreRanges() {
      return state.ignoreRanges;
    },
    set ignoreRanges(v: boolean) {
      state.ignoreRanges = v;
    },
    get versionHeader() {
      return state.versionHeader;
    },
    set versionHeader(v: RangeServer['versionHeader']) {
      state.versionHeader = v;
    },
    get maxRangeBytes() {
      return state.maxRangeBytes;
    },
    set maxRangeBytes(v: number) {
      state.maxRangeBytes = v;
    },
    get allowHead() {
      return state.allowHead;
    },
    set allowHead(v: boolean) {
      state.allowHead = v;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
