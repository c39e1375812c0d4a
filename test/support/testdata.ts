/**
 * The test data tree of the HTTP and CLI tests: the upstream 5×5 fixture COGs, their lookup.json files, the registry
 * of the upstream pipeline tests and a custom colormap, in a temporary directory, and the env that points the service
 * at it. No test framework here, so scripts outside vitest can use it too.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FIXTURES = new URL('../fixtures/upstream-5x5/', import.meta.url).pathname;
export const ANNUAL_FILE = 'annual_5x5x5_dataset_float32_variable.tif';
export const MONTHLY_FILE = 'monthly_5x5x60_dataset_float32_variable.tif';

/** The upstream pipeline tests' registry (`TEST_REGISTRY`), plus display fields passed through to /metadata. */
export const REGISTRY_YAML = `# upstream pipeline test registry
- id: test-annual
  title: Test annual dataset
  ordering: 1
  crs: EPSG:4326
  transform: [1, 0, -123, 0, -1, 45]
  timespan:
    resolution: year
    period: { timeZero: 1, gte: '0001', lte: '0005', suffix: CE }
  variables:
    - id: ppt
      name: Annual precipitation
      units: mm
      min: 0
      max: 10
- id: test-monthly
  title: Test monthly dataset
  crs: EPSG:4326
  transform: [1, 0, -123, 0, -1, 45]
  timespan:
    resolution: month
    period: { gte: '0001-01', lte: '0005-12' }
  variables:
    - id: ppt
      colormap: skope-precip
`;

export const SKOPE_PRECIP = ['#B5834A', '#CDAA78', '#DEC499', '#EFE0CA', '#D8EEEA', '#9ECEC6', '#5CAFA8', '#358C87'];

/** Upstream's `SINGLE_CELL_POLYGON`: pixel column 1, row 1. */
export const SINGLE_CELL_POLYGON = {
  type: 'Polygon',
  coordinates: [
    [
      [-122, 43],
      [-121, 43],
      [-121, 44],
      [-122, 44],
      [-122, 43],
    ],
  ],
};

/** The upstream pipeline tests' extract payload template. */
export function extractPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset_id: 'test-annual',
    variable_id: 'ppt',
    selected_area: SINGLE_CELL_POLYGON,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: { gte: '0001', lte: '0005' },
    ...overrides,
  };
}

/** A temporary data tree: storage (COGs + lookups), registry, colormaps, job directory. */
export interface TestData {
  dir: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** Writes the storage tree and returns the env that points the service at it. */
export async function makeTestData(): Promise<TestData> {
  const dir = await mkdtemp(join(tmpdir(), 'skope-http-'));
  const storage = join(dir, 'data');
  await mkdir(join(storage, 'test-annual'), { recursive: true });
  await mkdir(join(storage, 'test-monthly'), { recursive: true });
  await copyFile(join(FIXTURES, ANNUAL_FILE), join(storage, ANNUAL_FILE));
  await copyFile(join(FIXTURES, MONTHLY_FILE), join(storage, MONTHLY_FILE));
  const annual: Record<string, { file: string; bidx: number }> = {};
  for (let b = 1; b <= 5; b++) annual[String(b).padStart(4, '0')] = { file: ANNUAL_FILE, bidx: b };
  const monthly: Record<string, { file: string; bidx: number }> = {};
  for (let b = 1; b <= 60; b++) {
    const key = `${String(Math.ceil(b / 12)).padStart(4, '0')}-${String(((b - 1) % 12) + 1).padStart(2, '0')}`;
    monthly[key] = { file: MONTHLY_FILE, bidx: b };
  }
  await writeFile(join(storage, 'test-annual', 'lookup.json'), JSON.stringify({ ppt: annual }));
  await writeFile(join(storage, 'test-monthly', 'lookup.json'), JSON.stringify({ ppt: monthly }));
  await writeFile(join(dir, 'metadata.yml'), REGISTRY_YAML);
  await writeFile(join(dir, 'colormaps.json'), JSON.stringify({ 'skope-precip': SKOPE_PRECIP }));
  return {
    dir,
    env: {
      REGISTRY_PATH: join(dir, 'metadata.yml'),
      STORAGE_BASE_URL: storage,
      COLORMAPS_PATH: join(dir, 'colormaps.json'),
      JOB_STORE: 'fs',
      JOB_DIR: join(dir, 'jobs'),
      DEFAULT_MAX_CELLS: '500000',
      LOG_LEVEL: 'silent',
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
