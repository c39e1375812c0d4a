/**
 * `skope demo`: a small, realistic demo dataset — `paleocar_demo`, the PaleoCAR extent and CRS (EPSG:4269) on an
 * 8× coarser grid (195 × 180 cells of 1/15°), two synthetic variables (annual precipitation and growing degree
 * days), annual 0103–2000 with the 0417–0589 chronology gap as nodata — built as a real dataset release
 * (demo.release.ts), plus the legacy `lookup.json`, `metadata.yml` and `colormaps.json` that serve it.
 *
 * Layout under `dir`:
 *   metadata.yml, colormaps.json, storage/paleocar_demo/lookup.json (files under storage/releases/…),
 *   datasets/paleocar_demo/ (authoring inputs, ledger, sources), storage/releases/paleocar_demo-r-2026.11.27/
 *
 * `writeAnnualCube` (COG slices straight from the field generator) is kept for the benchmarks and tests.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Affine } from '../geo/affine.js';
import { writeCog } from '../raster/writer/cog.writer.js';
import type { LookupEntry } from '../registry/types.js';
import { parseOverview } from '../release/format/documents.js';
import { ChunkLayout } from '../release/format/timeaxis.js';
import { overviewAxis } from '../release/format/verify.js';
import { buildDemoRelease, DEMO_DATASET, DEMO_RELEASE_ID, demoReleasePaths } from './demo.release.js';
import { createFieldGrid, fillFieldRows } from './demo.fields.js';
import { writeDemoServing } from './demo.serve.js';
import type { FieldGrid, FieldKind } from './demo.fields.js';

/** The PaleoCAR v3 grid: 1560 × 1440 cells of 30″, EPSG:4269 (NAD83), degrees. */
export const PALEOCAR_TRANSFORM: Affine = [
  0.008333333332949996, 0, -114.995833333457, 0, -0.008333333333010806, 42.9958333336016,
];
export const PALEOCAR_WIDTH = 1560;
export const PALEOCAR_HEIGHT = 1440;
/** uint16 nodata of the legacy PaleoCAR COG slices. */
export const PALEOCAR_NODATA = 65535;
/** `skope-precip` stops of the upstream `colormaps.json`. */
export const SKOPE_PRECIP_STOPS = [
  '#B5834A',
  '#CDAA78',
  '#DEC499',
  '#EFE0CA',
  '#D8EEEA',
  '#9ECEC6',
  '#5CAFA8',
  '#358C87',
];

/** One variable cube to write as annual COG slices. */
export interface AnnualCubeSpec {
  /** Storage root; files go to `<datasetId>/cogs/<variable>/<variable>_<n>.tif` under it (n from 1). */
  storageRoot: string;
  datasetId: string;
  variable: string;
  kind: FieldKind;
  width: number;
  height: number;
  /** Geotransform of the grid, EPSG:4269 degrees. */
  transform: Affine;
  /** First and last year, inclusive (e.g. 103 and 2000). */
  firstYear: number;
  lastYear: number;
  /** Years (inclusive) whose bands are all nodata, or null. */
  gap: readonly [number, number] | null;
  bandsPerFile: number;
  interleave: 'pixel' | 'band';
  overviews: 'auto' | readonly number[];
  /** zlib level (default 1: 4× faster to write than 6 for ~10 % more bytes; these are generated data). */
  deflateLevel?: number;
  /** Reuse precomputed patterns (they depend only on kind and grid size). */
  grid?: FieldGrid;
  /** Skip slices that already exist (their contents are deterministic). */
  skipExisting?: boolean;
  log?: (message: string) => void;
}

/** Four-digit year key (`0103`), as PaleoCAR lookup keys are written. */
export const yearKey = (year: number): string => String(year).padStart(4, '0');

/**
 * Write one variable's uint16 DEFLATE COG slices (nodata 65535) and return its lookup entries (year key →
 * file relative to the storage root and 1-based band), chronological.
 */
export async function writeAnnualCube(spec: AnnualCubeSpec): Promise<Map<string, LookupEntry>> {
  const grid = spec.grid ?? createFieldGrid(spec.kind, spec.width, spec.height);
  const entries = new Map<string, LookupEntry>();
  const years = spec.lastYear - spec.firstYear + 1;
  const files = Math.ceil(years / spec.bandsPerFile);
  for (let n = 1; n <= files; n++) {
    const first = spec.firstYear + (n - 1) * spec.bandsPerFile;
    const bands = Math.min(spec.bandsPerFile, spec.lastYear - first + 1);
    const file = `${spec.datasetId}/cogs/${spec.variable}/${spec.variable}_${n}.tif`;
    const path = join(spec.storageRoot, file);
    for (let b = 1; b <= bands; b++) entries.set(yearKey(first + b - 1), { file, bidx: b });
    if (spec.skipExisting === true && existsSync(path)) continue;
    await mkdir(dirname(path), { recursive: true });
    const t0 = Date.now();
    await writeCog(path, {
      width: spec.width,
      height: spec.height,
      bands,
      dtype: 'uint16',
      crs: 'EPSG:4269',
      transform: spec.transform,
      nodata: PALEOCAR_NODATA,
      interleave: spec.interleave,
      overviews: spec.overviews,
      deflateLevel: spec.deflateLevel ?? 1,
      readRows: (band, row, height) => {
        const year = first + band - 1;
        const out = new Uint16Array(spec.width * height);
        if (spec.gap && year >= spec.gap[0] && year <= spec.gap[1]) out.fill(PALEOCAR_NODATA);
        else fillFieldRows(grid, year, row, height, out);
        return out;
      },
    });
    spec.log?.(
      `${file}: ${bands} bands (${yearKey(first)}–${yearKey(first + bands - 1)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  return entries;
}

/**
 * `lookup.json` text (timestep → file and band) for variables in the given order. Written by hand because a JS object would put
 * integer-like keys ("1000"…"2000") before "0103": key order is part of the format (chronological).
 */
export function lookupJson(variables: ReadonlyMap<string, ReadonlyMap<string, LookupEntry>>): string {
  const vars = [...variables].map(([v, entries]) => {
    const items = [...entries].map(
      ([k, e]) => `${JSON.stringify(k)}:${JSON.stringify({ file: e.file, bidx: e.bidx })}`,
    );
    return `${JSON.stringify(v)}:{${items.join(',')}}`;
  });
  return `{${vars.join(',')}}`;
}

/** Write `text` to `path` via a temp file and rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** What `writeDemoDataset` wrote (absolute paths). */
export interface DemoDataset {
  /** The registry (`metadata.yml`). */
  registryPath: string;
  /** Custom colormaps (`colormaps.json`, holds `skope-precip`). */
  colormapsPath: string;
  /** Storage root: lookup files are relative to it (`<storageDir>/paleocar_demo/lookup.json`). */
  storageDir: string;
  datasetId: string;
  /** The demo release (absolute path) and its id. */
  releaseDir: string;
  releaseId: string;
  /**
   * Settings that serve the demo as a pinned release (`serve.yml`: the pin `pin.yml` and the display files under
   * `display/`); `npm start` runs `skope serve --settings-path <this>`.
   */
  servePath: string;
}

const DEMO_ID = DEMO_DATASET;
const FACTOR = 8;

/** The registry entry (`metadata.yml` fields) of the demo dataset. */
function demoRegistry(transform: Affine): unknown[] {
  return [
    {
      id: DEMO_ID,
      title: 'PaleoCAR demo (synthetic)',
      ordering: 1,
      type: 'dataset',
      status: 'Published',
      revised: '2026-11-27',
      description:
        'A synthetic stand-in for PaleoCAR v3 written by `skope demo`: the PaleoCAR extent, CRS and calendar on an 8× coarser grid, with smooth, plausible fields. Not real data.',
      uncertainty: 'None: the values are synthetic.',
      methodSummary:
        'Smooth spatial patterns modulated by a few incommensurate periodic year-to-year modes plus low-amplitude noise.',
      references:
        'Bocinsky, R. K., and Kohler, T. A. (2014). A 2,000-year reconstruction of the rain-fed maize agricultural niche in the US Southwest. Nature Communications 5:5618 (the real dataset this imitates).',
      originator: 'skope-api demo generator',
      contactInformation: '',
      sourceUrl: '',
      region: {
        name: 'Southwestern USA',
        resolution: '≈ 6.7 km (demo)',
        center: [37, -108.5],
        zoom: 4,
        extents: [
          [43, -115],
          [31, -102],
        ],
        style: { color: 'black', weight: 1 },
      },
      timespan: {
        resolution: 'year',
        resolutionLabel: 'annual',
        period: { timeZero: 1, gte: '0103', lte: '2000', suffix: 'CE' },
      },
      crs: 'EPSG:4269',
      transform: [...transform],
      variables: [
        {
          id: 'ppt_annual',
          class: 'Precipitation',
          name: 'Annual precipitation (synthetic)',
          units: 'mm',
          colormap: 'skope-precip',
          min: 0,
          max: 1000,
          visible: true,
          description:
            'Synthetic annual precipitation, 150–900 mm: wetter to the north-east, drier to the south-west. No data 0417–0589.',
        },
        {
          id: 'gdd_annual',
          class: 'Temperature',
          name: 'Annual growing degree days (synthetic)',
          units: '°F GDD',
          colormap: 'viridis',
          min: 1000,
          max: 5000,
          visible: true,
          description:
            'Synthetic annual growing degree days, 1000–5000 °F GDD, falling with latitude and elevation. No data 0417–0589.',
        },
      ],
    },
  ];
}

/**
 * Lookup entries (legacy `lookup.json`: year key → file relative to the storage root, 1-based band) of every
 * variable of a release, from its overview's time axis and the time-to-band rule.
 */
export async function lookupFromRelease(
  releaseDir: string,
  storageRelative: string,
  variables: readonly string[],
): Promise<Map<string, Map<string, LookupEntry>>> {
  const overview = parseOverview(await readFile(join(releaseDir, 'overview.yml'), 'utf8'));
  const axis = overviewAxis(overview);
  const time = overview.dataset.time;
  if (axis === null || time === null) throw new Error('the demo release is not temporal');
  const layout = new ChunkLayout(overview.dataset.id, axis, time.chunk_size);
  const out = new Map<string, Map<string, LookupEntry>>();
  for (const variable of variables) {
    const entries = new Map<string, LookupEntry>();
    for (const key of axis.keys()) {
      const { path, band } = layout.resolve(variable, key);
      entries.set(key, { file: `${storageRelative}/${path}`, bidx: band });
    }
    out.set(variable, entries);
  }
  return out;
}

/**
 * Write the demo dataset into `dir` (created if needed): the synthetic sources, built into the release
 * `paleocar_demo-r-2026.11.27` under `storage/releases/` (see demo.release.ts), plus the legacy registry files
 * that serve it unchanged — `metadata.yml`, `colormaps.json` and `storage/paleocar_demo/lookup.json` naming the
 * release's COGs. Idempotent: when `dir/metadata.yml` exists (it is written last) nothing is done unless `force`
 * (which rebuilds the release); interrupted runs resume, reusing finished sources and a complete release.
 */
export async function writeDemoDataset(
  dir: string,
  options: { force?: boolean; log?: (message: string) => void } = {},
): Promise<DemoDataset> {
  const root = resolve(dir);
  const result: DemoDataset = {
    registryPath: join(root, 'metadata.yml'),
    colormapsPath: join(root, 'colormaps.json'),
    storageDir: join(root, 'storage'),
    datasetId: DEMO_ID,
    releaseDir: demoReleasePaths(root).releaseDir,
    releaseId: DEMO_RELEASE_ID,
    servePath: join(root, 'serve.yml'),
  };
  // Complete once both the legacy registry and the serving settings exist (a demo dir of an older version lacks the
  // latter: the complete release is then reused and the missing files written).
  if (options.force !== true && existsSync(result.registryPath) && existsSync(result.servePath)) return result;
  if (options.force === true) await rm(result.releaseDir, { recursive: true, force: true });
  const [a, b, c, d, e, f] = PALEOCAR_TRANSFORM;
  const transform: Affine = [a * FACTOR, b, c, d, e * FACTOR, f];
  const width = Math.ceil(PALEOCAR_WIDTH / FACTOR);
  const height = Math.ceil(PALEOCAR_HEIGHT / FACTOR);
  await buildDemoRelease(root, { width, height, transform }, options.log ? { log: options.log } : {});
  const lookup = await lookupFromRelease(result.releaseDir, `releases/${DEMO_RELEASE_ID}`, [
    'ppt_annual',
    'gdd_annual',
  ]);
  await writeFileAtomic(join(result.storageDir, DEMO_ID, 'lookup.json'), lookupJson(lookup));
  await writeFileAtomic(result.colormapsPath, `${JSON.stringify({ 'skope-precip': SKOPE_PRECIP_STOPS }, null, 2)}\n`);
  // The pin of the release just built and its display files: what npm start serves.
  await writeDemoServing(root, result.releaseDir, SKOPE_PRECIP_STOPS);
  await writeFileAtomic(
    result.registryPath,
    `# Written by \`skope demo\`: synthetic data on the PaleoCAR grid (8× coarser), served from release ${DEMO_RELEASE_ID}.\n${stringify(demoRegistry(transform))}`,
  );
  return result;
}
