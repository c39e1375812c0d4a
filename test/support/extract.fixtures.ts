/**
 * Test support: ExtractDeps over local COGs (file sources, the real COG reader) and a registry built in code.
 * Used by the pipeline tests, the cross-check and the benchmark; not imported by production code.
 */
import type { Affine } from '../../src/geo/affine.js';
import { openCog } from '../../src/raster/cog.js';
import type { Cog } from '../../src/raster/types.js';
import type { DatasetEntry, Lookup, LookupEntry, Registry } from '../../src/registry/types.js';
import { FileSource } from '../../src/storage/source.file.js';
import type { ExtractDeps } from '../../src/timeseries/extract.js';
import type { GeometryEngine } from '../../src/geo/geos.js';

/** One dataset of a test registry: CRS, grid transform (CRS units), period and variables with their lookups. */
export interface TestDataset {
  id: string;
  crs: string;
  transform: Affine;
  period: { gte: string; lte: string } | null;
  /** variable id → ordered timestep key → file (relative to the base directory) and 1-based band. */
  variables: Record<string, [key: string, entry: LookupEntry][]>;
}

/** A Registry over `datasets`. */
export function testRegistry(datasets: TestDataset[]): Registry {
  const entries: DatasetEntry[] = datasets.map((d) => ({
    id: d.id,
    crs: d.crs,
    transform: d.transform,
    period: d.period,
    variables: Object.keys(d.variables).map((id) => ({ id, colormap: 'viridis', colormapStops: [], raw: { id } })),
    raw: { id: d.id },
  }));
  return {
    list: () => entries,
    get: (id) => entries.find((e) => e.id === id) ?? null,
    getVariable: (id, v) => entries.find((e) => e.id === id)?.variables.find((x) => x.id === v) ?? null,
  };
}

/** ExtractDeps reading COGs under `baseDir` (each opened once and cached). */
export function testDeps(
  geometry: GeometryEngine,
  baseDir: string,
  datasets: TestDataset[],
  limits: Partial<ExtractDeps['limits']> = {},
  tuning?: ExtractDeps['tuning'],
): ExtractDeps & { close(): Promise<void> } {
  const lookups = new Map<string, Lookup>(
    datasets.map((d) => [
      d.id,
      new Map(Object.entries(d.variables).map(([v, steps]) => [v, new Map(steps)])) as Lookup,
    ]),
  );
  const cogs = new Map<string, Promise<Cog>>();
  return {
    geometry,
    registry: testRegistry(datasets),
    lookups: {
      get: (id) => {
        const l = lookups.get(id);
        return l ? Promise.resolve(l) : Promise.reject(new Error(`no lookup for ${id}`));
      },
    },
    openCog: (url) => {
      let cog = cogs.get(url);
      if (!cog) {
        cog = openCog(new FileSource(url));
        cogs.set(url, cog);
        cog.catch(() => cogs.delete(url));
      }
      return cog;
    },
    baseUrl: baseDir,
    limits: { maxCells: 1_000_000, maxShapes: 100, maxCoordinates: 10_000, ...limits },
    ...(tuning ? { tuning } : {}),
    async close() {
      for (const c of cogs.values()) await c.then((x) => x.close()).catch(() => undefined);
    },
  };
}

/** `[key, {file, bidx}]` for bands 1…n of `file` with keys from `keys`. */
export function bandsOf(file: string, keys: string[]): [string, LookupEntry][] {
  return keys.map((k, i) => [k, { file, bidx: i + 1 }]);
}
