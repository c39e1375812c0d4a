/**
 * The chart's controls as API bodies: the statistic, the transform (none, z-score over a fixed interval, moving
 * z-score) and the smoother (none, centred or trailing moving average), for `POST /timeseries/extract` and
 * `POST /timeseries/analyze` (docs/API.md, Timeseries), and the API's series as chart columns.
 */
import { keyToYear } from './timeaxis.js';

export type Statistic = 'mean' | 'median';
export type TransformKind = 'none' | 'zscore' | 'moving';
export type SmootherKind = 'none' | 'centered' | 'trailing';

/** What the chart shows (all of it lives in the URL). */
export interface AnalysisOptions {
  stat: Statistic;
  transform: TransformKind;
  /** Fixed z-score reference interval (timestep keys), or null = the whole series. */
  refFrom: string | null;
  refTo: string | null;
  /** Moving z-score window, timesteps (1…200). */
  zWidth: number;
  smoother: SmootherKind;
  /** Moving-average width, timesteps (1…200; odd when centred). */
  smoothWidth: number;
}

export const DEFAULT_ANALYSIS: AnalysisOptions = {
  stat: 'mean',
  transform: 'none',
  refFrom: null,
  refTo: null,
  zWidth: 30,
  smoother: 'none',
  smoothWidth: 11,
};

/** The name of the one series the viewer requests. */
export const SERIES_NAME = 'series';

const clampWidth = (w: number): number => Math.min(200, Math.max(1, Math.round(Number.isFinite(w) ? w : 1)));

/** The `transform` body field. */
export function transformBody(o: AnalysisOptions): Record<string, unknown> {
  if (o.transform === 'zscore') {
    return {
      type: 'ZScoreFixedInterval',
      time_range: o.refFrom !== null && o.refTo !== null ? { gte: o.refFrom, lte: o.refTo } : null,
    };
  }
  if (o.transform === 'moving') return { type: 'ZScoreMovingInterval', width: clampWidth(o.zWidth) };
  return { type: 'NoTransform' };
}

/** The `requested_series_options` body field (one series). A centred width is made odd (the API requires it). */
export function seriesOptionsBody(o: AnalysisOptions): Record<string, unknown>[] {
  if (o.smoother === 'none') return [{ name: SERIES_NAME, smoother: { type: 'NoSmoother' } }];
  let width = clampWidth(o.smoothWidth);
  if (o.smoother === 'centered' && width % 2 === 0) width = width === 200 ? 199 : width + 1;
  return [{ name: SERIES_NAME, smoother: { type: 'MovingAverageSmoother', method: o.smoother, width } }];
}

/** Whether the options are what an extraction returns without analysis (no transform, no smoother). */
export function isRaw(o: AnalysisOptions): boolean {
  return o.transform === 'none' && o.smoother === 'none';
}

/** Body of `POST /timeseries/extract` for an area (GeoJSON, lon/lat); always the raw series over the whole axis. */
export function extractBody(
  dataset: string,
  variable: string,
  area: unknown,
  stat: Statistic,
): Record<string, unknown> {
  return {
    dataset_id: dataset,
    variable_id: variable,
    selected_area: area,
    zonal_statistic: stat,
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: SERIES_NAME, smoother: { type: 'NoSmoother' } }],
    time_range: null,
  };
}

/** Body of `POST /timeseries/analyze` on a stored extraction. */
export function analyzeBody(extractionId: string, o: AnalysisOptions): Record<string, unknown> {
  return {
    extraction_id: extractionId,
    zonal_statistic: o.stat,
    transform: transformBody(o),
    requested_series_options: seriesOptionsBody(o),
  };
}

/** A TimeseriesResponse (docs/API.md), the parts the viewer reads. */
export interface TimeseriesResult {
  dataset_id: string;
  variable_id: string;
  /** m² (geodesic) for geographic CRSs. */
  area: number;
  n_cells: number;
  summary_stats: { name: string; mean: number | null; median: number | null; stdev: number | null }[];
  series: { options: { name: string }; timesteps: string[]; values: (number | null)[] }[];
  transform: { type: string };
  zonal_statistic: string;
}

/**
 * Chart columns of a result's first series: x in decimal years, y with null where a value is missing. Where
 * consecutive timesteps are more than one step apart in the axis (a missing year that the answer left out), a null
 * point is inserted so the line breaks there instead of joining across the gap.
 */
export function chartColumns(result: TimeseriesResult): { x: number[]; y: (number | null)[]; points: number } {
  const s = result.series[0];
  if (s === undefined) return { x: [], y: [], points: 0 };
  const x: number[] = [];
  const y: (number | null)[] = [];
  const xs = s.timesteps.map(keyToYear);
  const steps = xs
    .slice(1)
    .map((v, i) => v - (xs[i] ?? v))
    .filter((d) => d > 0);
  const step = steps.length > 0 ? Math.min(...steps) : 1;
  xs.forEach((xv, i) => {
    const prev = xs[i - 1];
    if (prev !== undefined && xv - prev > step * 1.5) {
      x.push((prev + xv) / 2);
      y.push(null);
    }
    x.push(xv);
    const v = s.values[i];
    y.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
  });
  return { x, y, points: s.values.length };
}

/** A CSV cell, quoted when it holds a quote, comma or line break (RFC 4180). */
function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A result as CSV in the layout of the export route (`GET /timeseries/export/{id}?format=csv`): `timestep,<series
 * name>…`, one row per timestep, missing values empty. For the series as shown (the analyze answer), which the
 * server does not keep.
 */
export function resultCsv(result: TimeseriesResult): string {
  const header = ['timestep', ...result.series.map((s) => s.options.name)].map(csvCell).join(',');
  const rows = (result.series[0]?.timesteps ?? []).map((t, i) =>
    [csvCell(t), ...result.series.map((s) => (s.values[i] == null ? '' : String(s.values[i])))].join(','),
  );
  return [header, ...rows].join('\n') + '\n';
}

/** The timesteps where a result's first series has no value (the area had no valid cell), in axis order. */
export function missingTimesteps(result: TimeseriesResult): string[] {
  const s = result.series[0];
  return s ? s.timesteps.filter((_t, i) => s.values[i] == null) : [];
}
