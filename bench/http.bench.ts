/**
 * HTTP service benchmark (issue 4): the real app (createDeps → buildServer, worker pool, memory job store) on
 * loopback over the demo dataset (`skope demo`, written once into bench/.data/demo):
 * - `/metadata` and `/timeseries/status/{id}` throughput with autocannon (in-process load, 10 connections);
 *   reported as seconds per request (1 / throughput) with req/s and latency in the note;
 * - end-to-end time of one extraction, POST /timeseries/extract → status SUCCESS (polling every 5 ms), against
 *   `bench/reference/timeseries_reference.py` doing the same extraction work (rasterio + numpy, U's algorithm) in
 *   the same run — a lower bound of upstream's end-to-end time (no HTTP, no job store).
 * No upstream FastAPI server runs on this machine, so the request-rate rows have no reference.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { buildServer } from '../src/app.js';
import { writeDemoDataset } from '../src/cli/demo.js';
import { loadConfig } from '../src/config/config.js';
import { createDeps } from '../src/deps.js';
import { boxPolygon } from '../src/geo/box.js';
import { median, runReference } from './harness.js';
import type { BenchContext, BenchSuite } from './harness.js';

const REFERENCE = fileURLToPath(new URL('./reference/timeseries_reference.py', import.meta.url));

interface RefResult {
  results: { n_cells: number; mean: (number | null)[]; seconds: number }[];
}

/** Requests per second and latency of `path` under 10 connections for `seconds`. */
async function load(url: string, seconds: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: 10, duration: seconds, pipelining: 1 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function waitSuccess(base: string, id: string): Promise<Record<string, unknown>> {
  for (;;) {
    const body = (await (await fetch(`${base}/timeseries/status/${id}`)).json()) as Record<string, unknown>;
    if (body['status'] === 'SUCCESS') return body;
    if (body['status'] === 'FAILED') throw new Error(`extraction failed: ${String(body['error'])}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function runSuite(ctx: BenchContext): Promise<void> {
  const dir = join(ctx.dataDir, 'demo');
  if (!existsSync(join(dir, 'metadata.yml'))) ctx.log('writing the demo dataset (once, ~1 min) …');
  const demo = await writeDemoDataset(dir, { log: () => undefined });
  const config = loadConfig({
    REGISTRY_PATH: demo.registryPath,
    COLORMAPS_PATH: demo.colormapsPath,
    STORAGE_BASE_URL: demo.storageDir,
    JOB_STORE: 'memory',
    LOG_LEVEL: 'silent',
    MAX_CONCURRENT_JOBS: '1',
    MAX_PROCESSING_TIME: '600000',
    PORT: '0',
  });
  const deps = await createDeps(config);
  const app = await buildServer(deps, { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    // A ~1° box in the middle of the demo grid (PaleoCAR extent on an 8× coarser grid: ~15 × 15 cells).
    const polygon = boxPolygon(-110, 37, -109, 38);
    const body = JSON.stringify({
      dataset_id: demo.datasetId,
      variable_id: 'ppt_annual',
      selected_area: polygon,
      zonal_statistic: 'mean',
      transform: { type: 'NoTransform' },
      requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
      time_range: null,
    });
    const extractOnce = async (): Promise<{ seconds: number; id: string; status: Record<string, unknown> }> => {
      const t0 = performance.now();
      const res = await fetch(`${base}/timeseries/extract`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 202) throw new Error(`extract answered ${res.status}: ${await res.text()}`);
      const { job_id } = (await res.json()) as { job_id: string };
      const status = await waitSuccess(base, job_id);
      return { seconds: (performance.now() - t0) / 1000, id: job_id, status };
    };
    // Warm-up (worker start, COG headers), then timed runs: caches stay warm as in a running service.
    const first = await extractOnce();
    const runs: number[] = [];
    for (let i = 0; i < ctx.reps; i++) runs.push((await extractOnce()).seconds);
    const result = first.status['result'] as { n_cells: number; series: { values: (number | null)[] }[] };
    const steps = result.series[0]?.values.length ?? 0;

    let refSeconds: number | null = null;
    let agreement = 'no reference';
    if (ctx.python) {
      const lookup = JSON.parse(await readFile(join(demo.storageDir, demo.datasetId, 'lookup.json'), 'utf8')) as Record<
        string,
        Record<string, { file: string; bidx: number }>
      >;
      const files: { path: string; bands: number[] }[] = [];
      // JSON.parse puts integer-like keys (1000…2000) first: restore chronological order (4-digit keys sort as text).
      const entries = Object.entries(lookup['ppt_annual'] ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
      for (const [, e] of entries) {
        const path = join(demo.storageDir, e.file);
        const f = files.find((x) => x.path === path);
        if (f) f.bands.push(e.bidx);
        else files.push({ path, bands: [e.bidx] });
      }
      const meta = deps.registry.get(demo.datasetId);
      const reqPath = join(ctx.dataDir, 'http-extract-reference.json');
      const cases = Array.from({ length: ctx.reps }, () => polygon);
      await writeFile(
        reqPath,
        JSON.stringify({ crs: meta?.crs, transform: meta?.transform, threads: 10, files, cases }),
      );
      const ref = await runReference<RefResult>(ctx.python, REFERENCE, [reqPath]);
      refSeconds = median(ref.results.map((r) => r.seconds));
      const r0 = ref.results[0];
      if (r0) {
        const ours = result.series[0]?.values ?? [];
        let maxRel = 0;
        ours.forEach((v, i) => {
          const w = r0.mean[i];
          if (v !== null && w !== null && w !== undefined)
            maxRel = Math.max(maxRel, Math.abs(v - w) / Math.max(1, Math.abs(w)));
        });
        agreement = `n_cells ${result.n_cells}${result.n_cells === r0.n_cells ? '' : ` ≠ ref ${r0.n_cells}`}, max rel diff ${maxRel.toExponential(1)}`;
      }
    }
    ctx.report({
      name: `extract POST → SUCCESS, demo ${result.n_cells} cells × ${steps} years (ref: extraction only)`,
      unit: 's',
      ours: median(runs),
      reference: refSeconds,
      target: { speedup: 2 },
      note: `${ctx.reps} runs after a warm-up, caches warm; ${agreement}`,
    });

    for (const [label, path] of [
      ['GET /metadata', '/metadata'],
      ['GET /timeseries/status/{id} (SUCCESS record)', `/timeseries/status/${first.id}`],
    ] as const) {
      ctx.log(`${label}: autocannon 10 connections × 5 s …`);
      const r = await load(`${base}${path}`, 5);
      ctx.report({
        name: `${label}: seconds per request (1/throughput)`,
        unit: 's',
        ours: 1 / r.rps,
        reference: null,
        target: { max: 1 / 1000 },
        note: `${r.rps.toFixed(0)} req/s, latency p50 ${r.p50} ms p99 ${r.p99} ms, ${r.errors} errors; no upstream server to compare`,
      });
    }
  } finally {
    await app.close();
  }
}

export const suite: BenchSuite = {
  name: 'http',
  description:
    'service on loopback: /metadata and /status req/s (autocannon), extract POST→SUCCESS on the demo vs rasterio',
  run: runSuite,
};
