/**
 * The S3 side of the `s3` benchmark, in a process of its own (so its CPU is not the measured process's): a real
 * S3-protocol server (s3rver) over a directory whose objects are hard links to a generated dataset's files, behind a
 * proxy of the bench's own that holds every request for a fixed latency before forwarding it (the round trip between
 * an EC2 instance and S3 in-region) and counts requests and body bytes, with every requested range per object.
 *
 * Usage: tsx bench/s3.server.ts '<json {dir, bucket, objects: {key: path}, latencyMs}>'
 * Prints one JSON line `{"endpoint": "http://127.0.0.1:<proxy port>"}` once serving. Control, on the proxy:
 * `GET /__stats` → `{requests, bytes, ranges: {key: [[start, end], …]}}` (end exclusive), `POST /__reset` clears them.
 * Objects are readable without signing too (s3rver accepts anonymous reads), so the same endpoint serves plain HTTP
 * range requests at `<endpoint>/<bucket>/<key>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });

  let requests = 0;
  let bytes = 0;
  let ranges: Record<string, [number, number][]> = {};
  const proxy = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, bytes, ranges }));
      return;
    }
    if (url === '/__reset') {
      requests = 0;
      bytes = 0;
      ranges = {};
      res.writeHead(204).end();
      return;
    }
    requests++;
    const key = decodeURIComponent(url.split('?')[0] ?? '/');
    setTimeout(() => {
      // Headers go through unchanged (Host included) so s3rver's signature check passes.
      const up = httpRequest(
        { host: '127.0.0.1', port: upstream.port, method: req.method, path: url, headers: req.headers, agent },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          let n = 0;
          upRes.on('data', (chunk: Buffer) => (n += chunk.byteLength));
          upRes.on('end', () => {
            bytes += n;
            const m = /^bytes (\d+)-(\d+)\//.exec(String(upRes.headers['content-range'] ?? ''));
            if (req.method === 'GET' && (upRes.statusCode === 206 || upRes.statusCode === 200)) {
              const start = m ? Number(m[1]) : 0;
              (ranges[key] ??= []).push([start, start + n]);
            }
          });
          upRes.pipe(res);
        },
      );
      up.on('error', () => req.socket.destroy());
      req.pipe(up);
    }, args.latencyMs);
  });
  proxy.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  process.stdout.write(
    `${JSON.stringify({ endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` })}\n`,
  );
  const stop = (): void => {
    proxy.closeAllConnections();
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
