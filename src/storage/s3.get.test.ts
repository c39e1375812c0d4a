import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { signGet, type S3Credentials } from './s3.get.js';

/** SHA-256 (HMAC with a secret) in the shape the SDK's signer takes, on node:crypto. */
class Sha256 {
  #h: Hash | Hmac;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: SourceData) {
    this.secret =
      secret instanceof ArrayBuffer
        ? new Uint8Array(secret)
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : secret;
    this.#h = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.#h.update(
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
  reset(): void {
    this.#h = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

/** The SDK's own signer, configured as the SDK signs S3 GETs: the independent reference for `signGet`. */
async function sdkHeaders(url: URL, region: string, creds: S3Credentials, now: Date): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: creds,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { signingDate: now },
  );
  return signed.headers;
}

describe('signGet (SigV4 for ranged S3 GETs)', () => {
  const now = new Date('2026-12-07T01:02:03.456Z');
  const cases: [string, string, S3Credentials][] = [
    [
      'https://bucket.s3.us-west-2.amazonaws.com/paleocar_v3/cogs/ppt_annual/ppt_annual_1.tif',
      'us-west-2',
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    ],
    [
      'http://127.0.0.1:9000/bench/a%20b/c%2Bd.tif',
      'us-east-1',
      { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'FwoGZXIvYXdzE//token==' },
    ],
  ];
  it.each(cases)('signs %s as the SDK signer does', async (href, region, creds) => {
    const url = new URL(href);
    const ours = signGet(url, region, creds, now);
    const sdk = await sdkHeaders(url, region, creds, now);
    expect(ours['authorization']).toBe(sdk['authorization']);
    expect(ours['x-amz-date']).toBe(sdk['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(sdk['x-amz-security-token']);
  });
});
