/**
 * Analyze: a stored base series → a TimeseriesResponse (docs/API.md, `POST /timeseries/analyze`). Pure.
 *
 * Order: pick the statistic's series → transform over the FULL stored series (fixed references and moving windows
 * may use any extracted timestep) → slice to `time_range` (normalised to the stored precision) → smooth each
 * series option → summary statistics. `originalEntry` (the v2 route) prepends an "Original" summary over the
 * untransformed values of the range, and `smoothBeforeSlice` smooths on the full series so edges use real
 * neighbours.
 */
import { AppError } from '../errors.js';
import { STATIC_KEY } from '../registry/lookup.resolve.js';
import { normalizeTimestep } from '../registry/timestep.js';
import { fromNullable, summarize, toNullable } from './series.js';
import { applySmoother } from './smoothers.js';
import { applyTransform } from './transforms.js';
import type {
  BaseSeries,
  Series,
  SeriesOptions,
  SummaryStat,
  TimeRange,
  TimeseriesResponse,
  Transform,
  ZonalStatistic,
} from './types.js';

/** What analyze needs from a request (AnalyzeRequest without `extraction_id`). */
export interface AnalyzeParams {
  zonal_statistic: ZonalStatistic;
  transform: Transform;
  requested_series_options: SeriesOptions[];
  time_range?: TimeRange | null;
}

/** Facts about the extraction echoed in the response. `area`: m² (geographic CRS) or CRS units²; cells. */
export interface AnalyzeMeta {
  dataset_id: string;
  variable_id: string;
  area: number;
  n_cells: number;
}

/** Options of {@link analyzeBaseSeries}. */
export interface AnalyzeOptions {
  /** Prepend an "Original" summary entry over the untransformed values when a transform is requested (v2). */
  originalEntry?: boolean;
  /** Smooth over the full stored series before slicing to `time_range` (v2: edges use data outside the range). */
  smoothBeforeSlice?: boolean;
}

/**
 * Builds the response for `request` from `base`.
 * @throws AppError `time_range_empty` (422) when `time_range` or a fixed reference range selects no timestep;
 *   `timestep_malformed` (from the registry's normaliser) for a bound that cannot be normalised.
 */
export function analyzeBaseSeries(
  base: BaseSeries,
  request: AnalyzeParams,
  meta: AnalyzeMeta,
  options: AnalyzeOptions = {},
): TimeseriesResponse {
  const keys = base.timesteps;
  const raw = fromNullable(request.zonal_statistic === 'median' ? base.median : base.mean);
  if (raw.length !== keys.length) {
    throw new AppError('internal_error', `Base series has ${raw.length} values for ${keys.length} timesteps.`);
  }
  const first = keys[0];
  // A static release's series has one value under the key `static`: ranges do not apply to it.
  const normalize = (key: string): string =>
    first === undefined ? key : first === STATIC_KEY ? STATIC_KEY : normalizeTimestep(key, first);
  const transformed = applyTransform(raw, keys, request.transform, { normalize });

  // Slice bounds [from, to) over the stored keys.
  let from = 0;
  let to = keys.length;
  const range = request.time_range ?? null;
  if (range !== null) {
    const gte = normalize(range.gte);
    const lte = normalize(range.lte);
    from = keys.findIndex((k) => k >= gte);
    if (from === -1) from = keys.length;
    to = from;
    while (to < keys.length && (keys[to] as string) <= lte) to++;
  }
  if (to === from) {
    throw new AppError(
      'time_range_empty',
      `Requested time_range [${range?.gte ?? ''}, ${range?.lte ?? ''}] has no overlap with the extraction range ` +
        `[${first ?? ''}, ${keys[keys.length - 1] ?? ''}].`,
    );
  }
  const timesteps = keys.slice(from, to);
  const timeRange: TimeRange = { gte: timesteps[0] as string, lte: timesteps[timesteps.length - 1] as string };
  const sliced = transformed.subarray(from, to);

  const summary_stats: SummaryStat[] = [];
  const transformRequested = request.transform.type !== 'NoTransform';
  if (options.originalEntry === true && transformRequested) {
    summary_stats.push({ name: 'Original', ...summarize(raw.subarray(from, to)) });
  }
  const series: Series[] = request.requested_series_options.map((opt) => {
    const values = options.smoothBeforeSlice
      ? applySmoother(transformed, opt.smoother).subarray(from, to)
      : applySmoother(sliced, opt.smoother);
    summary_stats.push({ name: opt.name, ...summarize(values) });
    return { options: opt, time_range: { ...timeRange }, timesteps: timesteps.slice(), values: toNullable(values) };
  });

  return {
    dataset_id: meta.dataset_id,
    variable_id: meta.variable_id,
    area: meta.area,
    n_cells: meta.n_cells,
    summary_stats,
    series,
    transform: request.transform,
    zonal_statistic: request.zonal_statistic,
  };
}
