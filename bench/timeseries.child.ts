/**
 * One side of the timeseries benchmark, run in its own process so its peak RSS is its own: builds the service's
 * extraction dependencies over a generated PaleoCAR-shaped dataset (registry, lookup store, file sources, the
 * COG reader with a block cache — as src/deps.ts does), runs `runExtraction` for one polygon `reps` times and
 * prints JSON: wall and CPU seconds per run (CPU includes the libuv inflate threads), peak RSS, compressed bytes read per run, n_cells and a few values.
 *
 * Usage: tsx bench/timeseries.child.ts '<json {root, polygon, reps, blockCacheBytes}>'
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBlockCache } from '../src/raster/block.cache.js';
import { openCog } from '../src/raster/cog.js';
import type { Cog } from '../src/raster/types.js';
import { createColormapSet, parseCustomColormaps } from '../src/registry/colormaps.js';
import { LookupStore } from '../src/registry/lookup.js';
import { parseRegistry } from '../src/registry/registry.js';
import { createSourceResolver } from '../src/storage/resolver.js';
import type { ByteSource } from '../src/storage/source.js';
import { runExtraction, type ExtractDeps } from '../src/timeseries/extract.js';
import type { ExtractRequest } from '../src/timeseries/types.js';

interface Args {
  root: string;
  polygon: Record<string, unknown>;
  reps: number;
  blockCacheBytes: number;
  /** Optional ExtractDeps tuning (file concurrency, chunk bytes) for experiments. */
  tuning?: ExtractDeps['tuning'];
}

/** Counts the bytes fetched through a source (the compressed bytes the extraction reads). */
function counting(source: ByteSource, counter: { bytes: number }): ByteSource {
  return {
    url: source.url,
    get metadata() {
      return source.metadata;
    },
    set metadata(m) {
      source.metadata = m;
    },
    async fetch(offset, length, options) {
      const buf = await source.fetch(offset, length, options);
      counter.bytes += buf.byteLength;
      return buf;
    },
    head: (o) => source.head(o),
    close: () => source.close?.() ?? Promise.resolve(),
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const colormaps = createColormapSet(
    parseCustomColormaps(await readFile(join(args.root, 'colormaps.json'), 'utf8'), 'colormaps.json'),
  );
  const registry = parseRegistry(await readFile(join(args.root, 'metadata.yml'), 'utf8'), colormaps, 'metadata.yml');
  const resolver = createSourceResolver({});
  const lookups = new LookupStore({ resolver, baseUrl: args.root });
  const blockCache = args.blockCacheBytes > 0 ? createBlockCache(args.blockCacheBytes) : undefined;
  const counter = { bytes: 0 };
  const cogs = new Map<string, Promise<Cog>>();
  const deps: ExtractDeps = {
    registry,
    lookups,
    openCog: (url) => {
      let p = cogs.get(url);
      if (!p) {
        p = openCog(counting(resolver.open(url), counter), blockCache ? { blockCache } : {});
        cogs.set(url, p);
      }
      return p;
    },
    baseUrl: args.root,
    limits: { maxCells: 1_000_000, maxShapes: 100, maxCoordinates: 10_000 },
    ...(args.tuning ? { tuning: args.tuning } : {}),
  };
  const request: ExtractRequest = {
    dataset_id: 'paleocar_v3',
    variable_id: 'ppt_annual',
    selected_area: args.polygon,
    zonal_statistic: 'mean',
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
    time_range: null,
  };
  const runs: number[] = [];
  const cpu: number[] = [];
  const bytes: number[] = [];
  let out: Awaited<ReturnType<typeof runExtraction>> | null = null;
  for (let i = 0; i < args.reps; i++) {
    blockCache?.clear(); // every run decodes from the file, as a fresh job on a cold cache would
    counter.bytes = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    out = await runExtraction(request, deps, { signal: new AbortController().signal });
    runs.push((performance.now() - t0) / 1000);
    const c1 = process.cpuUsage(c0);
    cpu.push((c1.user + c1.system) / 1e6);
    bytes.push(counter.bytes);
  }
  const base = out?.base_series;
  process.stdout.write(
    JSON.stringify({
      runs,
      cpu,
      bytes,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      n_cells: out?.result.n_cells,
      timesteps: base?.timesteps.length,
      mean: base?.mean,
      median: base?.median,
    }),
  );
  for (const c of cogs.values()) await (await c).close();
  await resolver.close();
}

await main();
