/**
 * PaleoCAR-shaped benchmark datasets, generated once with our COG writer into `bench/.data/` and reused:
 * 1560 × 1440 cells, EPSG:4269, the PaleoCAR transform, uint16 DEFLATE (zlib level 1, predictor 2) 256²
 * blocks, nodata 65535, synthetic annual precipitation from year 0103 on, in COG slices of `bands` bands.
 * The full version (`bands: 100, files: 19`) is 1898 annual bands 0103–2000 with the 0417–0589 gap as nodata.
 *
 * Each dataset is a storage root holding `metadata.yml` (the dataset registry), `colormaps.json`, `paleocar_v3/lookup.json`
 * (files relative to the root) and `paleocar_v3/cogs/ppt_annual/ppt_annual_<n>.tif`, so the timeseries
 * benchmark can point the service (or the Python reference) at it directly.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import {
  PALEOCAR_HEIGHT,
  PALEOCAR_NODATA,
  PALEOCAR_TRANSFORM,
  PALEOCAR_WIDTH,
  SKOPE_PRECIP_STOPS,
  lookupJson,
  writeAnnualCube,
  writeFileAtomic,
  yearKey,
} from '../../src/cli/demo.js';
import { createFieldGrid } from '../../src/cli/demo.fields.js';
import type { Affine } from '../../src/geo/affine.js';
import { boxPolygon } from '../../src/geo/box.js';

/** Which dataset to make. */
export interface PaleocarOptions {
  /** Bands per COG slice (100 in the real layout). */
  bands: number;
  /** Number of slices (default 1); years are cut at 2000, so 19 × 100 gives 1898 bands. */
  files?: number;
  /** PlanarConfiguration of the slices. */
  layout: 'band' | 'pixel';
  /** Years 0417–0589 as nodata bands (default true, as in the real data). */
  gap?: boolean;
  /** Where datasets live (default `bench/.data`). */
  dataDir?: string;
  log?: (message: string) => void;
}

/** A generated dataset (absolute paths). */
export interface PaleocarDataset {
  /** Storage root: lookup `file`s are relative to it. */
  root: string;
  /** Registry file (`<root>/metadata.yml`). */
  registryPath: string;
  /** `<root>/paleocar_v3/lookup.json`. */
  lookupPath: string;
  datasetId: 'paleocar_v3';
  variableId: 'ppt_annual';
  /** COG slices in year order. */
  files: string[];
  /** Bands per slice, parallel to `files`. */
  bandsPerFile: number[];
  /** First and last year keys, e.g. `0103` and `2000`. */
  firstYear: string;
  lastYear: string;
  width: number;
  height: number;
  /** EPSG:4269 degrees. */
  transform: Affine;
  crs: 'EPSG:4269';
  nodata: number;
}

const FIRST_YEAR = 103;
const LAST_YEAR = 2000;
const GAP = [417, 589] as const;

/** `bench/.data`, next to this folder. */
export const DEFAULT_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.data');

/**
 * The dataset for `opts`, written on first use (a minute or more per 100 bands × 10 files on 2 cores) and
 * reused afterwards: `metadata.yml` is written last and marks it complete; finished slices survive an
 * interrupted run.
 */
export async function ensurePaleocarDataset(opts: PaleocarOptions): Promise<PaleocarDataset> {
  const files = opts.files ?? 1;
  const gap = opts.gap ?? true;
  if (!Number.isInteger(opts.bands) || opts.bands < 1 || !Number.isInteger(files) || files < 1)
    throw new Error('bands and files must be positive integers');
  const lastYear = Math.min(LAST_YEAR, FIRST_YEAR + opts.bands * files - 1);
  const root = join(
    opts.dataDir ?? DEFAULT_DATA_DIR,
    `paleocar-${opts.layout}-${opts.bands}x${files}${gap ? '' : '-nogap'}`,
  );
  const datasetId = 'paleocar_v3';
  const variableId = 'ppt_annual';
  const registryPath = join(root, 'metadata.yml');
  const lookupPath = join(root, datasetId, 'lookup.json');
  const slices = Math.ceil((lastYear - FIRST_YEAR + 1) / opts.bands);
  const dataset: PaleocarDataset = {
    root,
    registryPath,
    lookupPath,
    datasetId,
    variableId,
    files: Array.from({ length: slices }, (_, i) =>
      join(root, datasetId, 'cogs', variableId, `${variableId}_${i + 1}.tif`),
    ),
    bandsPerFile: Array.from({ length: slices }, (_, i) =>
      Math.min(opts.bands, lastYear - (FIRST_YEAR + i * opts.bands) + 1),
    ),
    firstYear: yearKey(FIRST_YEAR),
    lastYear: yearKey(lastYear),
    width: PALEOCAR_WIDTH,
    height: PALEOCAR_HEIGHT,
    transform: PALEOCAR_TRANSFORM,
    crs: 'EPSG:4269',
    nodata: PALEOCAR_NODATA,
  };
  if (existsSync(registryPath) && existsSync(lookupPath)) return dataset;
  opts.log?.(`generating ${root} (${slices} × ${opts.bands} bands, ${opts.layout}-interleaved) …`);
  const entries = await writeAnnualCube({
    storageRoot: root,
    datasetId,
    variable: variableId,
    kind: 'ppt',
    width: PALEOCAR_WIDTH,
    height: PALEOCAR_HEIGHT,
    transform: PALEOCAR_TRANSFORM,
    firstYear: FIRST_YEAR,
    lastYear,
    gap: gap ? GAP : null,
    bandsPerFile: opts.bands,
    interleave: opts.layout,
    overviews: 'auto',
    grid: createFieldGrid('ppt', PALEOCAR_WIDTH, PALEOCAR_HEIGHT),
    skipExisting: true,
    ...(opts.log ? { log: opts.log } : {}),
  });
  await writeFileAtomic(lookupPath, lookupJson(new Map([[variableId, entries]])));
  const registry = [
    {
      id: datasetId,
      title: 'PaleoCAR-shaped benchmark dataset (synthetic)',
      description: `Synthetic annual precipitation on the PaleoCAR v3 grid, ${opts.layout}-interleaved ${opts.bands}-band COG slices.`,
      region: {
        name: 'Southwestern USA',
        center: [37, -108.5],
        zoom: 4,
        extents: [
          [43, -115],
          [31, -102],
        ],
      },
      timespan: {
        resolution: 'year',
        period: { timeZero: 1, gte: dataset.firstYear, lte: dataset.lastYear, suffix: 'CE' },
      },
      crs: dataset.crs,
      transform: [...PALEOCAR_TRANSFORM],
      variables: [
        { id: variableId, class: 'Precipitation', name: 'Annual precipitation', units: 'mm', colormap: 'skope-precip' },
      ],
    },
  ];
  await writeFileAtomic(join(root, 'colormaps.json'), JSON.stringify({ 'skope-precip': SKOPE_PRECIP_STOPS }));
  await writeFileAtomic(registryPath, stringify(registry));
  return dataset;
}

/** The lookup of a generated dataset, parsed (for suites that only need file/band lists). */
export async function readLookup(
  dataset: PaleocarDataset,
): Promise<Record<string, Record<string, { file: string; bidx: number }>>> {
  return JSON.parse(await readFile(dataset.lookupPath, 'utf8')) as Record<
    string,
    Record<string, { file: string; bidx: number }>
  >;
}

/**
 * A GeoJSON polygon (dataset CRS coordinates; lon/lat for the PaleoCAR grid) whose box is exactly the
 * `cells × cells` cells from cell (`col0`, `row0`) of the grid with `transform`: its edges lie on cell edges (up to
 * float noise, which the window rule ignores), so the window and the cells are both `cells × cells`.
 */
export function cellBox(transform: Affine, col0: number, row0: number, cells: number): Record<string, unknown> {
  const [a, , c, , e, f] = transform;
  const x0 = c + a * col0;
  const x1 = c + a * (col0 + cells);
  const y0 = f + e * row0;
  const y1 = f + e * (row0 + cells);
  return boxPolygon(x0, y0, x1, y1);
}
