/**
 * The timeseries API shapes (docs/API.md). Plain data: JSON-serialisable, no NaN
 * (missing values are `null`).
 */

export type ZonalStatistic = 'mean' | 'median';

export interface TimeRange {
  gte: string;
  lte: string;
}

export type Transform =
  | { type: 'NoTransform' }
  | { type: 'ZScoreFixedInterval'; time_range?: TimeRange | null }
  | { type: 'ZScoreMovingInterval'; width: number };

export type Smoother =
  { type: 'NoSmoother' } | { type: 'MovingAverageSmoother'; method: 'centered' | 'trailing'; width: number };

export interface SeriesOptions {
  name: string;
  smoother: Smoother;
}

export type { CoverageMode } from '../geo/coverage.js';
import type { CoverageMode } from '../geo/coverage.js';

/** GeoJSON input as accepted by extract (lon/lat, EPSG:4326). Validated by the geo module. */
export type GeoJsonInput = Record<string, unknown>;

/** Body of `POST /timeseries/extract` (and the v2 `POST /timeseries`). */
export interface ExtractRequest {
  dataset_id: string;
  variable_id: string;
  selected_area: GeoJsonInput;
  zonal_statistic: ZonalStatistic;
  transform: Transform;
  requested_series_options: SeriesOptions[];
  time_range: TimeRange | null;
  /** Milliseconds. */
  max_processing_time?: number;
  coverage?: CoverageMode;
}

/** Body of `POST /timeseries/analyze`. */
export interface AnalyzeRequest {
  extraction_id: string;
  zonal_statistic: ZonalStatistic;
  transform: Transform;
  requested_series_options: SeriesOptions[];
  time_range?: TimeRange | null;
}

export interface SummaryStat {
  name: string;
  mean: number | null;
  median: number | null;
  stdev: number | null;
}

export interface Series {
  options: SeriesOptions;
  /** First and last timestep actually in `values`. */
  time_range: TimeRange;
  /** One timestep key per value. */
  timesteps: string[];
  values: (number | null)[];
}

export interface TimeseriesResponse {
  dataset_id: string;
  variable_id: string;
  /** Square metres (geodesic, geographic CRS) or CRS units² (projected). */
  area: number;
  n_cells: number;
  summary_stats: SummaryStat[];
  series: Series[];
  transform: Transform;
  zonal_statistic: ZonalStatistic;
}

/** The untransformed per-timestep statistics an extraction stores for later analyze calls. */
export interface BaseSeries {
  timesteps: string[];
  mean: (number | null)[];
  median: (number | null)[];
}
