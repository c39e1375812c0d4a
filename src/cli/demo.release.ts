/**
 * The demo dataset as a real release: `skope demo` writes the synthetic source datacubes (one GeoTIFF per
 * variable, 1898 bands whose descriptions are the years 0103–2000, nodata 65535 in the 0417–0589 gap), their
 * authoring inputs (`curated.yml`, `source-manifest.yml` with the sources' checksums) and builds release
 * `paleocar_demo-r-2026.11.27` with `skope release build`'s code, then records it in the dataset's ledger.
 *
 * Layout under the demo directory:
 *   datasets/paleocar_demo/{curated.yml, source-manifest.yml, releases.yml, sources/<variable>.tif}
 *   storage/releases/paleocar_demo-r-2026.11.27/   the release (release root: storage/releases)
 *
 * Each piece is a function of its own so the demo can grow (pins and display files are written elsewhere).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Affine } from '../geo/affine.js';
import { writeCog } from '../raster/writer/cog.writer.js';
import { buildReleases } from '../release/build/build.js';
import type { BuildOutcome } from '../release/build/build.js';
import { PRODUCER_VERSION } from '../release/build/producer.js';
import { formatFinding } from '../release/findings.js';
import { multihashOfHex, sha256File } from '../release/format/digest.js';
import { parseLedger } from '../release/format/documents.js';
import { verifyRelease } from '../release/format/verify.js';
import { createSourceResolver } from '../storage/resolver.js';
import { createFieldGrid, fillFieldRows } from './demo.fields.js';
import type { FieldKind } from './demo.fields.js';

export const DEMO_DATASET = 'paleocar_demo';
/** `release.created` of the demo declaration: dates its release id. */
export const DEMO_CREATED = '2026-11-27T00:00:00Z';
export const DEMO_RELEASE_ID = `${DEMO_DATASET}-r-2026.11.27`;
/** Recorded as the producer revision: the demo is built from whatever checkout runs it, not a reviewed commit. */
export const DEMO_REVISION = `skope-demo-${PRODUCER_VERSION}`;
export const DEMO_FIRST_YEAR = 103;
export const DEMO_LAST_YEAR = 2000;
export const DEMO_GAP: readonly [number, number] = [417, 589];
export const DEMO_NODATA = 65535;

/** One demo variable: id, field generator, curated text. */
export interface DemoVariable {
  id: string;
  kind: FieldKind;
  title: string;
  description: string;
  unit: string;
  category: string;
}

export const DEMO_VARIABLES: readonly DemoVariable[] = [
  {
    id: 'gdd_annual',
    kind: 'gdd',
    title: 'Annual growing degree days (synthetic)',
    description:
      'Synthetic annual growing degree days, 1000–5000 °F GDD, falling with latitude and elevation. No data 0417–0589.',
    unit: '°F GDD',
    category: 'Temperature',
  },
  {
    id: 'ppt_annual',
    kind: 'ppt',
    title: 'Annual precipitation (synthetic)',
    description:
      'Synthetic annual precipitation, 150–900 mm: wetter to the north-east, drier to the south-west. No data 0417–0589.',
    unit: 'mm',
    category: 'Precipitation',
  },
];

const yearKey = (year: number): string => String(year).padStart(4, '0');
const q = (s: string): string => JSON.stringify(s);

/** Where the demo's pieces live under its directory. */
export interface DemoReleasePaths {
  datasetsDir: string;
  datasetDir: string;
  releaseRoot: string;
  releaseDir: string;
}

export function demoReleasePaths(root: string): DemoReleasePaths {
  const datasetsDir = join(root, 'datasets');
  const releaseRoot = join(root, 'storage', 'releases');
  return {
    datasetsDir,
    datasetDir: join(datasetsDir, DEMO_DATASET),
    releaseRoot,
    releaseDir: join(releaseRoot, DEMO_RELEASE_ID),
  };
}

/** Write one variable's synthetic source cube (skipped when it exists: the writer renames a finished file in). */
export async function writeDemoSource(
  path: string,
  v: DemoVariable,
  grid: { width: number; height: number; transform: Affine },
  log?: (m: string) => void,
): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  const fields = createFieldGrid(v.kind, grid.width, grid.height);
  const bands = DEMO_LAST_YEAR - DEMO_FIRST_YEAR + 1;
  const t0 = Date.now();
  await writeCog(path, {
    width: grid.width,
    height: grid.height,
    bands,
    dtype: 'uint16',
    crs: 'EPSG:4269',
    transform: grid.transform,
    nodata: DEMO_NODATA,
    interleave: 'band',
    overviews: [],
    level: 1,
    bandDescriptions: Array.from({ length: bands }, (_, i) => yearKey(DEMO_FIRST_YEAR + i)),
    readRows: (band, row, height) => {
      const year = DEMO_FIRST_YEAR + band - 1;
      const out = new Uint16Array(grid.width * height);
      if (year >= DEMO_GAP[0] && year <= DEMO_GAP[1]) out.fill(DEMO_NODATA);
      else fillFieldRows(fields, year, row, height, out);
      return out;
    },
  });
  log?.(`source ${v.id}: ${bands} bands in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** `curated.yml` of the demo. */
export function demoCurated(): string {
  const variables = DEMO_VARIABLES.map(
    (v) =>
      `  - id: ${q(v.id)}\n    title: ${q(v.title)}\n    description: ${q(v.description)}\n    unit: ${q(v.unit)}\n    category: ${q(v.category)}\n`,
  ).join('');
  return `# The demo dataset's curated meaning (written by \`skope demo\`; synthetic data).
schema_version: "0.1.0"
id: ${q(DEMO_DATASET)}
version: "1"
profile: "TemporalCubeDataset"
title: "PaleoCAR demo (synthetic)"
description: ${q('A synthetic stand-in for PaleoCAR v3 written by `skope demo`: the PaleoCAR extent, CRS and calendar on an 8× coarser grid, with smooth, plausible fields. Not real data.')}
license: "CC0-1.0"
region_name: "Southwestern USA"
providers:
  - name: "skope-api demo generator"
    roles: ["producer", "processor", "host"]
lineage: "Smooth spatial patterns modulated by a few incommensurate periodic year-to-year modes plus low-amplitude noise."
uncertainty:
  summary: "None: the values are synthetic."
temporal:
  calendar: "proleptic_gregorian"
  precision: "year"
  origin: ${q(yearKey(DEMO_FIRST_YEAR))}
  end: ${q(yearKey(DEMO_LAST_YEAR))}
  step: "P1Y"
  endpoint_inclusion: "inclusive"
  timestep_meaning: "aggregation_period"
  description: "Each timestep is one calendar year CE."
empty_timesteps:
  - first: ${q(yearKey(DEMO_GAP[0]))}
    last: ${q(yearKey(DEMO_GAP[1]))}
    reason: "The synthetic generator imitates PaleoCAR v3's chronology gap."
variables:
${variables}`;
}

/**
 * `source-manifest.yml` of the demo, with the sources' checksums (a frozen declaration). ZSTD level 3 rather than
 * the PaleoCAR prototype's 9: the demo is built on every fresh checkout, and level 9 costs seconds for little.
 */
export function demoSourceManifest(checksums: ReadonlyMap<string, string>): string {
  const variables = DEMO_VARIABLES.map(
    (v) => `  - id: ${q(v.id)}
    source:
      uri: ${q(`sources/${v.id}.tif`)}
      checksum: ${q(checksums.get(v.id) ?? '')}
      bands: "descriptions"
    encoding:
      data_type: "uint16"
      nodata: ${DEMO_NODATA}
      scale: 1.0
      offset: 0.0
      predictor: 2
      overview_resampling: "AVERAGE"
`,
  ).join('');
  return `# Sources and encoding of the demo release (written by \`skope demo\`).
schema_version: "0.1.0"
dataset: ${q(DEMO_DATASET)}
release:
  created: ${q(DEMO_CREATED)}
  chunk_size: 100
  cog:
    blocksize: 256
    interleave: "BAND"
    compress: "ZSTD"
    level: 3
    bigtiff: "IF_SAFER"
variables:
${variables}`;
}

/** Append a release to the dataset's ledger `releases.yml` unless it is there. */
export async function recordInLedger(datasetDir: string, releaseId: string, digest: string): Promise<void> {
  const path = join(datasetDir, 'releases.yml');
  const entry = `  - release_id: ${q(releaseId)}\n    declaration_digest: ${q(digest)}\n`;
  if (!existsSync(path)) return writeFile(path, `releases:\n${entry}`);
  const text = await readFile(path, 'utf8');
  const ledger = parseLedger(text);
  if (ledger.releases.some((e) => e.release_id === releaseId)) return;
  const base = ledger.releases.length === 0 ? 'releases:\n' : text.endsWith('\n') ? text : `${text}\n`;
  await writeFile(path, `${base}${entry}`);
}

/**
 * Write the sources and inputs, then build the demo release (or keep it when it is already complete). Resolves
 * with the release directory. @throws Error listing the findings when the build fails
 */
export async function buildDemoRelease(
  root: string,
  grid: { width: number; height: number; transform: Affine },
  options: { log?: (m: string) => void } = {},
): Promise<{ releaseDir: string; releaseId: string; built: boolean }> {
  const paths = demoReleasePaths(root);
  const checksums = new Map<string, string>();
  for (const v of DEMO_VARIABLES) {
    const path = join(paths.datasetDir, 'sources', `${v.id}.tif`);
    await writeDemoSource(path, v, grid, options.log);
    checksums.set(v.id, multihashOfHex((await sha256File(path)).hex));
  }
  await writeFile(join(paths.datasetDir, 'curated.yml'), demoCurated());
  await writeFile(join(paths.datasetDir, 'source-manifest.yml'), demoSourceManifest(checksums));
  if (existsSync(paths.releaseDir) && (await verifyRelease(paths.releaseDir, { quick: true })).ok)
    return { releaseDir: paths.releaseDir, releaseId: DEMO_RELEASE_ID, built: false };

  const resolver = createSourceResolver();
  let outcome: BuildOutcome | undefined;
  try {
    [outcome] = await buildReleases({
      datasetsDir: paths.datasetsDir,
      releaseRoot: paths.releaseRoot,
      releases: new Map([[DEMO_DATASET, DEMO_RELEASE_ID]]),
      resolver,
      revision: DEMO_REVISION,
      jobs: 2,
      onProgress: (p) => {
        if (p.file !== undefined) options.log?.(`${p.file} (${p.timestepsDone}/${p.timestepsTotal} timesteps)`);
      },
    });
  } finally {
    await resolver.close();
  }
  if (!outcome?.ok || outcome.pins === null)
    throw new Error(`the demo release did not build:\n${(outcome?.findings ?? []).map(formatFinding).join('\n')}`);
  await recordInLedger(paths.datasetDir, DEMO_RELEASE_ID, outcome.pins.declaration_digest);
  return { releaseDir: paths.releaseDir, releaseId: DEMO_RELEASE_ID, built: true };
}
