import type { Affine } from '../geo/affine.js';

/**
 * How a variable of a pinned release is drawn, from the display preferences and palettes (docs/RELEASES.md). Tiles of
 * such a variable ignore the `colormap` and `rescale` queries. Ranges are in physical units (after scale/offset).
 */
export type VariableDisplay =
  | {
      type: 'continuous';
      /** Palette name (a `ramp`). */
      palette: string;
      /** The ramp's `#rrggbb` colours, interpolated across `range` (256 entries). */
      colors: readonly string[];
      /** [lower, upper] physical values mapped onto the first and last colour (lower < upper, finite). */
      range: readonly [number, number];
    }
  | {
      type: 'categorical';
      /** Palette name (a `set`). */
      palette: string;
      /** The set's `#rrggbb` colours: colour i draws the i-th category in value order. */
      colors: readonly string[];
      /** Category values (physical), ascending; any other value is drawn transparent. */
      categories: readonly number[];
    };

/**
 * One variable of a registry dataset (`metadata.yml`, or composed from a pinned release). Unknown YAML keys are kept in
 * `raw` and passed through to the legacy `/metadata` unchanged.
 */
export interface VariableEntry {
  id: string;
  /** Release variables: how tiles draw it (the `colormap`/`rescale` queries are then ignored). */
  display?: VariableDisplay;
  /**
   * Release variables: physical value = stored value × `scale` + `offset` (extraction and tiles apply it). Absent =
   * 1 and 0 (the `metadata.yml` registry serves stored values as they are).
   */
  scale?: number;
  offset?: number;
  /** Colormap name after the startup default (`viridis` when missing or empty). */
  colormap: string;
  /** `#rrggbb` stops shown in /metadata (custom maps: as written; built-ins: 256 entries). */
  colormapStops: string[];
  /** Every key of the YAML variable object, plus `colormap` and `colormap_stops`, for /metadata. */
  raw: Record<string, unknown>;
}

/** One registry dataset (`metadata.yml`). */
export interface DatasetEntry {
  id: string;
  /** CRS string as written in the registry, e.g. `EPSG:4269`. */
  crs: string;
  /** Geotransform of the dataset grid (first 6 numbers of the registry transform), CRS units. */
  transform: Affine;
  /** Default extraction period (`timespan.period.gte/lte`), strings as in the registry, or null. */
  period: { gte: string; lte: string } | null;
  variables: VariableEntry[];
  /** Every key of the YAML dataset object (variables enriched), in file order, for /metadata. */
  raw: Record<string, unknown>;
  /**
   * Set for a dataset served from a pinned release: the release contract's time protocol applies (docs/RELEASES.md:
   * tile keys must be canonical — malformed 422, unknown 404; a range that selects nothing is 422 "The time range
   * [gte, lte] selects no timesteps."). `static` datasets have the single key `static`.
   */
  release?: { releaseId: string; precision: TimeKeyPrecision | 'static' };
}

/** Precision of a release's timestep keys: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`. */
export type TimeKeyPrecision = 'year' | 'month' | 'day' | 'datetime';

/** The loaded dataset registry (immutable once loaded). */
export interface Registry {
  /** Datasets in registry (file) order. */
  list(): readonly DatasetEntry[];
  get(datasetId: string): DatasetEntry | null;
  getVariable(datasetId: string, variableId: string): VariableEntry | null;
}

/** One lookup entry: which file and 1-based band hold a timestep. `file` is relative to the storage root. */
export interface LookupEntry {
  file: string;
  bidx: number;
}

/** A dataset's validated `lookup.json`: variable → ordered (timestep key → entry). Key order is chronological. */
export type Lookup = ReadonlyMap<string, ReadonlyMap<string, LookupEntry>>;

/** Where a dataset's lookup comes from: `lookup.json` files (`LookupStore`) or a composed in-memory registry. */
export interface LookupSource {
  /**
   * The dataset's lookup (variable → timestep → file and band, files relative to the storage root).
   * @throws AppError as `LookupStore.get`, or `dataset_not_found`.
   */
  get(datasetId: string, options?: { signal?: AbortSignal }): Promise<Lookup>;
}

/** The timesteps a time range selects, in order, and where each one's band lives. */
export interface TemporalSelection {
  /** Lookup keys selected, chronological. */
  timesteps: string[];
  /** Absolute URL (storage base + file) and 1-based band of each timestep, parallel to `timesteps`. */
  refs: { url: string; bidx: number }[];
}
