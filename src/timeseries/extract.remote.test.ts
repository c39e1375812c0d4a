/**
 * An extraction with its data on S3 (a real S3-protocol server, s3rver, behind a proxy that records every request):
 * the pooled service (main thread + 2 worker threads) reads no byte range twice within one extraction — each COG
 * header once, on the main thread, sent to the workers with the tasks — opens no COG with a HEAD request, and gets
 * the same series as the same extraction over the same files on local disk.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAnnualCube } from '../cli/demo.js';
import { loadConfig } from '../config/config.js';
import { openData } from '../deps.js';
import { loadGeometryEngine, type GeometryEngine } from '../geo/geos.js';
import { startTestS3, type TestS3 } from '../../test/support/s3.js';
import { useTempDir } from '../../test/support/temp.dir.js';
import type { Affine } from '../geo/affine.js';
import { createExtraction } from './extraction.js';
import type { ExtractRequest } from './types.js';

/** 600 × 520 cells of 0.01°: 3 × 3 blocks of 256², 3 band-interleaved files of 8 years. */
const TRANSFORM: Affine = [0.01, 0, -110, 0, -0.01, 40];
const REGISTRY = `- id: remote
  title: Remote test dataset
  crs: EPSG:4269
  transform: [0.01, 0, -110, 0, -0.01, 40]
  timespan:
    resolution: year
    period: { timeZero: 1, gte: '0001', lte: '0024', suffix: CE }
  variables:
    - id: ppt
      name: Annual precipitation
      units: mm
`;

/** Cells (200…459, 150…409) of the grid: 2 × 2 blocks of every band, a gap between block rows. */
const AREA = {
  type: 'Polygon',
  coordinates: [
    [
      [-108, 38.5],
      [-105.4, 38.5],
      [-105.4, 35.9],
      [-108, 35.9],
      [-108, 38.5],
    ],
  ],
};

function request(): ExtractRequest {
  return {
    dataset_id: 'remote',
    variable_id: 'ppt',
    selected_area: AREA,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: null,
  };
}

let s3: TestS3;
const tempDir = useTempDir('remote-extract-');
const dir = {
  get path(): string {
    return tempDir();
  },
};
let geometry: GeometryEngine;
const files: string[] = [];

beforeAll(async () => {
  geometry = await loadGeometryEngine();
  const entries = await writeAnnualCube({
    storageRoot: dir.path,
    datasetId: 'remote',
    variable: 'ppt',
    kind: 'ppt',
    width: 600,
    height: 520,
    transform: TRANSFORM,
    firstYear: 1,
    lastYear: 24,
    gap: [5, 6],
    bandsPerFile: 8,
    interleave: 'band',
    overviews: [],
  });
  const lookup = { ppt: Object.fromEntries([...entries].map(([k, e]) => [k, { file: e.file, bidx: e.bidx }])) };
  await writeFile(join(dir.path, 'remote', 'lookup.json'), JSON.stringify(lookup));
  await writeFile(join(dir.path, 'metadata.yml'), REGISTRY);
  await writeFile(join(dir.path, 'colormaps.json'), '{}');
  s3 = await startTestS3('remote-bucket');
  await s3.put('remote/lookup.json', await readFile(join(dir.path, 'remote', 'lookup.json')));
  for (const e of new Set([...entries.values()].map((x) => x.file))) {
    files.push(e);
    await s3.put(e, await readFile(join(dir.path, e)));
  }
}, 60_000);

afterAll(async () => {
  await s3?.close();
});

/** Runs the request with the pooled service over `storage`; the series. */
async function extract(storage: string, extra: Record<string, string> = {}) {
  const config = loadConfig({
    REGISTRY_PATH: join(dir.path, 'metadata.yml'),
    COLORMAPS_PATH: join(dir.path, 'colormaps.json'),
    STORAGE_BASE_URL: storage,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    WORKER_POOL_SIZE: '2',
    JOB_STORE: 'memory',
    ...extra,
  });
  const { cogs, datasets } = await openData(config);
  const { service, close } = createExtraction(config, datasets, cogs, geometry);
  try {
    await datasets.lookups.get('remote');
    s3.requests.length = 0;
    return await service.run(request(), { signal: new AbortController().signal });
  } finally {
    await close();
    await cogs.close();
  }
}

/** `[start, end)` of a `bytes=a-b` range header. */
function parseRange(range: string): [number, number] {
  const m = /^bytes=(\d+)-(\d+)$/.exec(range);
  if (!m) throw new Error(`unexpected range ${range}`);
  return [Number(m[1]), Number(m[2]) + 1];
}

describe('an extraction from S3', () => {
  it('reads no byte range twice, sends no HEAD, and equals the local-disk extraction', async () => {
    // The S3 client signs with these (s3rver checks the signature); worker threads inherit the environment.
    process.env['AWS_ACCESS_KEY_ID'] ??= 'S3RVER';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'S3RVER';
    const remote = await extract('s3://remote-bucket', { STORAGE_MERGE_GAP_BYTES: '0' });
    const requests = [...s3.requests];
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
    const byKey = new Map<string, [number, number][]>();
    for (const r of requests) {
      expect(r.range, r.path).toBeDefined();
      const list = byKey.get(r.path) ?? [];
      list.push(parseRange(r.range as string));
      byKey.set(r.path, list);
    }
    expect([...byKey.keys()].sort()).toEqual(files.map((f) => `/remote-bucket/${f}`).sort());
    for (const [path, ranges] of byKey) {
      ranges.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ranges.length; i++) {
        expect(ranges[i]![0], `${path}: ${JSON.stringify(ranges)}`).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
      }
      // The header, once: the one range that starts at 0.
      expect(ranges.filter((r) => r[0] === 0)).toHaveLength(1);
    }
    const local = await extract(dir.path);
    expect(remote.base_series).toEqual(local.base_series);
    expect(remote.result.n_cells).toBe(260 * 260);
    // Years 5 and 6 are nodata: missing, the others present.
    expect(remote.base_series.mean.filter((v) => v === null)).toHaveLength(2);
  }, 60_000);

  it('equals the local-disk extraction with the default read-through gap (bodies from the threads’ body pools)', async () => {
    process.env['AWS_ACCESS_KEY_ID'] ??= 'S3RVER';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'S3RVER';
    // 256 KiB gaps merge each file's blocks into reads of 340–410 KB: pooled bodies, handed back as blocks inflate.
    const remote = await extract('s3://remote-bucket');
    const sizes = s3.requests.map((r) => {
      const [a, b] = parseRange(r.range as string);
      return b - a;
    });
    expect(Math.max(...sizes)).toBeGreaterThan(256 * 1024);
    const local = await extract(dir.path);
    expect(remote.base_series).toEqual(local.base_series);
  }, 60_000);
});
