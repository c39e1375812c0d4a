/**
 * The server under its worst geometries and under load, measured inside its own process (`skope serve` in a child,
 * real HTTP on loopback, the demo dataset of `skope demo`: 195 × 180 cells, 1 898 annual timesteps):
 *
 * - Event loop: while far-apart point collections, an 801-vertex self-intersecting star and valid 10 000-coordinate
 *   polygons are submitted (extraction jobs and the synchronous v2 route), every `/healthz` answers within 100 ms and
 *   the server's event-loop delay p99 (`perf_hooks.monitorEventLoopDelay`, 5 ms resolution, the resolution included)
 *   stays under 50 ms.
 * - Load: 200 concurrent tile requests and 20 concurrent extractions at once: no answer but 200, 202, or the
 *   documented 503 `at_capacity` with `Retry-After`; every accepted job ends SUCCESS; the server's RSS after the run
 *   (after a GC) is within 1.5× of its RSS after warm-up.
 *
 * Latency bounds are asked for by the reliability issue. On a 2-core machine shared with other work the OS may not
 * run the server for a while, which no server can help: the event-loop bounds must hold in one of up to four
 * measured windows (each printed); a server that blocks its own loop fails every window.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoDataset } from '../cli/demo.js';
import { keepAliveAgent, send, type HttpCase, type RawResponse } from '../../test/support/http.raw.js';
import { startServerProcess, type ServerProcess } from '../../test/support/server.process.js';

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skope-reliability-'));
  const demo = await writeDemoDataset(join(dir, 'demo'));
  server = await startServerProcess({
    REGISTRY_PATH: demo.registryPath,
    COLORMAPS_PATH: demo.colormapsPath,
    STORAGE_BASE_URL: demo.storageDir,
    JOB_STORE: 'fs',
    JOB_DIR: join(dir, 'jobs'),
    LOG_LEVEL: 'silent',
    // One thread for the heavy work leaves the other core to the event loop (and the test).
    WORKER_POOL_SIZE: '1',
    MAX_CONCURRENT_JOBS: '4',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// The demo grid: lon −115 … −102, lat 31 … 43 (EPSG:4269, 1/15°).
const CENTRE = [-108.5, 37] as const;
const ring = (pts: number[][]): number[][] => [...pts, pts[0]!];
const circle = (n: number, r: (i: number) => number, cx: number, cy: number, turns = 1): number[][] =>
  Array.from({ length: n }, (_, i) => {
    const a = (i * 2 * Math.PI * turns) / n;
    return [cx + r(i) * Math.cos(a), cy + r(i) * Math.sin(a)];
  });

const WORST: Record<string, unknown> = {
  // 100 points as far apart as the grid allows: one cell each, never a window.
  'far-apart points': {
    type: 'FeatureCollection',
    features: Array.from({ length: 100 }, (_, i) => ({
      type: 'Feature',
      properties: null,
      geometry: { type: 'Point', coordinates: [-114.9 + (i % 10) * 1.42, 31.1 + Math.floor(i / 10) * 1.31] },
    })),
  },
  // {801/400}: every edge crosses others (invalid → 422 before any work).
  '801-vertex star': { type: 'Polygon', coordinates: [ring(circle(801, () => 5, CENTRE[0], CENTRE[1], 400))] },
  // A gear of 9 999 vertices (valid, star-shaped about its centre) = 10 000 coordinates with the closing one.
  '10 000-coordinate gear': {
    type: 'Polygon',
    coordinates: [ring(circle(9_999, (i) => (i % 2 === 0 ? 5 : 4.6), CENTRE[0], CENTRE[1]))],
  },
  // 100 overlapping valid 99-coordinate polygons (9 900 coordinates): their union is real work.
  '100 overlapping polygons': {
    type: 'FeatureCollection',
    features: Array.from({ length: 100 }, (_, k) => ({
      type: 'Feature',
      properties: null,
      geometry: {
        type: 'Polygon',
        coordinates: [
          ring(circle(98, (i) => (i % 2 === 0 ? 2 : 1.7), -111 + (k % 10) * 0.6, 33 + Math.floor(k / 10) * 0.7)),
        ],
      },
    })),
  },
};

function body(area: unknown): string {
  return JSON.stringify({
    dataset_id: 'paleocar_demo',
    variable_id: 'ppt_annual',
    selected_area: area,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: { gte: '1900', lte: '1919' },
  });
}

const json = (path: string, text: string): HttpCase => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body: text,
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function waitFor(id: string, timeoutMs = 120_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rec = JSON.parse((await send(server.url, { method: 'GET', path: `/timeseries/status/${id}` })).body) as {
      status: string;
      error?: string;
    };
    if (rec.status === 'SUCCESS' || rec.status === 'FAILED')
      return rec.status === 'FAILED' ? `FAILED ${rec.error}` : rec.status;
    if (Date.now() > until) return `still ${rec.status}`;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the event loop while the worst geometries are submitted', () => {
  it('/healthz answers every request within 100 ms; event-loop delay p99 < 50 ms (in the server process)', async (ctx) => {
    const cases = Object.entries(WORST).flatMap(([name, area]) => {
      const text = body(area);
      return [
        { name, route: 'extract', c: json('/timeseries/extract', text) },
        { name, route: 'v2', c: json('/timeseries', text) },
      ];
    });
    // Warm the paths once (first use compiles code, opens COGs, starts GEOS on the thread).
    for (const { c } of cases) await send(server.url, c);

    // A window in which the OS did not run the server (other processes on both cores) is not the server's doing:
    // the bounds must hold in one of up to four windows. A server that blocks its loop fails all four.
    const windows: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const w = await measureWindow(cases);
      windows.push(w.summary);
      console.log(`event loop (window ${attempt}): ${w.summary}`);
      // The star is refused, the rest accepted or answered (or refused at capacity, never an error).
      for (const key of w.statuses) {
        if (key.startsWith('801-vertex star')) expect(key).toMatch(/ 422$/);
        else expect(key).toMatch(/ (200|202|503)$/);
      }
      expect(
        w.jobs.every((st) => st === 'SUCCESS'),
        w.jobs.join(', '),
      ).toBe(true);
      expect(w.healthz).toBeGreaterThan(20);
      if (w.slow.length === 0 && w.loopP99Ms < 50) return;
    }
    // Can this machine measure it at all now? The same window with nothing submitted.
    const idle = await measureWindow([]);
    console.log(`event loop (idle window): ${idle.summary}`);
    // Measurable means an idle server stays within half the bounds (every /healthz < 50 ms, loop p99 < 25 ms).
    if (idle.maxMs >= 50 || idle.loopP99Ms >= 25) {
      console.warn(
        'NOTICE: an idle server is within less than half the bounds: the machine is too busy to measure the event loop; skipping',
      );
      return ctx.skip();
    }
    expect.fail(`no window met the bounds (every /healthz < 100 ms, loop p99 < 50 ms): ${windows.join(' | ')}`);
  });
});

/** One measured window: 6 rounds of every case, back to back, while `/healthz` is polled every 10 ms. */
async function measureWindow(cases: { name: string; route: string; c: HttpCase }[]): Promise<{
  summary: string;
  statuses: string[];
  jobs: string[];
  healthz: number;
  slow: string[];
  /** Slowest /healthz answer (ms). */
  maxMs: number;
  loopP99Ms: number;
}> {
  await server.stats({ reset: true });
  const statuses = new Map<string, number>();
  const ids: string[] = [];
  let submitting = true;
  const submitter = (async () => {
    const agent = keepAliveAgent(1);
    const queue = Array.from({ length: 6 }, () => cases).flat();
    // Nothing to submit (the idle window): poll for as long as a window usually takes.
    if (queue.length === 0) await new Promise((r) => setTimeout(r, 8_000));
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const res = await send(server.url, next.c, agent, 60_000);
        const key = `${next.name} ${next.route} ${res.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (res.status === 202) ids.push((JSON.parse(res.body) as { job_id: string }).job_id);
      }
    };
    await worker();
    agent.destroy();
    submitting = false;
  })();

  const latencies: number[] = [];
  const slow: string[] = [];
  const agent = keepAliveAgent(1);
  while (submitting) {
    const t0 = performance.now();
    const res = await send(server.url, { method: 'GET', path: '/healthz' }, agent, 5_000);
    const ms = performance.now() - t0;
    latencies.push(ms);
    if (res.status !== 200 || ms >= 100) slow.push(`${res.status} in ${ms.toFixed(0)} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await submitter;
  agent.destroy();
  const loop = await server.stats();
  const jobs = await Promise.all(ids.map((id) => waitFor(id)));
  const sorted = [...latencies].sort((a, b) => a - b);
  const summary =
    `${[...statuses].map(([k, n]) => `${k}×${n}`).join(', ')}; /healthz ${latencies.length} answers, ` +
    `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms` +
    `${slow.length > 0 ? ` (${slow.length} ≥ 100 ms)` : ''}; server event-loop delay p50 ${loop.loopP50Ms} ms, ` +
    `p99 ${loop.loopP99Ms} ms, max ${loop.loopMaxMs} ms (${loop.loopSamples} samples); jobs ${jobs.length}: ` +
    `${[...new Set(jobs)].join(', ')}`;
  return {
    summary,
    statuses: [...statuses.keys()],
    jobs,
    healthz: latencies.length,
    slow,
    maxMs: sorted.at(-1) ?? 0,
    loopP99Ms: loop.loopP99Ms,
  };
}

describe('load: 200 concurrent tile requests and 20 concurrent extractions', () => {
  it('no error but 503 at_capacity with Retry-After; every accepted job finishes; RSS within 1.5× of warm-up', async () => {
    const tilePath = (i: number): string =>
      `/tiles/paleocar_demo/${i % 2 === 0 ? 'ppt_annual' : 'gdd_annual'}/${String(1000 + (i % 250) * 4).padStart(4, '0')}/7/${23 + (i % 5)}/${47 + (i % 6)}.png`;
    const extractBody = (i: number): string =>
      JSON.stringify({
        dataset_id: 'paleocar_demo',
        variable_id: 'ppt_annual',
        selected_area: {
          type: 'Polygon',
          coordinates: [ring(circle(40, () => 1 + (i % 4) * 0.5, -110 + (i % 5), 34 + (i % 4)))],
        },
        zonal_statistic: i % 2 === 0 ? 'mean' : 'median',
        transform: { type: 'NoTransform' },
        requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
        time_range: null,
      });

    // Warm-up: every code path once, then measure.
    for (let i = 0; i < 10; i++)
      expect((await send(server.url, { method: 'GET', path: tilePath(1000 + i) })).status).toBe(200);
    const warm = await send(server.url, json('/timeseries/extract', extractBody(0)));
    expect(warm.status, warm.body).toBe(202);
    expect(await waitFor((JSON.parse(warm.body) as { job_id: string }).job_id)).toBe('SUCCESS');
    const rssWarm = (await server.stats({ gc: true })).rssBytes;

    const t0 = performance.now();
    const agent = keepAliveAgent(Infinity);
    const tileTimes: number[] = [];
    const tiles = Array.from({ length: 200 }, async (_, i) => {
      const t = performance.now();
      const res = await send(server.url, { method: 'GET', path: tilePath(i) }, agent, 60_000);
      tileTimes.push(performance.now() - t);
      return res;
    });
    const posts = Array.from({ length: 20 }, (_, i) =>
      send(server.url, json('/timeseries/extract', extractBody(i + 1)), agent, 60_000),
    );
    const [tileRes, postRes] = await Promise.all([Promise.all(tiles), Promise.all(posts)]);
    const answered = performance.now() - t0;
    agent.destroy();

    const bad = (r: RawResponse): boolean =>
      !(
        r.status === 503 &&
        r.headers['retry-after'] === '5' &&
        (JSON.parse(r.body) as { code?: string }).code === 'at_capacity'
      );
    const tileErrors = tileRes
      .filter((r) => r.status !== 200 && bad(r))
      .map((r) => `${r.status} ${r.body.slice(0, 100)}`);
    const postErrors = postRes
      .filter((r) => r.status !== 202 && bad(r))
      .map((r) => `${r.status} ${r.body.slice(0, 100)}`);
    const accepted = postRes
      .filter((r) => r.status === 202)
      .map((r) => (JSON.parse(r.body) as { job_id: string }).job_id);
    const refused = postRes.filter((r) => r.status === 503).length;
    const finals = await Promise.all(accepted.map((id) => waitFor(id)));
    const total = performance.now() - t0;
    const rssAfter = (await server.stats({ gc: true })).rssBytes;

    const sorted = [...tileTimes].sort((a, b) => a - b);
    const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
    console.log(
      `load: 200 tiles (${tileRes.filter((r) => r.status === 200).length}× 200, p50 ${percentile(sorted, 50).toFixed(0)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(0)} ms) and 20 extractions (${accepted.length} accepted, ${refused} refused 503 at_capacity) ` +
        `answered in ${answered.toFixed(0)} ms; accepted jobs ${finals.filter((s) => s === 'SUCCESS').length}/${accepted.length} SUCCESS ` +
        `after ${total.toFixed(0)} ms; RSS warm ${mib(rssWarm)} MiB, after ${mib(rssAfter)} MiB (×${(rssAfter / rssWarm).toFixed(2)})`,
    );
    expect(tileErrors, tileErrors.join('\n')).toEqual([]);
    expect(postErrors, postErrors.join('\n')).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);
    expect(
      finals.every((s) => s === 'SUCCESS'),
      finals.join(', '),
    ).toBe(true);
    expect(rssAfter).toBeLessThanOrEqual(1.5 * rssWarm);
    expect(JSON.parse((await send(server.url, { method: 'GET', path: '/healthz' })).body)).toEqual({ status: 'ok' });
  });
});
