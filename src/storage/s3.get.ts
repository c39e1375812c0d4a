/**
 * Ranged S3 GETs without the SDK's command stack: the request is signed (AWS Signature Version 4, header form,
 * `UNSIGNED-PAYLOAD` as S3 allows for GETs) with the client's region, credentials and endpoint, and sent with
 * `httpGet` (undici's dispatcher, keep-alive). Hand-written for speed: profiled on an extraction of 3 471 ranged reads, the
 * SDK's middleware (endpoint rules, schema (de)serialisation, retry, its HTTP handler) cost ~3.5 ms of CPU per
 * request, the SDK's signer then ~0.35 ms and `fetch` ~1.1 ms — more than inflating the blocks. Here the signing key is
 * derived once per day and region, and a request costs one SHA-256 and one HMAC.
 */
import { createHash, createHmac } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BodyAlloc } from './bodies.js';
import { httpGet, type HttpResponse } from './http.get.js';

/** One ranged GET of `bucket/key`: the raw response (status checked by the caller). */
export type S3RangeGet = (
  bucket: string,
  key: string,
  range: string,
  signal: AbortSignal,
  alloc?: BodyAlloc,
) => Promise<HttpResponse>;

/** What a request is signed with (the SDK's credential shape). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface Target {
  region: string;
  credentials: () => Promise<S3Credentials>;
  /** The object's URL. */
  url(bucket: string, key: string): URL;
}
/** Path segments of a key, each percent-encoded as S3 and SigV4 expect (RFC 3986 unreserved characters kept). */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

/** Virtual-hosted addressing needs a bucket name that is a DNS label (no dots, for TLS). */
const DNS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

async function target(client: S3Client): Promise<Target> {
  const config = client.config;
  const region = await config.region();
  const provider = config.credentials;
  const credentials = async (): Promise<S3Credentials> => provider();
  const endpoint = config.isCustomEndpoint ? await config.endpoint?.() : undefined;
  if (endpoint) {
    const port = endpoint.port !== undefined ? `:${endpoint.port}` : '';
    const base = `${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path.replace(/\/+$/, '')}`;
    return {
      region,
      credentials,
      url: (bucket, key) =>
        config.forcePathStyle || !DNS_BUCKET.test(bucket)
          ? new URL(`${base}/${bucket}/${encodeKey(key)}`)
          : new URL(
              `${endpoint.protocol}//${bucket}.${endpoint.hostname}${port}${endpoint.path.replace(/\/+$/, '')}/${encodeKey(key)}`,
            ),
    };
  }
  const host = `s3.${region}.amazonaws.com`;
  return {
    region,
    credentials,
    url: (bucket, key) =>
      config.forcePathStyle || !DNS_BUCKET.test(bucket)
        ? new URL(`https://${host}/${bucket}/${encodeKey(key)}`)
        : new URL(`https://${bucket}.${host}/${encodeKey(key)}`),
  };
}

/** The SigV4 signing key of one secret, day (`YYYYMMDD`) and region for S3: the last one is kept. */
let signingKey: { secret: string; day: string; region: string; key: Buffer } | null = null;

function keyFor(secret: string, day: string, region: string): Buffer {
  if (signingKey?.secret === secret && signingKey.day === day && signingKey.region === region) return signingKey.key;
  const hmac = (k: string | Buffer, data: string): Buffer => createHmac('sha256', k).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request');
  signingKey = { secret, day, region, key };
  return key;
}

/**
 * The headers of a SigV4-signed GET of `url` (its path already percent-encoded as S3 expects: not encoded again),
 * payload unsigned, at `now`: `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` with a session token,
 * `authorization`. Signed headers: host, x-amz-content-sha256, x-amz-date (and the token).
 */
export function signGet(
  url: URL,
  region: string,
  creds: S3Credentials,
  now: Date = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const token = creds.sessionToken;
  const names =
    token !== undefined
      ? 'host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
      : 'host;x-amz-content-sha256;x-amz-date';
  const canonicalHeaders =
    `host:${url.host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${amzDate}\n` +
    (token !== undefined ? `x-amz-security-token:${token}\n` : '');
  // The query is empty for our GETs (sorted key=value pairs would go here).
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = `GET\n${url.pathname}\n${query}\n${canonicalHeaders}\n${names}\nUNSIGNED-PAYLOAD`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', keyFor(creds.secretAccessKey, day, region))
    .update(toSign)
    .digest('hex');
  return {
    'x-amz-date': amzDate,
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    ...(token !== undefined ? { 'x-amz-security-token': token } : {}),
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names}, Signature=${signature}`,
  };
}

/** RFC 3986 percent-encoding (unreserved characters kept), as SigV4 wants for query keys and values. */
function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const getters = new WeakMap<S3Client, S3RangeGet>();

/** The ranged GET of `client` (one per client: its region, endpoint and credentials are resolved once). */
export function s3RangeGet(client: S3Client): S3RangeGet {
  let get = getters.get(client);
  if (get === undefined) {
    let resolved: Promise<Target> | null = null;
    get = async (bucket, key, range, signal, alloc) => {
      resolved ??= target(client).catch((err: unknown) => {
        resolved = null;
        throw err;
      });
      const { region, credentials, url: urlOf } = await resolved;
      const url = urlOf(bucket, key);
      const headers = signGet(url, region, await credentials());
      headers['range'] = range;
      return httpGet(url, headers, signal, alloc);
    };
    getters.set(client, get);
  }
  return get;
}
