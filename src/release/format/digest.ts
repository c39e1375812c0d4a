/**
 * The three digests of a release: the file checksum (sha2-256 multihash `1220…`), the declaration digest
 * (SHA-256 hex of the RFC 8785 canonical JSON of the declaration projection) and the manifest digest (SHA-256
 * hex of the exact `release-manifest.json` bytes).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import canonicalize from 'canonicalize';
import type { Curated, SourceManifest } from './documents.js';

/** Identity profile of the declaration projection. */
export const IDENTITY_PROFILE = 'openskope-release-declaration-v1';

/** SHA-256 of bytes as 64 lower-case hex digits. */
export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** sha2-256 multihash (`1220` + hex) of bytes. */
export const multihash = (bytes: Uint8Array | string): string => `1220${sha256Hex(bytes)}`;

/** Multihash of a hex SHA-256. */
export const multihashOfHex = (hex: string): string => `1220${hex}`;

/** SHA-256 hex and size of a file, streamed (never read whole). */
export async function sha256File(path: string): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hex: hash.digest('hex'), size };
}

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** RFC 8785 (JCS) canonical JSON text of a value. */
export function canonicalJson(value: Json): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no canonical JSON form');
  return text;
}

function keyedById<T extends { id: string }>(list: readonly T[]): Record<string, Omit<T, 'id'>> {
  const out: Record<string, Omit<T, 'id'>> = {};
  for (const { id, ...rest } of list) out[id] = rest;
  return out;
}

/**
 * The declaration projection: `{identity_profile, curated, source_manifest}` where both documents have every
 * default filled in (as parsed) and their `variables` lists turned into objects keyed by variable id. The
 * source manifest must be resolved (every source checksum present). The release id, output bytes and host
 * paths are not part of it.
 */
export function declarationProjection(curated: Curated, resolved: SourceManifest): Json {
  if (resolved.variables.some((v) => v.source.checksum === null))
    throw new Error('the declaration projection needs every source checksum resolved');
  return JSON.parse(
    JSON.stringify({
      identity_profile: IDENTITY_PROFILE,
      curated: { ...curated, variables: keyedById(curated.variables) },
      source_manifest: { ...resolved, variables: keyedById(resolved.variables) },
    }),
  ) as Json;
}

/** Declaration digest: SHA-256 hex of the canonical JSON of the projection. */
export function declarationDigest(curated: Curated, resolved: SourceManifest): string {
  return sha256Hex(canonicalJson(declarationProjection(curated, resolved)));
}
