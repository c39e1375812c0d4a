/**
 * One HTTP(S) GET over a keep-alive connection of our own, for the ranged reads of the HTTP and S3 sources: an
 * HTTP/1.1 client on `net`/`tls` sockets that read into one reused buffer (`onread`), with the response parsed here
 * and the body copied once, from that buffer into the body's memory (a body pool's when the caller gives one).
 *
 * Written by hand for speed. The sources move gigabytes through here (2.5 GB for a 1 000 000-cell extraction), and
 * every general client allocates per chunk: `node:http` a socket buffer and a copy of it per 64 KB, undici a socket
 * buffer per read (and a concatenation of those read together), `fetch` WHATWG streams on top. Each fresh buffer is
 * V8 external memory, which V8 answers with full garbage collections. Measured on this kind of machine (250 ranged
 * GETs of 10 MB from a local server, 8 in flight, bodies from a body pool): client CPU 3.8–4.4 s with `node:http`,
 * 2.2–2.8 s with undici's dispatcher, 0.65–0.9 s with this.
 *
 * What it speaks: GET with HTTP/1.1 keep-alive (one request at a time per connection, no pipelining), response bodies
 * framed by Content-Length, chunked transfer coding or the connection's close; 1xx responses are skipped. A response
 * it cannot parse fails the request with code `HPE_INVALID` and closes the connection.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
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

/** Every socket of the thread reads into this buffer; each read is consumed (copied out) before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** An idle connection is closed after this long (S3 closes idle connections after ~20 s). */
const IDLE_MS = 4_000;
/** A response head longer than this is refused. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line longer than this is refused. */
const MAX_LINE_BYTES = 4 * 1024;
/**
 * A body larger than this is refused before anything is allocated for it (a bogus Content-Length must not exhaust
 * memory). The sources ask for at most 16 MiB at a time; whole objects (lookups) are small.
 */
const MAX_BODY_BYTES = 1024 * 1024 * 1024;

/** An error with a `code` (retry.ts retries ECONNRESET and its kind). */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const invalid = (what: string): Error => coded(`invalid HTTP response: ${what}`, 'HPE_INVALID');

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

/** A parsed response head. */
interface Head {
  minor: number;
  status: number;
  statusText: string;
  headers: Map<string, string>;
}

/** Parses the head (without its final CRLF CRLF). @throws HPE_INVALID */
function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (m === null) throw invalid('bad status line');
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw invalid('bad header line');
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers.get(key);
    headers.set(key, had === undefined ? value : `${had}, ${value}`);
  }
  return { minor: Number(m[1]), status: Number(m[2]), statusText: m[3] ?? '', headers };
}

/** How a response's body ends. */
type Framing =
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-crlf' | 'trailer'; remaining: number; line: string }
  | { kind: 'close' };

/** Where body bytes go: a buffer of the declared length, or a list of copies. */
interface Sink {
  out: Uint8Array | null;
  chunks: Uint8Array[];
  got: number;
}

/**
 * One request on one connection: parses the response from the bytes the connection hands it, resolves `started` at
 * the head, then fills the body as the caller asked.
 */
class Exchange implements HttpResponse {
  status = 0;
  ok = false;
  statusText = '';
  headers: { get(name: string): string | null } = { get: () => null };
  #head: Buffer | null = null;
  #minor = 1;
  #keepAlive = false;
  #framing: Framing | null = null;
  #declared: number | null = null;
  /** Body bytes that came before the caller asked for the body (copies). */
  #early: Sink = { out: null, chunks: [], got: 0 };
  #sink: Sink | null = null;
  #done = false;
  #error: Error | null = null;
  #body: Promise<Uint8Array> | null = null;
  #settleBody: ((err: Error | null) => void) | null = null;

  constructor(
    readonly conn: Connection,
    private readonly signal: AbortSignal,
    private readonly started: (err: Error | null) => void,
    /** Memory for a successful body of declared length, given with the request (then the body is read at once). */
    private readonly alloc: BodyAlloc | undefined,
  ) {}

  /** Bytes `buf[0, n)` from the socket. Returns false to pause the socket (the body is not asked for yet). */
  feed(buf: Buffer, n: number): boolean {
    let at = 0;
    while (at < n && !this.#done && this.#error === null) {
      if (this.#framing === null) at = this.#feedHead(buf, at, n);
      else at = this.#feedBody(buf, at, n);
    }
    if (this.#done && at < n && this.#error === null) {
      // Bytes past the end of the response: no pipelining here, so the server is confused; the response stands.
      this.conn.reusable = false;
    }
    if (this.#done) this.#finish();
    // Paused only between a complete head and the caller asking for the body.
    return this.#framing === null || this.#sink !== null || this.#done || this.#error !== null;
  }

  /** The connection ended; `err` when it failed. */
  closed(err: Error | null): void {
    if (this.#done || this.#error !== null) return;
    if (err === null && this.#framing?.kind === 'close') {
      this.#done = true;
      this.#finish();
      return;
    }
    this.fail(err ?? coded('connection closed before the end of the response', 'ECONNRESET'));
  }

  #feedHead(buf: Buffer, at: number, n: number): number {
    const part = buf.subarray(at, n);
    const head: Buffer = this.#head === null ? Buffer.from(part) : Buffer.concat([this.#head, part]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEAD_BYTES) this.fail(invalid('head too long'));
      else this.#head = head;
      return n;
    }
    if (end > MAX_HEAD_BYTES) {
      this.fail(invalid('head too long'));
      return n;
    }
    this.#head = null;
    // What of this read follows the head.
    const consumed = n - (head.length - (end + 4));
    let parsed: Head;
    try {
      parsed = parseHead(head.toString('latin1', 0, end));
    } catch (err) {
      this.fail(err as Error);
      return n;
    }
    if (parsed.status < 200) {
      if (parsed.status === 101) this.fail(invalid('unexpected protocol switch'));
      return consumed; // 100 Continue, 103 Early Hints…: the real response follows
    }
    this.#start(parsed);
    return consumed;
  }

  #start(h: Head): void {
    this.status = h.status;
    this.ok = h.status >= 200 && h.status < 300;
    this.statusText = h.statusText;
    this.#minor = h.minor;
    const headers = h.headers;
    this.headers = { get: (name) => headers.get(name.toLowerCase()) ?? null };
    const connection = (headers.get('connection') ?? '').toLowerCase();
    this.#keepAlive = this.#minor === 1 ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    if (h.status === 204 || h.status === 304) {
      this.#framing = { kind: 'length', remaining: 0 };
    } else if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) {
        this.fail(invalid(`transfer coding "${te}"`));
        return;
      }
      this.#framing = { kind: 'chunked', state: 'size', remaining: 0, line: '' };
    } else if (cl !== undefined) {
      // "n, n" (repeated headers) is one length; differing ones are not.
      const values = new Set(cl.split(',').map((v) => v.trim()));
      const only = values.size === 1 ? [...values][0] : undefined;
      if (only === undefined || !/^\d{1,15}$/.test(only)) {
        this.fail(invalid(`Content-Length "${cl}"`));
        return;
      }
      if (Number(only) > MAX_BODY_BYTES) {
        this.fail(invalid(`body of ${only} bytes (at most ${MAX_BODY_BYTES})`));
        return;
      }
      this.#declared = Number(only);
      this.#framing = { kind: 'length', remaining: this.#declared };
    } else {
      this.#framing = { kind: 'close' };
      this.#keepAlive = false;
    }
    if (this.#framing.kind === 'length' && this.#framing.remaining === 0) this.#done = true;
    // The body's memory is known already: read it straight in, with no pause and no copy kept aside.
    if (this.ok && this.#declared !== null && this.alloc !== undefined) {
      this.#sink = { out: this.alloc(this.#declared), chunks: [], got: 0 };
    }
    this.started(null);
  }

  #feedBody(buf: Buffer, at: number, n: number): number {
    const f = this.#framing as Framing;
    if (f.kind === 'close') {
      this.#emit(buf, at, n);
      return n;
    }
    if (f.kind === 'length') {
      const take = Math.min(f.remaining, n - at);
      this.#emit(buf, at, at + take);
      f.remaining -= take;
      if (f.remaining === 0) this.#done = true;
      return at + take;
    }
    // Chunked: size line, data, CRLF, …, a zero size, trailer lines, an empty line.
    while (at < n && !this.#done && this.#error === null) {
      if (f.state === 'data') {
        const take = Math.min(f.remaining, n - at);
        this.#emit(buf, at, at + take);
        f.remaining -= take;
        at += take;
        if (f.remaining === 0) f.state = 'data-crlf';
        continue;
      }
      const nl = buf.indexOf(10, at);
      const stop = nl < 0 || nl >= n ? n : nl + 1;
      f.line += buf.toString('latin1', at, stop);
      at = stop;
      if (f.line.length > MAX_LINE_BYTES) {
        this.fail(invalid('chunk line too long'));
        break;
      }
      if (!f.line.endsWith('\n')) continue;
      const line = f.line.replace(/\r?\n$/, '');
      f.line = '';
      if (f.state === 'data-crlf') {
        if (line !== '') this.fail(invalid('chunk not followed by CRLF'));
        f.state = 'size';
      } else if (f.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line)?.[1];
        if (size === undefined) {
          this.fail(invalid('bad chunk size'));
          break;
        }
        f.remaining = parseInt(size, 16);
        f.state = f.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.#done = true;
      }
    }
    return at;
  }

  /** Body bytes `buf[a, b)`: into the caller's sink, or kept (copied) until it asks. */
  #emit(buf: Buffer, a: number, b: number): void {
    if (b <= a) return;
    const sink = this.#sink ?? this.#early;
    if (sink.out !== null) {
      if (sink.got + (b - a) > sink.out.length) {
        this.fail(coded(`body longer than its Content-Length (${sink.out.length})`, 'ECONNRESET'));
        return;
      }
      sink.out.set(buf.subarray(a, b), sink.got);
    } else {
      if (sink.got + (b - a) > MAX_BODY_BYTES) {
        this.fail(invalid(`body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      sink.chunks.push(Uint8Array.prototype.slice.call(buf, a, b));
    }
    sink.got += b - a;
  }

  /** The response is complete: the connection goes back to the pool (or closes), the body settles. */
  #finish(): void {
    this.conn.release(this, this.#keepAlive);
    this.#settleBody?.(null);
  }

  /** Stops the exchange wherever it is (the request, the wait for the head, the body) and closes its connection. */
  fail(err: Error): void {
    if (this.#done || this.#error !== null) return;
    this.#error = err;
    this.conn.destroy(this);
    if (this.#framing === null) this.started(err);
    else this.#settleBody?.(err);
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
    if (!this.#done) this.fail(new Error('body not read'));
  }

  /** The body into one buffer when its length is declared (from `alloc` when given), else from its chunks. */
  #read(alloc: BodyAlloc | undefined): Promise<Uint8Array> {
    const early = this.#early;
    const declared = this.#declared;
    const sink: Sink = this.#sink ?? { out: null, chunks: early.chunks, got: early.got };
    if (declared !== null && this.#sink === null) {
      // Not zero-filled: every byte is written before the buffer is handed on (a short body is cut to what came).
      sink.out =
        alloc !== undefined ? alloc(declared) : new Uint8Array(Buffer.allocUnsafeSlow(declared).buffer, 0, declared);
      let at = 0;
      for (const c of early.chunks) {
        sink.out.set(c, at);
        at += c.length;
      }
      sink.chunks = [];
    }
    this.#early = { out: null, chunks: [], got: 0 };
    this.#sink = sink;
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => this.fail(reasonOf(this.signal));
      this.#settleBody = (err) => {
        if (settled) return;
        settled = true;
        this.signal.removeEventListener('abort', onAbort);
        if (err !== null) {
          reject(err);
          return;
        }
        const out = sink.out;
        if (out !== null) {
          resolve(sink.got === out.length ? out : out.subarray(0, sink.got));
          return;
        }
        const all = Buffer.concat(sink.chunks, sink.got);
        resolve(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
      };
      if (this.#error !== null) this.#settleBody(this.#error);
      else if (this.#done) this.#settleBody(null);
      else if (this.signal.aborted) onAbort();
      else {
        this.signal.addEventListener('abort', onAbort, { once: true });
        this.conn.resume();
      }
    });
  }
}

/** Idle connections by origin (`protocol//host:port`). */
const IDLE = new Map<string, Connection[]>();

/** One keep-alive connection. */
class Connection {
  readonly socket: Socket;
  exchange: Exchange | null = null;
  reusable = true;
  #idle: NodeJS.Timeout | null = null;
  #connected = false;

  constructor(
    private readonly origin: string,
    url: URL,
  ) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const onread = { buffer: READ_BUFFER, callback: (n: number): boolean => this.#onRead(n) };
    this.socket =
      url.protocol === 'https:'
        ? tlsConnect({
            host,
            port,
            ...(isIP(host) === 0 ? { servername: host } : {}),
            ALPNProtocols: ['http/1.1'],
            onread,
          } as ConnectionOptions)
        : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
    });
    this.socket.on('error', (err) => this.#end(err));
    this.socket.on('close', () => this.#end(null));
  }

  #onRead(n: number): boolean {
    const ex = this.exchange;
    if (ex === null) {
      // Bytes on an idle connection: nothing asked for them.
      this.reusable = false;
      this.socket.destroy();
      return false;
    }
    return ex.feed(READ_BUFFER, n);
  }

  #end(err: Error | null): void {
    this.reusable = false;
    this.#unlist();
    const ex = this.exchange;
    this.exchange = null;
    ex?.closed(err ?? (this.#connected ? null : coded('connection closed before it was established', 'ECONNRESET')));
  }

  /** Sends `ex`'s request. */
  send(ex: Exchange, head: string): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
    this.exchange = ex;
    this.socket.ref();
    this.socket.write(head);
  }

  resume(): void {
    this.socket.resume();
  }

  /** `ex` is complete: back to the idle list when the connection can carry another request, else closed. */
  release(ex: Exchange, keepAlive: boolean): void {
    if (this.exchange !== ex) return;
    this.exchange = null;
    if (!keepAlive || !this.reusable || this.socket.destroyed) {
      this.reusable = false;
      this.socket.destroy();
      return;
    }
    this.socket.resume();
    this.socket.unref();
    const list = IDLE.get(this.origin) ?? [];
    list.push(this);
    IDLE.set(this.origin, list);
    this.#idle = setTimeout(() => this.socket.destroy(), IDLE_MS);
    this.#idle.unref();
  }

  destroy(ex: Exchange): void {
    if (this.exchange === ex) this.exchange = null;
    this.reusable = false;
    this.socket.destroy();
  }

  #unlist(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
    const list = IDLE.get(this.origin);
    const i = list?.indexOf(this) ?? -1;
    if (list !== undefined && i >= 0) list.splice(i, 1);
  }

  /** An idle connection to `origin`, or a new one. */
  static take(origin: string, url: URL): Connection {
    const list = IDLE.get(origin);
    for (let c = list?.pop(); c !== undefined; c = list?.pop()) {
      if (c.reusable && !c.socket.destroyed) {
        if (c.#idle !== null) clearTimeout(c.#idle);
        c.#idle = null;
        return c;
      }
    }
    return new Connection(origin, url);
  }
}

/** The request head. @throws TypeError for a header name or value that would break the head (CR, LF, NUL). */
function requestHead(url: URL, headers: Record<string, string>): string {
  let lines = '';
  let host = false;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) throw new TypeError(`invalid header ${JSON.stringify(name)}`);
    if (name.toLowerCase() === 'host') host = true;
    lines += `${name}: ${value}\r\n`;
  }
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\n${host ? '' : `host: ${url.host}\r\n`}${lines}\r\n`;
}

/**
 * Sends a GET request for `url` with `headers` and resolves once the response head arrived; `signal` aborts the
 * request and the body read. With `alloc`, a 2xx body of declared length is read into the memory it gives as it
 * arrives; any other body waits, its connection paused, until `bytes`, `arrayBuffer` or `text` asks for it, or
 * `cancel` drops it.
 * @throws Error with a `code` (ECONNREFUSED, ECONNRESET, HPE_INVALID…) on connection and protocol failures;
 *   `signal.reason` when aborted.
 */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
  alloc?: BodyAlloc,
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(reasonOf(signal));
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new TypeError(`not an HTTP(S) URL: ${url.protocol}`));
      return;
    }
    let head: string;
    try {
      head = requestHead(url, headers);
    } catch (err) {
      reject(err as Error);
      return;
    }
    const onAbort = (): void => exchange.fail(reasonOf(signal));
    const conn = Connection.take(`${url.protocol}//${url.host}`, url);
    const exchange = new Exchange(
      conn,
      signal,
      (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err === null) resolve(exchange);
        else reject(err);
      },
      alloc,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    conn.send(exchange, head);
  });
}
