/**
 * The extraction pipeline (docs/API.md, `POST /timeseries/extract`): request → registry and geometry checks →
 * time selection → pixel window and coverage → band chunks read through the raster engine → per-band zonal
 * statistics → base series and response.
 *
 * Memory stays bounded: a task holds at most `chunkBytes` of samples (bands × window cells × sample size) at once, and
 * at most `runner.parallelism` tasks run at once; the cube is never held whole.
 */
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { AppError, isAppError } from '../errors.js';
import type { Affine } from '../geo/affine.js';
import { areaSize, cellLayout, extractionWindow, layoutCells, projectArea, type ProjectedArea } from '../geo/area.js';
import { computeCoverage, type Coverage, type CoverageMode } from '../geo/coverage.js';
import type { GeometryEngine, Rings } from '../geo/geos.js';
import type { Crs } from '../geo/crs.js';
import { resolveCrs } from '../geo/crs.js';
import { footprintRelation } from '../geo/footprint.js';
import { parseSelectedArea, type SelectedArea } from '../geo/geojson.js';
import type { CogHeader } from '../raster/header.js';
import type { Cog, PixelWindow } from '../raster/types.js';
import { resolveTemporalSlice } from '../registry/lookup.resolve.js';
import { requireVariable } from '../registry/registry.js';
import type { DatasetEntry, Lookup, Registry, TemporalSelection } from '../registry/types.js';
import type { FetchOptions } from '../storage/source.js';
import { analyzeBaseSeries } from './analyze.js';
import { localReduceRunner, shareable, type ReduceRunner } from './reduce.js';
import type { StatsCache } from './stats.cache.js';
import { cellRuns, supportsStrips, type CellRuns } from './stats.strips.js';
import type { BaseSeries, ExtractRequest, TimeRange, TimeseriesResponse } from './types.js';

/** What {@link computeCoverage} needs: plain data, so it can run on a worker thread. */
export interface CoverageInput {
  /** The area in dataset CRS units. */
  projected: ProjectedArea;
  /** The area's dense pixel window on the dataset grid (`ExtractPlan.window`). */
  window: PixelWindow;
  /** The dataset grid (CRS units per pixel). */
  transform: Affine;
  mode: CoverageMode;
  /** Cells of the area outside the window (`ExtractPlan.points`), for the coverage fallbacks. */
  outside?: number;
  /** The selection as given (lon/lat) and the dataset CRS (`DatasetEntry.crs`), for the area of the selection. */
  area: SelectedArea;
  crs: string;
}

/** A coverage and the area of the selection (`areaSize`: m² geodesic, or CRS units² when projected). */
export type AreaCoverage = Coverage & { area: number };

/**
 * The coverage and the area of the selection: the unbounded geometry work of an extraction (unions of up to the
 * coordinate limit), kept together so the service runs it on a pool thread, never on the event loop.
 */
export function coverageAndArea(input: CoverageInput, geometry: GeometryEngine): AreaCoverage {
  const { projected, window, transform, mode, outside } = input;
  const coverage = computeCoverage(projected, window, transform, mode, geometry, outside);
  return { ...coverage, area: areaSize(input.area, resolveCrs(input.crs), geometry) };
}

/** What the pipeline needs from the service (passed in; no singletons). */
export interface ExtractDeps {
  registry: Registry;
  lookups: { get(datasetId: string, o?: FetchOptions): Promise<Lookup> };
  /** Opens (or returns a cached) COG by absolute URL. The pipeline never closes what this returns. */
  openCog(url: string, o?: FetchOptions): Promise<Cog>;
  /** Storage root the lookup's `file` paths are relative to. */
  baseUrl: string;
  /** `maxCells`: the largest area accepted, in estimated cells (422 above); geometry complexity limits. */
  limits: { maxCells: number; maxShapes: number; maxCoordinates: number };
  /**
   * Where the files' bands are read and reduced (default: on this thread, `tuning.fileConcurrency` files at once).
   * The service passes a worker-pool runner so one extraction uses every core.
   */
  runner?: ReduceRunner;
  /**
   * Where the coverage is computed, and with it the area (`coverageAndArea`; default: on this thread). Without
   * `area` in its answer the area is computed on this thread.
   */
  coverage?(input: CoverageInput, signal: AbortSignal): Promise<Coverage & { area?: number }>;
  /** Polygon union for fractional coverage and the area of the selection (one GEOS instance per thread). */
  geometry: GeometryEngine;
  /**
   * Where the OGC validity of polygons with many coordinates is checked (GEOS `explain_validity`, ~10 ms per 1 000
   * coordinates): the first polygon's reason or null. Default: `geometry` on this thread. The service checks large
   * polygons on the worker pool so the event loop stays free.
   */
  invalidReason?(polygons: Rings[]): Promise<string | null>;
  /**
   * Statistics of bands already extracted over the same area (`stats.cache.ts`): a repeat extraction reads only the
   * bands it does not hold. None: every band is read.
   */
  statsCache?: StatsCache;
  /** Optional tuning: files read at once by the default runner (2) and bytes of samples per chunk (64 MiB). */
  tuning?: { fileConcurrency?: number; chunkBytes?: number };
}

/** Everything the checks before a job resolved; `runExtraction` continues from it. */
export interface ExtractPlan {
  dataset: DatasetEntry;
  area: SelectedArea;
  crs: Crs;
  /** The area in dataset CRS units. */
  projected: ProjectedArea;
  /**
   * The dense pixel window on the dataset grid (the polygons' window, or the first point's cell; may reach outside
   * the raster: those cells are missing). At most `limits.maxCells` cells together with `points`.
   */
  window: PixelWindow;
  /** `[col, row, …]`: the point cells outside `window`, read one cell each (row-major order). */
  points: Float64Array;
  /** The range the selection was made from (request, or the dataset period, or the whole lookup). */
  timeRange: TimeRange;
  selection: TemporalSelection;
  /**
   * The variable's encoding: statistics are computed on stored values, then mapped to physical ones (value × scale +
   * offset; mean and median commute with an affine map). 1 and 0 for the `metadata.yml` registry.
   */
  encoding: { scale: number; offset: number };
}

/** Per-run context: cancellation/deadline and progress in timesteps. */
export interface ExtractContext {
  signal: AbortSignal;
  onProgress?(done: number, total: number): void;
}

/**
 * The checks the HTTP handler runs before creating a job: ids, geometry, size, time range, and an area wholly
 * outside the dataset (422 rather than a series of missing values).
 * @throws AppError `dataset_not_found` | `variable_not_found` | `invalid_geometry` | `geometry_too_complex` |
 *   `area_too_large` | lookup errors | `timestep_malformed` | `time_range_empty` | `area_outside_dataset` | source
 *   and raster errors of the first COG.
 */
export async function preflightExtraction(
  request: ExtractRequest,
  deps: ExtractDeps,
  o?: FetchOptions,
): Promise<ExtractPlan> {
  const { dataset, variable } = requireVariable(deps.registry, request.dataset_id, request.variable_id);
  const area = parseSelectedArea(request.selected_area, {
    maxShapes: deps.limits.maxShapes,
    maxCoordinates: deps.limits.maxCoordinates,
  });
  // A large area's steps each take milliseconds of this thread: between them, other requests are answered.
  const large = area.nCoordinates > YIELD_ABOVE_COORDINATES;
  if (large) await yieldToEventLoop();
  await requireValidPolygons(area, deps);
  const crs = resolveCrs(dataset.crs);
  const projected = projectArea(area, crs);
  if (large) await yieldToEventLoop();
  // Counts exactly what the extraction allocates: the dense window, plus one cell per point outside it.
  const { window, points } = cellLayout(projected, dataset.transform);
  if (large) await yieldToEventLoop();
  const estimate = layoutCells({ window, points });
  if (estimate > deps.limits.maxCells) {
    throw new AppError(
      'area_too_large',
      `Selected area is too large. Estimated cell count: ${estimate}, maximum allowed: ${deps.limits.maxCells}.`,
      { details: { estimate, max: deps.limits.maxCells } },
    );
  }
  const lookup = await deps.lookups.get(request.dataset_id, o).catch((err: unknown) => {
    throw withDataContext(err, request, []);
  });
  const timeRange =
    request.time_range ??
    periodRange(dataset.period, lookup, request.variable_id) ??
    wholeLookup(lookup, request.variable_id);
  const selection = resolveTemporalSlice(
    lookup,
    request.variable_id,
    timeRange.gte,
    timeRange.lte,
    deps.baseUrl,
    dataset.release,
  );
  // Whether any of the area lies on the raster: the bounding window of everything is a position, never allocated.
  const bounds = extractionWindow(projected, dataset.transform);
  const firstUrl = (selection.refs[0] as { url: string }).url;
  const cog = await deps.openCog(firstUrl, o).catch((err: unknown) => {
    throw withDataContext(err, request, selection.timesteps.slice(0, 1));
  });
  if (footprintRelation(bounds, cog.metadata.width, cog.metadata.height) === 'outside') {
    throw new AppError('area_outside_dataset', `The selected area lies entirely outside dataset '${dataset.id}'.`, {
      details: { window: bounds },
    });
  }
  return {
    dataset,
    area,
    crs,
    projected,
    window,
    points,
    timeRange,
    selection,
    encoding: { scale: variable.scale ?? 1, offset: variable.offset ?? 0 },
  };
}

/**
 * Refuses a polygon (or MultiPolygon part) that is not a valid OGC simple-features polygon, in lon/lat as given,
 * with the Python service's sentence and GEOS's reason (e.g. `self-intersection[1 1]`). GEOS's check is
 * O(n log n): ~60 ms at the coordinate limit on this thread, where the unbounded work (unions, area) never runs.
 * @throws AppError `invalid_geometry`
 */
async function requireValidPolygons(
  area: SelectedArea,
  deps: Pick<ExtractDeps, 'geometry' | 'invalidReason'>,
): Promise<void> {
  const polygons = area.shapes.flatMap((s) =>
    s.type === 'Polygon' ? [s.coordinates] : s.type === 'MultiPolygon' ? s.coordinates : [],
  );
  let coordinates = 0;
  for (const rings of polygons) for (const r of rings) coordinates += r.length;
  const reason =
    deps.invalidReason !== undefined && coordinates > OFF_THREAD_VALIDITY
      ? await deps.invalidReason(polygons)
      : firstInvalidReason(polygons, deps.geometry);
  if (reason !== null) {
    throw new AppError('invalid_geometry', `Selected area is not a valid polygon: ${reason.toLowerCase()}`, {
      details: { reason },
    });
  }
}

/** Coordinates above which the pre-flight lets the event loop run between its geometry steps. */
const YIELD_ABOVE_COORDINATES = 1_000;

/** Resolves after the event loop had a turn (pending I/O and timers run first). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Coordinates above which validity is checked off the calling thread (below: well under a millisecond of GEOS). */
const OFF_THREAD_VALIDITY = 200;

/** GEOS's reason for the first invalid polygon, or null when all are valid. */
export function firstInvalidReason(polygons: readonly Rings[], geometry: GeometryEngine): string | null {
  for (const rings of polygons) {
    const reason = geometry.invalidReason(rings);
    if (reason !== null) return reason;
  }
  return null;
}

/**
 * The registry's default period, cut to the lookup's key length: it is our own configuration, and registries write
 * periods like `0103-01-01 … 2000-12-01` for yearly keys (PaleoCAR), which the strict user-input rule would refuse.
 */
function periodRange(period: TimeRange | null, lookup: Lookup, variableId: string): TimeRange | null {
  if (period === null) return null;
  const first = lookup.get(variableId)?.keys().next().value;
  if (typeof first !== 'string') return period;
  const n = first.length;
  return { gte: period.gte.slice(0, Math.max(n, 4)), lte: period.lte.slice(0, Math.max(n, 4)) };
}

/** The first and last key of the variable (used when neither the request nor the registry gives a range). */
function wholeLookup(lookup: Lookup, variableId: string): TimeRange {
  const steps = lookup.get(variableId);
  const keys = steps ? [...steps.keys()] : [];
  if (keys.length === 0) {
    throw new AppError('variable_not_found', `Variable '${variableId}' not found in lookup dictionary.`);
  }
  return { gte: keys[0] as string, lte: keys[keys.length - 1] as string };
}

/** One file's reads: its bands ascending and, per band, the timestep indices it fills. */
interface FileTask {
  url: string;
  bands: number[];
  targets: number[][];
  /** The file's header bytes, for the thread that runs the task. */
  header?: CogHeader;
}

function groupByFile(selection: TemporalSelection): FileTask[] {
  const files = new Map<string, Map<number, number[]>>();
  selection.refs.forEach((ref, i) => {
    let bands = files.get(ref.url);
    if (!bands) files.set(ref.url, (bands = new Map()));
    const list = bands.get(ref.bidx);
    if (list) list.push(i);
    else bands.set(ref.bidx, [i]);
  });
  return [...files].map(([url, bands]) => {
    const sorted = [...bands.keys()].sort((a, b) => a - b);
    return { url, bands: sorted, targets: sorted.map((b) => bands.get(b) as number[]) };
  });
}

/** Tasks per thread below which band-interleaved files are split into band ranges (keeps every thread busy). */
const TASKS_PER_THREAD = 4;
/** Most pieces a file is split into only to even out the last round of tasks. */
const MAX_BALANCE_PIECES = 4;

/**
 * Pieces to split each of `files` equal tasks into for `parallelism` threads: enough for {@link TASKS_PER_THREAD}
 * per thread; when there are that many files already, (up to {@link MAX_BALANCE_PIECES}) enough that the last round
 * leaves at most 2.5 % of the threads' time idle — 19 files on 2 threads run as 10 + 9 (one thread idle for a twentieth of the wall time), as 38 halves
 * they run 19 + 19. Pure; 1 = no split.
 */
export function shardPieces(files: number, parallelism: number): number {
  if (parallelism < 2 || files < 1) return 1;
  const want = parallelism * TASKS_PER_THREAD;
  if (files < want) return Math.ceil(want / files);
  // Enough tasks: split only to even out the last round.
  const idle = (n: number): number => (Math.ceil(n / parallelism) * parallelism - n) / n;
  let pieces = 1;
  while (pieces < MAX_BALANCE_PIECES && idle(files * pieces) > 0.025) pieces++;
  return pieces;
}

/**
 * Opens every file of the extraction at once (one round trip on remote storage, instead of one per task) and gives
 * each task the header bytes it was opened from, so the worker thread that runs it opens the file without a request
 * (and no byte of a header is read twice within one extraction). A file that cannot be opened is left out here: its
 * task then fails with the error naming it.
 */
async function openFiles(files: FileTask[], deps: ExtractDeps, signal: AbortSignal): Promise<Map<string, Cog>> {
  const opened = await Promise.all(
    files.map(async (f) => [f.url, await deps.openCog(f.url, { signal }).catch(() => null)] as const),
  );
  const cogs = new Map<string, Cog>();
  for (const [url, cog] of opened) if (cog !== null) cogs.set(url, cog);
  return cogs;
}

/**
 * Splits the files into band ranges when there are too few files to keep `parallelism` threads busy to the end.
 * Only band-interleaved files are split: a pixel-interleaved block holds every band, so two threads reading band
 * ranges of it would each decode all of it.
 */
function shardTasks(files: FileTask[], parallelism: number, cogs: ReadonlyMap<string, Cog>): FileTask[] {
  const splittable = (f: FileTask): boolean => cogs.get(f.url)?.metadata.interleave === 'band';
  const pieces = shardPieces(files.length, parallelism);
  const out: FileTask[] = [];
  for (const f of files) {
    const size = Math.ceil(f.bands.length / pieces);
    if (!splittable(f) || size < 1 || pieces < 2) {
      out.push(f);
      continue;
    }
    for (let i = 0; i < f.bands.length; i += size) out.push(bandRange(f, i, i + size));
  }
  return taperTail(out, parallelism, splittable);
}

/** Bands [start, end) of a task, with their targets. */
function bandRange<T extends BandTask>(t: T, start: number, end: number): T {
  return { ...t, bands: t.bands.slice(start, end), targets: t.targets.slice(start, end) };
}

/** What {@link taperTail} cuts: bands of one file and, per band, the timesteps it serves. */
export interface BandTask {
  bands: number[];
  targets: number[][];
}

/** Bands below which a piece of the last round is not cut in two again. */
const TAIL_MIN_BANDS = 4;

/**
 * Re-cuts the last round of tasks so the threads finish together: each of the final `parallelism` tasks that
 * `splittable` allows becomes pieces of ½, ¼, ⅛ … of its bands (down to {@link TAIL_MIN_BANDS}), and the tail runs
 * largest pieces first. Equal tasks leave a thread that runs a little slower (it shares its core with the
 * coordinating thread) finishing its last one alone — measured at 1 000 000 cells on 2 threads: ~60 ms of the other
 * thread's time idle at the end, 1.5 % of the extraction; with the tail tapered, a thread waits at most for the
 * last small piece. Pure; keeps every band once, in order within each task.
 */
export function taperTail<T extends BandTask>(tasks: T[], parallelism: number, splittable: (t: T) => boolean): T[] {
  if (parallelism < 2 || tasks.length === 0) return tasks;
  const cut = Math.max(0, tasks.length - parallelism);
  const pieces: { level: number; task: T }[] = [];
  for (const t of tasks.slice(cut)) {
    if (!splittable(t)) {
      pieces.push({ level: 0, task: t });
      continue;
    }
    let start = 0;
    for (let level = 0; start < t.bands.length; level++) {
      const left = t.bands.length - start;
      const size = left >= 2 * TAIL_MIN_BANDS ? Math.ceil(left / 2) : left;
      pieces.push({ level, task: bandRange(t, start, start + size) });
      start += size;
    }
  }
  pieces.sort((a, b) => a.level - b.level); // stable: tasks keep their order within a level
  return [...tasks.slice(0, cut), ...pieces.map((p) => p.task)];
}

/**
 * Runs one extraction: the pre-flight checks, then the files' bands reduced as tasks on the runner (all cores with
 * the worker pool), the base series (one value per selected timestep) and the response (NoTransform… as requested,
 * over the selection). Progress is reported in timesteps after every chunk of every task. The signal is honoured
 * between and during chunks.
 * @throws AppError from {@link preflightExtraction}; `deadline_exceeded` (the signal's reason said so) | `aborted` |
 *   `extraction_failed` (a read failed; the message names the file).
 */
export async function runExtraction(
  request: ExtractRequest,
  deps: ExtractDeps,
  ctx: ExtractContext,
): Promise<{ result: TimeseriesResponse; base_series: BaseSeries }> {
  const { signal } = ctx;
  checkAbort(signal, request);
  let plan: ExtractPlan;
  let coverage: Coverage & { area?: number };
  const mode: CoverageMode = request.coverage ?? 'centre';
  try {
    plan = await preflightExtraction(request, deps, { signal });
    const input: CoverageInput = {
      projected: plan.projected,
      window: plan.window,
      transform: plan.dataset.transform,
      mode,
      outside: plan.points.length / 2,
      area: plan.area,
      crs: plan.dataset.crs,
    };
    coverage = deps.coverage ? await deps.coverage(input, signal) : coverageAndArea(input, deps.geometry);
  } catch (err) {
    throw signal.aborted ? abortReason(signal, request) : err;
  }
  const total = plan.selection.timesteps.length;
  const mean = new Array<number | null>(total).fill(null);
  const median = new Array<number | null>(total).fill(null);
  const runner = deps.runner ?? localReduceRunner(deps.openCog, deps.tuning?.fileConcurrency ?? 2);
  const chunkBytes = Math.max(1, deps.tuning?.chunkBytes ?? 64 * 1024 * 1024);
  // Every task gets the same weights; in shared memory they cross to worker threads without a copy each.
  const weights = shareable(coverage.weights);
  let done = 0;
  // One failed task stops the others (their reads abort) before the error is reported.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every concurrent block read listens to it
  const onAbort = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let firstError: unknown = null;

  const { scale, offset } = plan.encoding;
  const physical = (v: number | null | undefined): number | null =>
    v === null || v === undefined ? null : scale === 1 && offset === 0 ? v : v * scale + offset;
  const cache = deps.statsCache;
  const areaKey = cache ? cache.areaKey(plan.window, weights, plan.points, mode === 'fractional') : '';
  /** The version a file's statistics are cached under (none: not cached). */
  const versions = new Map<string, string>();
  /** The runs of the area's in-area cells, when tasks reduce in strips (set before the first task runs). */
  let runs: CellRuns | undefined;

  const runTask = async (task: FileTask): Promise<void> => {
    if (stop.signal.aborted) return;
    let reported = 0;
    /** Counts the timesteps of bands [reported, upTo) as done. */
    const advance = (upTo: number): void => {
      for (let j = reported; j < upTo; j++) done += (task.targets[j] as number[]).length;
      if (upTo > reported) ctx.onProgress?.(done, total);
      reported = Math.max(reported, upTo);
    };
    try {
      const stats = await runner.reduce(
        {
          url: task.url,
          bands: task.bands,
          window: plan.window,
          weights,
          weighted: mode === 'fractional',
          chunkBytes,
          ...(plan.points.length > 0 ? { points: plan.points } : {}),
          ...(task.header ? { header: task.header } : {}),
          ...(runs ? { runs } : {}),
        },
        { signal: stop.signal, onProgress: advance },
      );
      const version = versions.get(task.url);
      if (cache && version !== undefined) cache.put(task.url, version, areaKey, task.bands, stats.mean, stats.median);
      task.targets.forEach((targets, j) => {
        for (const t of targets) {
          mean[t] = physical(stats.mean[j]);
          median[t] = physical(stats.median[j]);
        }
      });
      advance(task.bands.length);
    } catch (err) {
      if (signal.aborted || firstError !== null) return; // reported below
      const msg = err instanceof Error ? err.message : String(err);
      const keys = task.targets.flat().map((t) => plan.selection.timesteps[t] as string);
      firstError = new AppError('extraction_failed', `Timeseries extraction failed reading ${task.url}: ${msg}`, {
        cause: err,
        details: {
          ...(isAppError(err) ? { code: err.code } : {}),
          public: dataFailureSentence(request, keys, isAppError(err) ? err.code : 'internal_error'),
        },
      });
      stop.abort(firstError);
    }
  };

  try {
    const files = groupByFile(plan.selection);
    const cogs = await openFiles(files, deps, stop.signal);
    const pending: FileTask[] = [];
    for (const f of files) {
      const version = cache ? cogs.get(f.url)?.metadata.version : null;
      if (cache === undefined || version === null || version === undefined) {
        pending.push(f);
        continue;
      }
      versions.set(f.url, version);
      // Bands this area was extracted for before (same file version): their statistics, no read.
      const known = cache.get(f.url, version, areaKey);
      const left: FileTask = { url: f.url, bands: [], targets: [] };
      f.bands.forEach((b, j) => {
        const targets = f.targets[j] as number[];
        const pair = known?.bands.get(b);
        if (pair === undefined) {
          left.bands.push(b);
          left.targets.push(targets);
          return;
        }
        for (const t of targets) {
          mean[t] = physical(pair[0]);
          median[t] = physical(pair[1]);
        }
        done += targets.length;
        cache.stats.hits++;
      });
      if (left.bands.length > 0) pending.push(left);
    }
    if (done > 0) ctx.onProgress?.(done, total);
    // Unweighted areas over 8/16-bit data are reduced in strips, which walk the runs of in-area cells: computed
    // once here, in shared memory, for every task.
    const strips =
      mode !== 'fractional' &&
      plan.points.length === 0 &&
      [...cogs.values()].some((c) => supportsStrips(c.metadata.dtype));
    if (strips) runs = cellRuns(weights, plan.window.width, plan.window.height, true);
    const tasks = shardTasks(pending, runner.parallelism, cogs).map((t) => {
      const header = cogs.get(t.url)?.header;
      return header ? { ...t, header } : t;
    });
    const limit = pLimit(runner.parallelism);
    await Promise.all(tasks.map((task) => limit(() => runTask(task))));
  } catch (err) {
    if (!signal.aborted && firstError === null) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  checkAbort(signal, request);
  if (firstError !== null) throw firstError;

  const base_series: BaseSeries = { timesteps: plan.selection.timesteps.slice(), mean, median };
  const result = analyzeBaseSeries(
    base_series,
    {
      zonal_statistic: request.zonal_statistic,
      transform: request.transform,
      requested_series_options: request.requested_series_options,
    },
    {
      dataset_id: request.dataset_id,
      variable_id: request.variable_id,
      area: coverage.area ?? areaSize(plan.area, plan.crs, deps.geometry),
      n_cells: coverage.nCells + plan.points.length / 2,
    },
  );
  return { result, base_series };
}

/** Why reading failed, in a client's terms, by the error code of the read (never a path, URL or bucket). */
const READ_FAILURE: Partial<Record<string, string>> = {
  source_unavailable: 'the data storage is unavailable, retry later',
  source_read_error: 'the data storage returned incomplete data, retry later',
  source_not_found: 'the file is missing from the data storage',
  raster_invalid: 'the file is damaged or truncated',
  raster_unsupported: 'the file is in a form this service cannot read',
  band_out_of_range: 'the file does not hold the band the dataset lookup names',
  lookup_unavailable: 'the data storage is unavailable, retry later',
  lookup_invalid: 'the dataset lookup is invalid',
};

/**
 * The sentence a failed job stores for a read failure (`details.public`, shown instead of the internal message):
 * names the dataset, the variable and the timesteps of the file, and why in general terms.
 */
export function dataFailureSentence(request: ExtractRequest, timesteps: readonly string[], code: string): string {
  const sorted = [...timesteps].sort();
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const when =
    first === undefined ? '' : first === last ? `, timestep '${first}'` : `, timesteps '${first}' to '${last}'`;
  const why = READ_FAILURE[code] ?? 'an internal error occurred';
  return `Reading the data of dataset '${request.dataset_id}', variable '${request.variable_id}'${when} failed: ${why}.`;
}

/** `err` (an infrastructure AppError) with the client's sentence for it in `details.public`; other errors as they are. */
function withDataContext(err: unknown, request: ExtractRequest, timesteps: readonly string[]): unknown {
  if (!isAppError(err) || READ_FAILURE[err.code] === undefined) return err;
  return new AppError(err.code, err.message, {
    cause: err.cause ?? err,
    details: { ...err.details, public: dataFailureSentence(request, timesteps, err.code) },
  });
}

/** The error for a fired signal: its AppError reason as is; a timeout → `deadline_exceeded`; else `aborted`. */
function abortReason(signal: AbortSignal, request: ExtractRequest): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    const ms = request.max_processing_time;
    return new AppError(
      'deadline_exceeded',
      ms === undefined ? 'Processing exceeded the deadline.' : `Processing exceeded ${ms} ms.`,
      { cause: reason },
    );
  }
  return new AppError('aborted', 'The extraction was cancelled.', { cause: reason });
}

function checkAbort(signal: AbortSignal, request: ExtractRequest): void {
  if (signal.aborted) throw abortReason(signal, request);
}
