/**
 * Authoring inputs for release tests over the tiny committed sources (test/fixtures/release/tiny/): dataset `ds`,
 * yearly axis 0100–0104 (0102 empty), variables `a` (u16.tif) and `b` (f32.tif), chunk 2. Each document is text a
 * test may edit before it is written.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RELEASE_FIXTURES } from './release.fixtures.js';

export const TINY_SOURCES = join(RELEASE_FIXTURES, 'tiny');
export const tinySource = (name: string): string => join(TINY_SOURCES, name);
export const multihashOf = (path: string): string =>
  `1220${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

export const CURATED = `schema_version: "0.1.0"
id: "ds"
version: "1"
profile: "TemporalCubeDataset"
title: "Tiny"
description: "A tiny dataset."
license: "CC0-1.0"
region_name: "Nowhere"
providers:
  - name: "Tester"
    roles: ["producer", "processor"]
temporal:
  calendar: "proleptic_gregorian"
  precision: "year"
  origin: "0100"
  end: "0104"
  step: "P1Y"
  endpoint_inclusion: "inclusive"
  timestep_meaning: "aggregation_period"
  description: "Years."
empty_timesteps:
  - first: "0102"
    last: "0102"
    reason: "Empty by construction."
variables:
  - id: "a"
    title: "A"
    description: "Variable a."
    unit: "mm"
  - id: "b"
    title: "B"
    description: "Variable b."
    unit: "unitless"
`;

/** `source-manifest.yml` naming sources `a` and `b`; checksums of `hashA`/`hashB` (default: the sources themselves). */
export const sourceManifest = (
  a = tinySource('u16.tif'),
  b = tinySource('f32.tif'),
  hashA = a,
  hashB = b,
): string => `schema_version: "0.1.0"
dataset: "ds"
release:
  created: "2026-10-07T15:10:00Z"
  chunk_size: 2
  cog:
    blocksize: 256
    interleave: "BAND"
    compress: "DEFLATE"
    level: 6
    bigtiff: "IF_SAFER"
variables:
  - id: "a"
    source:
      uri: "${a}"
      checksum: "${multihashOf(hashA)}"
      bands: "descriptions"
    encoding:
      data_type: "uint16"
      nodata: 65535
      predictor: 2
      overview_resampling: "AVERAGE"
  - id: "b"
    source:
      uri: "${b}"
      checksum: "${multihashOf(hashB)}"
      bands: "descriptions"
    encoding:
      data_type: "float32"
      nodata: -9999
      predictor: 3
      overview_resampling: "AVERAGE"
`;

/** Write `datasetsDir/<name>/{curated.yml,source-manifest.yml[,releases.yml]}` and return the datasets dir. */
export async function writeDataset(
  datasetsDir: string,
  docs: { curated?: string; manifest?: string; ledger?: string; name?: string } = {},
): Promise<string> {
  const dir = join(datasetsDir, docs.name ?? 'ds');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'curated.yml'), docs.curated ?? CURATED);
  await writeFile(join(dir, 'source-manifest.yml'), docs.manifest ?? sourceManifest());
  if (docs.ledger !== undefined) await writeFile(join(dir, 'releases.yml'), docs.ledger);
  return datasetsDir;
}
