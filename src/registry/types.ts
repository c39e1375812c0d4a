import type { Affine } from '../geo/affine.js';

/**
 * One variable of a registry dataset (`metadata.yml`). Unknown YAML keys are kept in `raw` and passed through to
 * `/metadata` unchanged.
 */
export interface VariableEntry {
  id: string;
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
}

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

/** The timesteps a time range selects, in order, and where each one's band lives. */
export interface TemporalSelection {
  /** Lookup keys selected, chronological. */
  timesteps: string[];
  /** Absolute URL (storage base + file) and 1-based band of each timestep, parallel to `timesteps`. */
  refs: { url: string; bidx: number }[];
}
