/**
 * The S3 side of the `s3` benchmark, in a process of its own (so its CPU is not the measured process's): a real
 * S3-protocol server (s3rver) over a directory whose objects are hard links to a generated dataset's files. A
 * middleware of the bench's own, the first of s3rver's Koa app, holds every request for a fixed latency (the round
 * trip between an EC2 instance and S3 in-region) and counts requests and the body bytes their ranges ask for
 * (clipped to the object), with every requested range per object, and this process's CPU seconds.
 *
 * Usage: tsx bench/s3.server.ts '<json {dir, bucket, objects: {key: path}, latencyMs}>'
 * Prints one JSON line `{"endpoint": "http://127.0.0.1:<port>"}` once serving. Control, on the same endpoint:
 * `GET /__stats` → `{requests, bytes, ranges: {key: [[start, end], …]}, serverCpu}` (end exclusive; seconds),
 * `POST /__reset` clears them.
 * Objects are readable without signing too (s3rver accepts anonymous reads), so the same endpoint serves plain HTTP
 * range requests at `<endpoint>/<bucket>/<key>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
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

/** The part of Koa's context the middleware below uses. */
interface KoaContext {
  method: string;
  path: string;
  url: string;
  status: number;
  body: unknown;
  get(header: string): string;
}

type S3rverCtor = new (options: { address: string; port: number; directory: string; silent: boolean }) => {
  /** s3rver is a Koa app: its middleware stack, composed when it starts listening. */
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
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
  const sizes = new Map(
    Object.entries(args.objects).map(([key, path]) => [`/${args.bucket}/${key}`, statSync(path).size]),
  );

  let requests = 0;
  let bytes = 0;
  let ranges: Record<string, [number, number][]> = {};
  let cpuAtReset = process.cpuUsage();

  /** Counts one request: its object's body bytes as the range asks for them (clipped to the object). */
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

  // The latency and the counters as the first middleware of s3rver's own Koa app: every request is held `latencyMs`
  // before s3rver sees it. (A proxy in front relayed every response byte once more through this process's sockets:
  // on these 2 cores that CPU was the extraction's to share, and it varied from run to run.)
  s3rver.middleware.unshift(async (ctx, next) => {
    if (ctx.path === '/__stats') {
      const c = process.cpuUsage(cpuAtReset);
      ctx.body = { requests, bytes, ranges, serverCpu: (c.user + c.system) / 1e6 };
      return;
    }
    if (ctx.path === '/__reset') {
      requests = 0;
      bytes = 0;
      ranges = {};
      cpuAtReset = process.cpuUsage();
      ctx.status = 204;
      return;
    }
    count(ctx.method, ctx.url, ctx.get('range') || undefined);
    await new Promise((resolve) => setTimeout(resolve, args.latencyMs));
    await next();
  });
  const server = await s3rver.run();
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${server.port}` })}\n`);
  const stop = (): void => {
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
