/**
 * A real S3-protocol server for tests: `s3rver` on 127.0.0.1 (random port, temp directory), behind a small proxy
 * that counts requests and injects faults (503, connection reset, truncated body). The client talks to the proxy
 * with path-style addressing and dummy credentials.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * Fault for the next proxied request (consumed in order): a 503 answer, a connection reset, a body cut in half, or a
 * stall (no answer until the client gives up or the proxy closes).
 */
export type S3Fault = '503' | 'reset' | 'truncate' | 'stall';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets?: { name: string }[];
}) => S3rverInstance;

/** Handle on the running test S3 service. */
export interface TestS3 {
  /** Endpoint URL of the proxy in front of s3rver (what clients use). */
  readonly endpoint: string;
  /** A client for the proxy: path-style, dummy credentials, SDK retries off. */
  readonly client: S3Client;
  /** Bucket created at start. */
  readonly bucket: string;
  /** Uploads `bytes` as `key` in the bucket; returns `s3://bucket/key`. */
  put(key: string, bytes: Uint8Array): Promise<string>;
  /** Requests that reached the proxy (method and path, `range` when given). */
  readonly requests: { method: string; path: string; range: string | undefined }[];
  /** Faults applied to the next requests. */
  readonly faults: S3Fault[];
  /** A fault applied to every request while set (after the queued ones), e.g. an outage; null = none. */
  always: S3Fault | null;
  close(): Promise<void>;
}

/** Starts s3rver in a temp directory and a fault-injecting proxy in front of it. */
export async function startTestS3(bucket = 'skope-test'): Promise<TestS3> {
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as S3rverCtor;
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const upstream = await s3rver.run();

  const requests: TestS3['requests'] = [];
  const faults: S3Fault[] = [];
  const state = { always: null as S3Fault | null };
  const proxy = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', range: req.headers.range });
    const fault = faults.shift() ?? state.always ?? undefined;
    if (fault === 'stall') return; // the socket stays open, silent, until the client or close() ends it
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === '503') {
      res
        .writeHead(503, { 'content-type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>Try again</Message></Error>',
        );
      return;
    }
    // Headers go through unchanged (Host included) so s3rver's signature check passes.
    const up = httpRequest(
      { host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (fault === 'truncate') {
          upRes.once('data', (chunk: Buffer) => {
            res.write(chunk.subarray(0, Math.floor(chunk.byteLength / 2)), () => req.socket.destroy());
          });
          return;
        }
        upRes.pipe(res);
      },
    );
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    maxAttempts: 1,
  });
  // Uploads bypass the proxy's fault queue by using a separate client straight to s3rver.
  const direct = new S3Client({
    endpoint: `http://127.0.0.1:${upstream.port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await direct.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);

  return {
    endpoint,
    client,
    bucket,
    async put(key, bytes) {
      await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
      return `s3://${bucket}/${key}`;
    },
    requests,
    faults,
    get always() {
      return state.always;
    },
    set always(f: S3Fault | null) {
      state.always = f;
    },
    async close() {
      client.destroy();
      direct.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
