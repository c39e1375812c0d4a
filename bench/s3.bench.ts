/**
 * Issue 16 benchmark: extraction and tiles with the data on S3, as production has it. The timeseries suite's
 * PaleoCAR-shaped band-interleaved cube (1560 × 1440, 1898 years in 19 DEFLATE COGs of 100 bands) is served by a real
 * S3-protocol server on this machine (s3rver, in `bench/s3.server.ts`, a process of its own), with a middleware of the
 * bench's own in front of s3rver's handlers that holds every request 20 ms (a round trip between an EC2 instance and
 * S3 in-region) and counts requests, bytes, the ranges asked for and the server's CPU seconds. (Until 7 December a
 * proxy process in front added the latency; relaying every byte once more, it cost CPU of the 2 cores the extraction
 * shares.)
 *
 * - extract, cold server (`bench/s3.child.ts`: a fresh process; threads and JIT warmed on a twin dataset whose objects
 *   are other keys), 10 000 and 1 000 000 cells × every year, mean + median; then the same extraction again in the
 *   same process (byte cache). Reference: `bench/reference/timeseries_besteffort.py` (rasterio/GDAL reading
 *   `/vsis3/` from the same endpoint with the same latency, GDAL's best settings for COGs), alternating with ours;
 * - the same 10 000-cell extraction with `STORAGE_BASE_URL=http…` (HTTP range storage) vs GDAL `/vsicurl/`;
 * - 1 000 000 cells from local disk in the same run (`bench/timeseries.child.ts`), for the ≤ 2× target;
 * - a tile of a cold server (COG never opened, lookup loaded), and the tile set again (warm).
 * Every row prints the requests and bytes of both sides, and ours is checked never to read a byte twice. The served
 * files are read once before every timed run of either side, so the server finds them in the page cache.
 *
 * `SKOPE_BENCH_S3_SMALL=1` runs on a 10-band × 3-file cube (checks the harness in seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { cellBox, ensurePaleocarDataset, readLookup, type PaleocarDataset } from './gen/paleocar.js';
import { loadText, maxRelDiff, median, runProcess, runReference } from './harness.js';
import type { BenchContext, BenchSuite } from './harness.js';
import type { ServerStats } from './s3.child.js';
import { tileSet } from './tiles.setup.js';

const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const SERVER = fileURLToPath(new URL('./s3.server.ts', import.meta.url));
const CHILD = fileURLToPath(new URL('./s3.child.ts', import.meta.url));
const LOCAL_CHILD = fileURLToPath(new URL('./timeseries.child.ts', import.meta.url));
const REFERENCE = fileURLToPath(new URL('./reference/timeseries_besteffort.py', import.meta.url));
const BUCKET = 'bench';
const LATENCY_MS = 20;
/** Threads of the reference's file pool on S3: reads wait on the network, not the cores. */
const REF_THREADS = 8;

interface ExtractOut {
  runs: { seconds: number; cpu: number; server: ServerStats }[];
  n_cells: number;
  timesteps: number;
  mean: (number | null)[];
  median: (number | null)[];
  maxRssMB: number;
}
interface TilesOut {
  /**
   * The cold tile: total and open (lookup → COG header → plan) seconds, seconds the main thread was busy meanwhile
   * (event-loop utilisation: the rest is waiting for the network), and one bare round trip's seconds.
   */
  cold: { seconds: number; open: number; busy: number; roundTrip: number; server: ServerStats };
  passes: { seconds: number[]; server: ServerStats }[];
  maxRssMB: number;
}
interface RefOut {
  results: { n_cells: number; mean: (number | null)[]; median: (number | null)[]; seconds: number }[];
  maxrss_mb: number;
}

interface Served {
  endpoint: string;
  registryDir: string;
  /** Object keys of the timed dataset's files, in timestep order, with their bands. */
  files: { key: string; bands: number[] }[];
  stop(): void;
}

/** The registry, the twin dataset and the s3rver directory (hard links), then the server process. */
async function serve(ctx: BenchContext, ds: PaleocarDataset): Promise<Served> {
  const registryDir = join(ctx.dataDir, `s3-${ds.root.split('/').pop() ?? 'ds'}`);
  await mkdir(registryDir, { recursive: true });
  const registry = parse(await readFile(ds.registryPath, 'utf8')) as Record<string, unknown>[];
  const twin = { ...(registry[0] as Record<string, unknown>), id: 'paleocar_warm' };
  await writeFile(join(registryDir, 'metadata.yml'), stringify([...registry, twin]));
  await copyFile(join(ds.root, 'colormaps.json'), join(registryDir, 'colormaps.json'));
  const lookupText = await readFile(ds.lookupPath, 'utf8');
  const twinLookup = join(registryDir, 'paleocar_warm-lookup.json');
  await writeFile(twinLookup, lookupText.replaceAll('"paleocar_v3/', '"paleocar_warm/'));
  const objects: Record<string, string> = {
    'paleocar_v3/lookup.json': ds.lookupPath,
    'paleocar_warm/lookup.json': twinLookup,
  };
  for (const path of ds.files) {
    const rel = path.slice(ds.root.length + 1);
    objects[rel] = path;
    objects[rel.replace(/^paleocar_v3\//, 'paleocar_warm/')] = path;
  }
  const lookup = (await readLookup(ds))[ds.variableId] ?? {};
  const files: { key: string; bands: number[] }[] = [];
  const entries = Object.entries(lookup).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, e] of entries) {
    const f = files.find((x) => x.key === e.file);
    if (f) f.bands.push(e.bidx);
    else files.push({ key: e.file, bands: [e.bidx] });
  }
  const args = { dir: join(registryDir, 's3rver'), bucket: BUCKET, objects, latencyMs: LATENCY_MS };
  const child: ChildProcess = spawn(TSX, [SERVER, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3 server exited (${code})`)));
  });
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  return { endpoint, registryDir, files, stop: () => child.stdin?.end() };
}

/** GDAL's environment for /vsis3/ (and /vsicurl/) through the bench endpoint, with its best settings for COGs. */
function gdalEnv(endpoint: string): Record<string, string> {
  return {
    AWS_S3_ENDPOINT: endpoint.replace(/^http:\/\//, ''),
    AWS_HTTPS: 'NO',
    AWS_VIRTUAL_HOSTING: 'FALSE',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR',
    CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '.tif',
    VSI_CACHE: 'TRUE',
    VSI_CACHE_SIZE: String(256 << 20),
    GDAL_HTTP_MERGE_CONSECUTIVE_RANGES: 'YES',
    GDAL_HTTP_MULTIPLEX: 'YES',
    GDAL_CACHEMAX: '2048',
    GDAL_NUM_THREADS: 'ALL_CPUS',
  };
}

async function serverStats(endpoint: string): Promise<ServerStats> {
  const s = (await (await fetch(`${endpoint}/__stats`)).json()) as Omit<ServerStats, 'overlapBytes'>;
  return { requests: s.requests, bytes: s.bytes, overlapBytes: 0, serverCpu: s.serverCpu };
}

/** Requests, bytes and the server's CPU (on this machine, CPU the extraction could not use). */
function reqText(p: ServerStats): string {
  return `${p.requests} req, ${(p.bytes / 1e6).toFixed(1)} MB, server CPU ${p.serverCpu.toFixed(2)} s`;
}

/** One reference extraction (fresh Python process: cold) from the same server; seconds, values, requests. */
async function reference(
  ctx: BenchContext,
  ds: PaleocarDataset,
  served: Served,
  polygon: Record<string, unknown>,
  scheme: 'vsis3' | 'vsicurl',
  label: string,
): Promise<{ seconds: number; out: RefOut; server: ServerStats } | null> {
  // SKOPE_BENCH_S3_NOREF=1: ours only (for trying settings; no row is then comparable).
  if (!ctx.python || process.env['SKOPE_BENCH_S3_NOREF'] === '1') return null;
  const prefix = scheme === 'vsis3' ? `/vsis3/${BUCKET}/` : `/vsicurl/${served.endpoint}/${BUCKET}/`;
  const reqPath = join(ctx.dataDir, `s3-ref-${label}.json`);
  const files = served.files.map((f) => ({ path: prefix + f.key, bands: f.bands }));
  await writeFile(
    reqPath,
    JSON.stringify({ crs: ds.crs, transform: ds.transform, threads: REF_THREADS, files, cases: [polygon] }),
  );
  await fetch(`${served.endpoint}/__reset`, { method: 'POST' });
  const out = await runReference<RefOut>(ctx.python, REFERENCE, [reqPath], gdalEnv(served.endpoint));
  const server = await serverStats(served.endpoint);
  return { seconds: (out.results[0] as RefOut['results'][0]).seconds, out, server };
}

async function ours(
  served: Served,
  storage: string,
  polygon: Record<string, unknown>,
  repeats: number,
): Promise<ExtractOut> {
  const args = {
    mode: 'extract',
    registryDir: served.registryDir,
    storage,
    endpoint: served.endpoint,
    polygon,
    repeats,
    // Extra service settings for experiments, e.g. SKOPE_BENCH_SETTINGS='{"STORAGE_MERGE_GAP_BYTES":"32768"}'.
    settings: JSON.parse(process.env['SKOPE_BENCH_SETTINGS'] ?? '{}') as Record<string, string>,
  };
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  return JSON.parse(await runProcess(TSX, [CHILD, JSON.stringify(args)], env)) as ExtractOut;
}

/** Values of ours against the reference's: max relative difference (Infinity when the cell counts differ). */
function agreement(o: ExtractOut, r: RefOut | undefined): number | undefined {
  const r0 = r?.results[0];
  if (!r0) return undefined;
  if (r0.n_cells !== o.n_cells) return Infinity;
  return Math.max(maxRelDiff(o.mean, r0.mean), maxRelDiff(o.median, r0.median));
}

/**
 * Reads the served files once (into one reused buffer), so s3rver finds them in the page cache: the local-disk run
 * the 1 000 000-cell ratio divides by warms its blocks the same way (`timeseries.child.ts`), and an object read from
 * disk costs the server CPU the extraction shares (measured after dropping the page cache: server CPU 6.0 s instead
 * of ~3 s, ours 9.2 s instead of ~7.5 s). Before every timed run of either side.
 */
const WARM_BUFFER = Buffer.allocUnsafe(8 * 1024 * 1024);
function warmFiles(paths: readonly string[]): void {
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, WARM_BUFFER, 0, WARM_BUFFER.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

async function extractCase(
  ctx: BenchContext,
  ds: PaleocarDataset,
  served: Served,
  label: string,
  polygon: Record<string, unknown>,
  reps: number,
  target: { max?: number; speedup: number },
  scheme: 'vsis3' | 'vsicurl',
  localSeconds: () => Promise<number | null>,
): Promise<void> {
  const storage = scheme === 'vsis3' ? `s3://${BUCKET}` : `${served.endpoint}/${BUCKET}`;
  const cold: ExtractOut['runs'] = [];
  const repeat: ExtractOut['runs'] = [];
  const refs: NonNullable<Awaited<ReturnType<typeof reference>>>[] = [];
  const locals: number[] = [];
  let last: ExtractOut | null = null;
  let rss = 0;
  for (let i = 0; i < reps; i++) {
    // Alternating, so both sides see the same load on this shared machine.
    ctx.log(`${label}: ours ${i + 1}/${reps} (${loadText()}) …`);
    warmFiles(ds.files);
    last = await ours(served, storage, polygon, 2);
    rss = Math.max(rss, last.maxRssMB);
    cold.push(last.runs[0] as ExtractOut['runs'][0]);
    if (last.runs[1]) repeat.push(last.runs[1]);
    ctx.log(`${label}: reference ${i + 1}/${reps} …`);
    warmFiles(ds.files);
    const r = await reference(ctx, ds, served, polygon, scheme, label.replace(/\W+/g, '-'));
    if (r) refs.push(r);
    const local = await localSeconds();
    if (local !== null) locals.push(local);
  }
  if (!last) return;
  const relDiff = agreement(last, refs[0]?.out);
  const overlap = Math.max(...cold.map((r) => r.server.overlapBytes), ...repeat.map((r) => r.server.overlapBytes));
  const mid = <T>(runs: T[], f: (t: T) => number): number => median(runs.map(f));
  const refSeconds = refs.length > 0 ? mid(refs, (r) => r.seconds) : null;
  const refServer = refs[0]?.server;
  const ourServer = cold[0]?.server as ServerStats;
  const sideText = `ours ${reqText(ourServer)}, ${overlap === 0 ? 'no byte read twice' : `${overlap} BYTES READ TWICE`}; ref ${refServer ? reqText(refServer) : '–'}`;
  const oursCold = mid(cold, (r) => r.seconds);
  ctx.report({
    name: `${scheme === 'vsis3' ? 'S3' : 'HTTP ranges'} extract ${label} × ${last.timesteps} years, cold server`,
    unit: 's',
    ours: oursCold,
    reference: refSeconds,
    target: { ...target, maxRelDiff: 1e-9, maxRssMB: 1024 },
    relDiff: relDiff ?? Infinity,
    rssMB: rss,
    spread: { ours: cold.map((r) => r.seconds), reference: refs.map((r) => r.seconds) },
    note: `${sideText}; ours CPU ${mid(cold, (r) => r.cpu).toFixed(2)} s (process, all threads); ${loadText()}`,
  });
  if (overlap > 0) ctx.log(`WARNING: ${label}: ${overlap} bytes were read twice within one extraction`);
  if (repeat.length > 0) {
    ctx.report({
      name: `${scheme === 'vsis3' ? 'S3' : 'HTTP ranges'} extract ${label}, same area again (warm server: statistics cache)`,
      unit: 's',
      ours: mid(repeat, (r) => r.seconds),
      // No ratio: the repeat reads nothing (statistics cache), and the reference has no warm counterpart.
      reference: null,
      spread: { ours: repeat.map((r) => r.seconds) },
      note: `ours ${reqText(repeat[0]?.server as ServerStats)}; no reference row (GDAL starts cold in a new process each time)`,
    });
  }
  if (locals.length > 0) {
    const local = median(locals);
    ctx.report({
      name: `S3 extract ${label} ÷ ours from local disk (same run)`,
      unit: 's',
      ours: oursCold,
      reference: null,
      target: { max: 2 * local },
      spread: { ours: cold.map((r) => r.seconds), reference: locals },
      note: `local disk (page cache) ${local.toFixed(2)} s → ratio ${(oursCold / local).toFixed(2)} (target ≤ 2)`,
    });
  }
}

/** Median of `f` over `xs`, in ms, as text. */
function ms<T>(xs: readonly T[], f: (x: T) => number): string {
  return `${(median(xs.map(f)) * 1000).toFixed(1)} ms`;
}

async function tileCase(ctx: BenchContext, ds: PaleocarDataset, served: Served): Promise<void> {
  const tiles = tileSet(4);
  const args = {
    mode: 'tiles',
    registryDir: served.registryDir,
    storage: `s3://${BUCKET}`,
    endpoint: served.endpoint,
    tiles,
    timestep: ds.firstYear,
    passes: 3,
  };
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  const colds: TilesOut['cold'][] = [];
  let last: TilesOut | null = null;
  for (let i = 0; i < Math.min(ctx.reps, 3); i++) {
    last = JSON.parse(await runProcess(TSX, [CHILD, JSON.stringify(args)], env)) as TilesOut;
    colds.push(last.cold);
  }
  if (!last) return;
  const maxReq = Math.max(...colds.map((c) => c.server.requests));
  ctx.report({
    name: 'S3 tile, cold server (COG never opened; lookup loaded)',
    unit: 's',
    ours: median(colds.map((c) => c.seconds)),
    reference: null,
    target: { max: 0.08 },
    spread: { ours: colds.map((c) => c.seconds) },
    note: `${maxReq} round trips (target ≤ 3), ${reqText(colds[0]?.server as ServerStats)}; open (header) ${ms(colds, (c) => c.open)}, then block + render ${ms(colds, (c) => c.seconds - c.open)}, main thread busy ${ms(colds, (c) => c.busy)}; one bare 64 KiB GET ${ms(colds, (c) => c.roundTrip)} (20 ms held + s3rver + HTTP); ${loadText()}`,
  });
  const first = last.passes[0];
  if (first) {
    ctx.report({
      name: `S3 tiles, COG open, blocks not yet read (${tiles.length} tiles z4–z12), p50`,
      unit: 's',
      ours: median(first.seconds),
      reference: null,
      note: reqText(first.server),
    });
  }
  const warm = last.passes.slice(1).flatMap((p) => p.seconds);
  const warmReq = last.passes.slice(1).reduce((n, p) => n + p.server.requests, 0);
  ctx.report({
    name: 'S3 tiles, warm (the same tiles again: block cache), p50',
    unit: 's',
    ours: median(warm),
    reference: null,
    target: { max: 0.005 },
    note: `${warmReq} requests over ${warm.length} tiles`,
  });
}

/** The `s3` suite. */
export const suite: BenchSuite = {
  name: 's3',
  description: 'extraction and tiles from s3rver with 20 ms per request vs rasterio/GDAL /vsis3/ (best effort)',
  async run(ctx) {
    const small = process.env['SKOPE_BENCH_S3_SMALL'] === '1';
    const ds = await ensurePaleocarDataset(
      small
        ? { bands: 10, files: 3, layout: 'band', dataDir: ctx.dataDir, log: ctx.log }
        : { bands: 100, files: 19, layout: 'band', dataDir: ctx.dataDir, log: ctx.log },
    );
    const served = await serve(ctx, ds);
    try {
      ctx.log(`serving ${ds.root} at ${served.endpoint} (+${LATENCY_MS} ms per request)`);
      if (ctx.wants('s3 tile')) await tileCase(ctx, ds, served);
      const box10k = cellBox(ds.transform, 700, 700, 100);
      const box1M = cellBox(ds.transform, 300, 200, 1000);
      const none = (): Promise<number | null> => Promise.resolve(null);
      if (ctx.wants('s3 10k'))
        await extractCase(ctx, ds, served, '10 000 cells', box10k, ctx.reps, { max: 3, speedup: 5 }, 'vsis3', none);
      if (ctx.wants('http 10k'))
        await extractCase(
          ctx,
          ds,
          served,
          '10 000 cells',
          box10k,
          1, // one round: the same code path as S3 after the request
          { speedup: 5 },
          'vsicurl',
          none,
        );
      if (ctx.wants('s3 1M')) {
        const local = async (): Promise<number> => {
          const args = { root: ds.root, polygon: box1M, reps: 1, blockCacheBytes: 256 * 1024 * 1024 };
          const out = JSON.parse(await runProcess(TSX, [LOCAL_CHILD, JSON.stringify(args)])) as { runs: number[] };
          return out.runs[0] as number;
        };
        await extractCase(
          ctx,
          ds,
          served,
          '1 000 000 cells',
          box1M,
          1, // one round: GDAL reads ~47 000 blocks with one request each (many minutes here)
          { speedup: 3 },
          'vsis3',
          local,
        );
      }
    } finally {
      served.stop();
    }
  },
};
