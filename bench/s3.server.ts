/**
 * The S3 side of the `s3` benchmark, in a process of its own (so its CPU is not the measured process's): a real
 * S3-protocol server (s3rver) over a directory whose objects are hard links to a generated dataset's files, behind a
 * TCP proxy of the bench's own that holds every request for a fixed latency before forwarding it (the round trip
 * between an EC2 instance and S3 in-region) and counts requests and the body bytes their ranges ask for (clipped to
 * the object), with every requested range per object, and this process's CPU seconds (s3rver and proxy).
 *
 * Usage: tsx bench/s3.server.ts '<json {dir, bucket, objects: {key: path}, latencyMs}>'
 * Prints one JSON line `{"endpoint": "http://127.0.0.1:<proxy port>"}` once serving. Control, on the proxy:
 * `GET /__stats` → `{requests, bytes, ranges: {key: [[start, end], …]}, serverCpu}` (end exclusive; seconds),
 * `POST /__reset` clears them.
 * Objects are readable without signing too (s3rver accepts anonymous reads), so the same endpoint serves plain HTTP
 * range requests at `<endpoint>/<bucket>/<key>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';

interface Args {
  /** s3rver's directory (made if missing; objects are hard-linked into it). */
  dir: string;
  bucket: string;
  /** Object key → local file. */
  objects: Record<string, string>;
  latencyMs: number;
}

type S3rverCtor = new (options: { address: string; port: number; directory: string; silent: boolean }) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

/** Puts `path` into s3rver's filesystem layout as `key` without copying: a hard link, a version file. */
function linkObject(dir: string, bucket: string, key: string, path: string): void {
  const parts = key.split('/');
  const name = parts.pop() as string;
  const folder = join(dir, bucket, ...parts);
  mkdirSync(folder, { recursive: true });
  const object = join(folder, `${name}._S3rver_object`);
  const st = statSync(path);
  if (existsSync(object) && statSync(object).ino !== st.ino) throw new Error(`${object} is not a link to ${path}`);
  if (!existsSync(object)) linkSync(path, object);
  // s3rver would hash the whole object for its ETag on first access; any stable version string does.
  const md5 = createHash('md5').update(`${path}\0${st.size}\0${st.mtimeMs}`).digest('hex');
  writeFileSync(`${object}.md5`, md5);
  writeFileSync(
    join(folder, `${name}._S3rver_metadata.json`),
    JSON.stringify({ 'content-type': 'application/octet-stream' }),
  );
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  mkdirSync(args.dir, { recursive: true });
  for (const [key, path] of Object.entries(args.objects)) linkObject(args.dir, args.bucket, key, path);
  mkdirSync(dirname(join(args.dir, args.bucket, 'x')), { recursive: true });
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: args.dir, silent: true });
  const upstream = await s3rver.run();
  const sizes = new Map(
    Object.entries(args.objects).map(([key, path]) => [`/${args.bucket}/${key}`, statSync(path).size]),
  );

  let requests = 0;
  let bytes = 0;
  let ranges: Record<string, [number, number][]> = {};
  let cpuAtReset = process.cpuUsage();

  /** Counts one forwarded request: its object's body bytes as the range asks for them (clipped to the object). */
  const count = (method: string, target: string, range: string | undefined): void => {
    requests++;
    const key = decodeURIComponent(target.split('?')[0] ?? '/');
    const size = sizes.get(key);
    if (method !== 'GET' || size === undefined) return;
    const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = Math.min(size, m && m[2] !== '' ? Number(m[2]) + 1 : size);
    if (end <= start) return;
    bytes += end - start;
    (ranges[key] ??= []).push([start, end]);
  };

  /** The control requests, answered by the proxy itself. */
  const control = (target: string): string | null => {
    if (target === '/__stats') {
      const c = process.cpuUsage(cpuAtReset);
      const body = JSON.stringify({ requests, bytes, ranges, serverCpu: (c.user + c.system) / 1e6 });
      return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    }
    if (target === '/__reset') {
      requests = 0;
      bytes = 0;
      ranges = {};
      cpuAtReset = process.cpuUsage();
      return 'HTTP/1.1 204 No Content\r\n\r\n';
    }
    return null;
  };

  // A TCP proxy that reads only the request heads: each is held `latencyMs`, then written to s3rver, and responses
  // flow back byte for byte. (An HTTP proxy re-parsed and re-framed every response body: on these 2 cores its CPU
  // was the extraction's to share.) Clients send one request at a time per connection (no pipelining), so a
  // connection's requests and responses never interleave. GET and HEAD only: a request body is not forwarded.
  const proxy = createNetServer((client) => {
    let upstreamSocket: Socket | null = null;
    let pending: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    const upstreamOf = (): Socket => {
      if (upstreamSocket !== null) return upstreamSocket;
      const up = connect(upstream.port, '127.0.0.1');
      up.setNoDelay(true);
      up.on('data', (chunk) => client.write(chunk));
      up.on('end', () => client.end());
      up.on('error', () => client.destroy());
      upstreamSocket = up;
      return up;
    };
    client.setNoDelay(true);
    client.on('error', () => upstreamSocket?.destroy());
    client.on('close', () => upstreamSocket?.destroy());
    client.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end + 4);
        pending = pending.subarray(end + 4);
        const text = head.toString('latin1');
        const [method = '', target = ''] = text.slice(0, text.indexOf('\r\n')).split(' ');
        const range = /\r\nrange:\s*([^\r]*)/i.exec(text)?.[1];
        const local = control(target);
        if (local !== null) {
          chain = chain.then(() => void client.write(local));
          continue;
        }
        count(method, target, range);
        const copy = Buffer.from(head);
        chain = chain.then(
          () => new Promise<void>((resolve) => setTimeout(() => (upstreamOf().write(copy), resolve()), args.latencyMs)),
        );
      }
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  process.stdout.write(
    `${JSON.stringify({ endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` })}\n`,
  );
  const stop = (): void => {
    proxy.close();
    void s3rver.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
