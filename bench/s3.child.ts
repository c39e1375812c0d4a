/**
 * Our side of the `s3` benchmark, one cold server per process: the service's runtime (`openData` +
 * `createExtraction`, or a `TileService` over the same COGs) with its storage on the bench's S3 endpoint (or the
 * same objects over plain HTTP ranges), started fresh so no COG header, byte or block is cached for the timed
 * dataset. The worker threads and the JIT are warmed first on `paleocar_warm`, a second dataset whose objects are the
 * same files under other keys (nothing it caches serves the timed dataset). The server's counters are reset just
 * before the timed work and read right after it.
 *
 * Usage: tsx bench/s3.child.ts '<json Args>'; prints one JSON object (see `Output`).
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { openData } from '../src/deps.js';
import { loadGeometryEngine } from '../src/geo/geos.js';
import { createExtraction } from '../src/timeseries/extraction.js';
import type { ExtractRequest } from '../src/timeseries/types.js';
import { TileService, type TileRequest } from '../src/tiles/tile.service.js';
import type { TileAddress } from '../src/tiles/tile.matrix.js';
import { cellBox } from './gen/paleocar.js';

interface Args {
  mode: 'extract' | 'tiles';
  /** Directory with `metadata.yml` (both datasets) and `colormaps.json`. */
  registryDir: string;
  /** `s3://bucket` or `http://…/bucket`. */
  storage: string;
  /** The server (S3 endpoint and control). */
  endpoint: string;
  /** extract: the area (GeoJSON, dataset CRS) and how many times it is extracted in a row (the first is cold). */
  polygon?: Record<string, unknown>;
  repeats?: number;
  /** tiles: the tile set and the timestep; the first tile is the cold one. */
  tiles?: TileAddress[];
  timestep?: string;
  passes?: number;
  /** Settings passed as environment-style keys (e.g. SOURCE_CACHE_BYTES). */
  settings?: Record<string, string>;
  /** Run the extraction on the main thread (for `--cpu-prof`: worker threads' profiles are lost when they stop). */
  inline?: boolean;
}

/** Proxy counters of one timed piece of work. */
export interface ServerStats {
  requests: number;
  bytes: number;
  /** Bytes requested more than once within the piece (0 = no range read twice). */
  overlapBytes: number;
  /** CPU seconds of the server process over the piece. */
  serverCpu: number;
}

interface RawStats {
  requests: number;
  bytes: number;
  serverCpu: number;
  ranges: Record<string, [number, number][]>;
}

/** Bytes of `ranges` (start, end exclusive) covered more than once. */
export function overlapBytes(ranges: Record<string, [number, number][]>): number {
  let twice = 0;
  for (const list of Object.values(ranges)) {
    const sorted = [...list].sort((a, b) => a[0] - b[0]);
    let reach = 0;
    for (const [s, e] of sorted) {
      if (s < reach) twice += Math.min(e, reach) - s;
      reach = Math.max(reach, e);
    }
  }
  return twice;
}

async function control(endpoint: string, what: 'stats' | 'reset'): Promise<RawStats | null> {
  const res = await fetch(`${endpoint}/__${what}`, { method: what === 'reset' ? 'POST' : 'GET' });
  return what === 'stats' ? ((await res.json()) as RawStats) : null;
}

async function stats(endpoint: string): Promise<ServerStats> {
  const s = (await control(endpoint, 'stats')) as RawStats;
  return { requests: s.requests, bytes: s.bytes, overlapBytes: overlapBytes(s.ranges), serverCpu: s.serverCpu };
}

function extractRequest(datasetId: string, polygon: Record<string, unknown>): ExtractRequest {
  return {
    dataset_id: datasetId,
    variable_id: 'ppt_annual',
    selected_area: polygon,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: null,
  };
}

function tileRequest(datasetId: string, t: TileAddress, timestep: string): TileRequest {
  return {
    datasetId,
    variableId: 'ppt_annual',
    timestep,
    ...t,
    colormap: 'viridis',
    rescale: '0,1000',
    size: 256,
    format: 'png',
    resampling: 'nearest',
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const config = loadConfig({
    REGISTRY_PATH: join(args.registryDir, 'metadata.yml'),
    COLORMAPS_PATH: join(args.registryDir, 'colormaps.json'),
    STORAGE_BASE_URL: args.storage,
    S3_ENDPOINT: args.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    DEFAULT_MAX_CELLS: '1000000',
    MAX_PROCESSING_TIME: '3600000',
    JOB_STORE: 'memory',
    ...args.settings,
  });
  const { cogs, datasets } = await openData(config);
  const geometry = await loadGeometryEngine();
  const transform = datasets.registry.get('paleocar_v3')?.transform ?? [1, 0, 0, 0, -1, 0];
  const out: Record<string, unknown> = {};
  if (args.mode === 'extract') {
    const { service, threads, close } = createExtraction(config, datasets, cogs, geometry, {
      inline: args.inline === true,
    });
    try {
      // Threads started, modules loaded and hot loops compiled, on the other dataset.
      const warm = extractRequest('paleocar_warm', cellBox(transform, 10, 10, 16));
      await Promise.all(
        Array.from({ length: Math.max(1, threads) }, () => service.run(warm, { signal: new AbortController().signal })),
      );
      // The timed dataset's lookup is loaded as a running server's would be (its requests are not the extraction's).
      await datasets.lookups.get('paleocar_v3');
      const request = extractRequest('paleocar_v3', args.polygon ?? {});
      const runs: { seconds: number; cpu: number; server: ServerStats }[] = [];
      let result: Awaited<ReturnType<typeof service.run>> | null = null;
      for (let i = 0; i < (args.repeats ?? 1); i++) {
        await control(args.endpoint, 'reset');
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        result = await service.run(request, { signal: new AbortController().signal });
        const seconds = (performance.now() - t0) / 1000;
        const c = process.cpuUsage(c0);
        runs.push({ seconds, cpu: (c.user + c.system) / 1e6, server: await stats(args.endpoint) });
      }
      Object.assign(out, {
        runs,
        n_cells: result?.result.n_cells,
        timesteps: result?.base_series.timesteps.length,
        mean: result?.base_series.mean,
        median: result?.base_series.median,
      });
    } finally {
      await close();
    }
  } else {
    const service = new TileService({
      registry: datasets.registry,
      colormaps: datasets.colormaps,
      lookups: datasets.lookups,
      baseUrl: datasets.baseUrl,
      openCog: cogs.openCog,
    });
    const tiles = args.tiles ?? [];
    const timestep = args.timestep ?? '0103';
    const render = async (datasetId: string, t: TileAddress): Promise<number> =>
      (await service.render(await service.prepare(tileRequest(datasetId, t, timestep)))).length;
    for (const t of tiles) await render('paleocar_warm', t); // JIT, lookups, colormaps
    await datasets.lookups.get('paleocar_v3');
    const first = tiles[0] as TileAddress;
    // What one round trip costs here (the 20 ms held + s3rver + HTTP), to split the cold tile's time: the median of
    // three unsigned 64 KiB range GETs of the twin object (the same bytes under another key: the timed object stays
    // unread), after one untimed GET (the first `fetch` of a process loads its HTTP client and connects).
    const bucket = args.storage.replace(/^s3:\/\//, '').split('/')[0] ?? '';
    const twin = (await datasets.lookups.get('paleocar_warm')).get('ppt_annual')?.get(timestep)?.file ?? '';
    const trips: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      const res = await fetch(`${args.endpoint}/${bucket}/${twin}`, { headers: { range: 'bytes=0-65535' } });
      await res.arrayBuffer();
      if (i > 0) trips.push((performance.now() - t) / 1000);
    }
    trips.sort((a, b) => a - b);
    await control(args.endpoint, 'reset');
    const elu0 = performance.eventLoopUtilization();
    let t0 = performance.now();
    const prepared = await service.prepare(tileRequest('paleocar_v3', first, timestep));
    const t1 = performance.now();
    await service.render(prepared);
    const seconds = (performance.now() - t0) / 1000;
    const cold = {
      seconds,
      busy: performance.eventLoopUtilization(elu0).active / 1000,
      open: (t1 - t0) / 1000,
      roundTrip: trips[1] as number,
      server: await stats(args.endpoint),
    };
    const passes: { seconds: number[]; server: ServerStats }[] = [];
    for (let p = 0; p < (args.passes ?? 3); p++) {
      await control(args.endpoint, 'reset');
      const seconds: number[] = [];
      for (const t of tiles) {
        t0 = performance.now();
        await render('paleocar_v3', t);
        seconds.push((performance.now() - t0) / 1000);
      }
      passes.push({ seconds, server: await stats(args.endpoint) });
    }
    Object.assign(out, { cold, passes });
  }
  await cogs.close();
  process.stdout.write(JSON.stringify({ ...out, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

await main();
