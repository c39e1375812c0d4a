/**
 * Storage faults with real processes: `skope serve` in its own process reads its COGs and lookups from a real
 * S3-protocol server (s3rver) through the test's fault-injecting proxy (`test/support/s3.ts`): 503s, connection
 * resets, truncated bodies and stalls longer than the per-attempt timeout (`STORAGE_TIMEOUT_MS` = 1 s here).
 * Transient faults are retried and the answer is the same as without them; an outage ends in a 503 tile naming the
 * data (never the bucket or URL) and a FAILED extraction record naming dataset, variable and timesteps; truncated
 * COGs (cut mid-block, cut mid-header) end the same way. The server stays up throughout and serves again once the
 * storage is back.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCog } from '../raster/writer/cog.writer.js';
import { dataForFile } from '../../test/support/http.js';
import { send, type RawResponse } from '../../test/support/http.raw.js';
import { startTestS3, type TestS3 } from '../../test/support/s3.js';
import { startServerProcess, type ServerProcess } from '../../test/support/server.process.js';
import { ANNUAL_FILE, MONTHLY_FILE, REGISTRY_YAML, extractPayload } from '../../test/support/testdata.js';

const files = dataForFile();
let s3: TestS3;
let server: ServerProcess;
const BUCKET = 'skope-faults';
const TILE = '/tiles/test-annual/ppt/0003/6/10/23.png';

/** A 5×5×5 float32 COG, uncompressed: header and IFD first, then one 16×16 block of 5 bands (5 120 bytes). */
async function writeSmallCog(path: string): Promise<Buffer> {
  await writeCog(path, {
    width: 5,
    height: 5,
    bands: 5,
    dtype: 'float32',
    crs: 'EPSG:4326',
    transform: [1, 0, -123, 0, -1, 45],
    blockSize: 16,
    compression: 'none',
    overviews: [],
    readRows: (band, row, height) => Float32Array.from({ length: 5 * height }, (_, i) => band * 100 + row * 5 + i),
  });
  return readFile(path);
}

const CUT_REGISTRY = `
- id: test-cut
  title: Truncated COGs
  crs: EPSG:4326
  transform: [1, 0, -123, 0, -1, 45]
  timespan:
    resolution: year
    period: { timeZero: 1, gte: '0001', lte: '0015', suffix: CE }
  variables:
    - id: ppt
`;

beforeAll(async () => {
  s3 = await startTestS3(BUCKET);
  const data = join(files.data.dir, 'data');
  for (const key of [ANNUAL_FILE, MONTHLY_FILE, 'test-annual/lookup.json', 'test-monthly/lookup.json'])
    await s3.put(key, await readFile(join(data, key)));
  // test-cut: 0001–0005 an intact COG, 0006–0010 the same cut in the middle of its block, 0011–0015 cut in its
  // header (the IFD).
  const whole = await writeSmallCog(join(files.data.dir, 'small.tif'));
  await s3.put('cut/whole.tif', whole);
  await s3.put('cut/block.tif', whole.subarray(0, whole.byteLength - 2_560));
  await s3.put('cut/header.tif', whole.subarray(0, 60));
  const lookup: Record<string, { file: string; bidx: number }> = {};
  for (let i = 1; i <= 15; i++) {
    const file = i <= 5 ? 'cut/whole.tif' : i <= 10 ? 'cut/block.tif' : 'cut/header.tif';
    lookup[String(i).padStart(4, '0')] = { file, bidx: ((i - 1) % 5) + 1 };
  }
  await s3.put('test-cut/lookup.json', Buffer.from(JSON.stringify({ ppt: lookup })));
  const registry = join(files.data.dir, 'metadata-s3.yml');
  await writeFile(registry, REGISTRY_YAML + CUT_REGISTRY);

  server = await startServerProcess(
    {
      ...files.data.env,
      REGISTRY_PATH: registry,
      STORAGE_BASE_URL: `s3://${BUCKET}`,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      STORAGE_TIMEOUT_MS: '1000',
      STORAGE_RETRIES: '3',
      // Every read goes to storage: no byte or block cache, lookups re-checked and COG headers re-read each second.
      SOURCE_CACHE_BYTES: '0',
      BLOCK_CACHE_BYTES: '0',
      LOOKUP_CHECK_INTERVAL_MS: '0',
      WORKER_POOL_SIZE: '1',
      MAX_CONCURRENT_JOBS: '4',
    },
    { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true' },
  );
}, 90_000);

afterAll(async () => {
  if (s3) s3.always = null;
  await server?.stop();
  await s3?.close();
});

const get = (path: string): Promise<RawResponse> => send(server.url, { method: 'GET', path }, undefined, 30_000);

async function extract(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await send(server.url, {
    method: 'POST',
    path: '/timeseries/extract',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  expect(res.status, res.body).toBe(202);
  const { job_id } = JSON.parse(res.body) as { job_id: string };
  for (let i = 0; i < 600; i++) {
    const rec = JSON.parse((await get(`/timeseries/status/${job_id}`)).body) as Record<string, unknown>;
    if (rec['status'] === 'SUCCESS' || rec['status'] === 'FAILED') return rec;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${job_id} did not finish`);
}

/** The first value of the raw series of a SUCCESS record. */
const firstValue = (rec: Record<string, unknown>): unknown =>
  (rec['result'] as { series: { values: unknown[] }[] } | undefined)?.series[0]?.values[0];

/** No bucket, endpoint, key or path in a client-facing text. */
function expectNoInfrastructure(text: string): void {
  for (const secret of [BUCKET, s3.endpoint, '127.0.0.1', 's3://', '.tif', files.data.dir])
    expect(text).not.toContain(secret);
}

async function expectHealthy(): Promise<void> {
  expect(server.child.exitCode).toBeNull();
  expect(JSON.parse((await get('/healthz')).body)).toEqual({ status: 'ok' });
}

describe('storage on a real S3-protocol server behind a fault-injecting proxy', () => {
  let baseline: unknown;

  it('without faults: a tile and an extraction (the reference answers)', async () => {
    expect((await get(TILE)).status).toBe(200);
    const rec = await extract(extractPayload());
    expect(rec['status']).toBe('SUCCESS');
    baseline = firstValue(rec);
    expect(baseline).toBeCloseTo(111.1, 4);
  });

  it('503s, resets and truncated bodies are retried: same answers, more requests', async () => {
    let before = s3.requests.length;
    s3.faults.push('503', 'reset');
    const tile = await get(TILE);
    expect(tile.status, tile.body).toBe(200);
    const tileRequests = s3.requests.length - before;
    before = s3.requests.length;
    s3.faults.push('reset', 'truncate', '503');
    const rec = await extract(extractPayload());
    expect(rec['status'], JSON.stringify(rec)).toBe('SUCCESS');
    expect(firstValue(rec)).toBe(baseline);
    console.log(
      `storage faults: tile after 503+reset took ${tileRequests} storage requests; extraction after reset+truncate+503 took ${s3.requests.length - before}`,
    );
    expect(s3.faults).toEqual([]);
  });

  it('a stall longer than the request timeout is cut off and retried', async () => {
    s3.faults.push('stall');
    const t0 = Date.now();
    const tile = await get(TILE);
    const ms = Date.now() - t0;
    expect(tile.status, tile.body).toBe(200);
    // One attempt waited out its 1 s timeout, the retry answered.
    expect(ms).toBeGreaterThanOrEqual(1_000);
    console.log(`storage faults: tile after a stalled storage read answered 200 in ${ms} ms (timeout 1000 ms)`);
  });

  it('an outage (every request 503): tile 503 naming the data, extraction FAILED naming dataset/variable/timestep; server up', async () => {
    s3.always = '503';
    try {
      const tile = await get('/tiles/test-annual/ppt/0004/6/10/23.png');
      expect(tile.status, tile.body).toBe(503);
      // The lookup (re-checked on every use here) or the COG: whichever read fails first names the class.
      const body = JSON.parse(tile.body) as { detail: string; code: string };
      expect(body.detail).toBe(
        "The data storage is temporarily unavailable for dataset 'test-annual', variable 'ppt', timestep '0004'. Retry later.",
      );
      expect(['lookup_unavailable', 'source_unavailable']).toContain(body.code);
      expectNoInfrastructure(tile.body);
      await expectHealthy();
    } finally {
      s3.always = null;
    }
    // An extraction accepted before the outage, whose reads fail during it.
    const res = await send(server.url, {
      method: 'POST',
      path: '/timeseries/extract',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(extractPayload()),
    });
    expect(res.status, res.body).toBe(202);
    s3.always = '503';
    try {
      const { job_id } = JSON.parse(res.body) as { job_id: string };
      let rec: Record<string, unknown> = {};
      for (let i = 0; i < 600 && rec['status'] !== 'FAILED' && rec['status'] !== 'SUCCESS'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        rec = JSON.parse((await get(`/timeseries/status/${job_id}`)).body) as Record<string, unknown>;
      }
      // The job may have read everything before the outage began; if not, it failed with a clear sentence.
      if (rec['status'] === 'FAILED') {
        expect(rec['error']).toMatch(
          /^Reading the data of dataset 'test-annual', variable 'ppt'(, timesteps? '0001'( to '0005')?)? failed: the data storage is unavailable, retry later\.$/,
        );
        expectNoInfrastructure(JSON.stringify(rec));
      }
      console.log(
        `storage faults: extraction during an outage ended ${String(rec['status'])}: ${String(rec['error'])}`,
      );
      await expectHealthy();
    } finally {
      s3.always = null;
    }
    // Back: full service without a restart.
    expect((await get(TILE)).status).toBe(200);
  });

  it('storage that stalls on every request: 503 after the retries, within their time budget', async () => {
    s3.always = 'stall';
    const t0 = Date.now();
    try {
      const tile = await get('/tiles/test-annual/ppt/0002/6/10/23.png');
      expect(tile.status, tile.body).toBe(503);
      expect(['lookup_unavailable', 'source_unavailable']).toContain((JSON.parse(tile.body) as { code: string }).code);
      expectNoInfrastructure(tile.body);
    } finally {
      s3.always = null;
    }
    const ms = Date.now() - t0;
    // 4 attempts of 1 s plus three backoffs of at most 0.4 s (and the lookup, read before the COG, may stall too).
    expect(ms).toBeLessThan(15_000);
    console.log(`storage faults: storage stalled on every request → tile 503 after ${ms} ms`);
    await expectHealthy();
    expect((await get(TILE)).status).toBe(200);
  });

  it('a COG cut mid-block: the extraction ends FAILED naming dataset, variable and timesteps; server up', async () => {
    const rec = await extract({
      ...extractPayload({ dataset_id: 'test-cut' }),
      time_range: { gte: '0001', lte: '0010' },
    });
    expect(rec['status'], JSON.stringify(rec)).toBe('FAILED');
    expect(rec['error']).toBe(
      "Reading the data of dataset 'test-cut', variable 'ppt', timesteps '0006' to '0010' failed: the file is damaged or truncated.",
    );
    expectNoInfrastructure(JSON.stringify(rec));
    await expectHealthy();
  });

  it('a COG cut mid-header: FAILED when it is not the first file; refused at submission when it is', async () => {
    const rec = await extract({
      ...extractPayload({ dataset_id: 'test-cut' }),
      time_range: { gte: '0001', lte: '0015' },
    });
    expect(rec['status'], JSON.stringify(rec)).toBe('FAILED');
    expect(rec['error']).toMatch(
      /^Reading the data of dataset 'test-cut', variable 'ppt', timesteps '(0006' to '0010|0011' to '0015)' failed: the file is damaged or truncated\.$/,
    );
    expectNoInfrastructure(JSON.stringify(rec));

    // The pre-flight opens the first file of the range: a damaged one is refused before a job exists.
    const res = await send(server.url, {
      method: 'POST',
      path: '/timeseries/extract',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...extractPayload({ dataset_id: 'test-cut' }), time_range: { gte: '0011', lte: '0015' } }),
    });
    expect(res.status, res.body).toBe(500);
    const body = JSON.parse(res.body) as { detail: string; code: string };
    expect(body.code).toBe('raster_invalid');
    expect(body.detail).toMatch(
      /^Reading the data of dataset 'test-cut', variable 'ppt', timestep '0011' failed: the file is damaged or truncated\. Request id: [0-9a-f-]{36}\.$/,
    );
    expectNoInfrastructure(res.body);

    // Tiles of the cut files: an error answer, the server up.
    for (const t of ['0008', '0012']) {
      const tile = await get(`/tiles/test-cut/ppt/${t}/6/10/23.png`);
      expect(tile.status, tile.body).toBeGreaterThanOrEqual(500);
      expectNoInfrastructure(tile.body);
    }
    await expectHealthy();
    expect((await get(TILE)).status).toBe(200);
  });
});
