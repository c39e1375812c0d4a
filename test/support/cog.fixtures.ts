/**
 * Test helpers shared by the raster tests: fixture listing, GDAL/rasterio reference calls, value encoding.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import type { PixelWindow } from '../../src/raster/types.js';

const run = promisify(execFile);

/** Directory of the GDAL-made fixtures. */
export const COGS = resolve(import.meta.dirname, '../fixtures/cogs');
/** Directory of the upstream 5×5 fixtures. */
export const UPSTREAM = resolve(import.meta.dirname, '../fixtures/upstream-5x5');

/** Fixture file names (the JPEG one is excluded: it exists to be refused). */
export function fixtureNames(): string[] {
  return readdirSync(COGS)
    .filter((f) => f.endsWith('.tif') && !f.includes('jpeg'))
    .sort();
}

/** One reference read. */
export interface RefRequest {
  path: string;
  bands: number[];
  window: PixelWindow;
  level?: number;
  fill?: number | null;
  applyMask?: boolean;
  /** Return the level's size and transform instead of values. */
  meta?: boolean;
}

/** JSON-safe sample: non-finite numbers as strings (what rasterio_read.py prints). */
export type Encoded = number | 'NaN' | 'Infinity' | '-Infinity';

/** Encodes samples the way rasterio_read.py does, so arrays compare with toEqual. */
export function encode(values: ArrayLike<number>): Encoded[] {
  return Array.from(values, (v) =>
    Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v,
  );
}

/** Runs rasterio_read.py over a batch of requests with `python`. */
export function rasterioRead(python: string, requests: RefRequest[]): ({ values: Encoded[] } | { error: string })[] {
  const out = execFileSync(python, [join(COGS, 'rasterio_read.py')], {
    input: JSON.stringify(requests),
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out.toString('utf8')) as ({ values: Encoded[] } | { error: string })[];
}

/** The parts of `gdalinfo -json` the metadata test compares. */
export interface GdalInfo {
  size: [number, number];
  geoTransform?: number[];
  stac?: { 'proj:epsg'?: number | null };
  metadata?: { IMAGE_STRUCTURE?: { INTERLEAVE?: string; COMPRESSION?: string } };
  bands: {
    type: string;
    block: [number, number];
    noDataValue?: number | string;
    overviews?: { size: [number, number] }[];
    mask?: { flags: string[] };
    metadata?: { IMAGE_STRUCTURE?: { PIXELTYPE?: string } };
  }[];
}

/** `gdalinfo -json` of a file. */
export async function gdalinfo(path: string): Promise<GdalInfo> {
  const { stdout } = await run('gdalinfo', ['-json', path], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as GdalInfo;
}
