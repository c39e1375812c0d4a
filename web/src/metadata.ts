/**
 * What the viewer needs of `GET /metadata`, read from either shape the server answers:
 * - schema 1.x (a server with a release pin): `{schema_version, datasets: [...]}`, every variable with a `display`
 *   entry (palette, colours, range); the server styles the tiles itself, so tile URLs carry no query;
 * - the legacy registry (an array of datasets, also `/v2/metadata`): `region`, `timespan`, per variable `colormap`,
 *   `colormap_stops`, `min`/`max`; tile URLs carry `colormap` and `rescale`.
 * The shape is detected, never configured. Coordinates are lon/lat degrees (EPSG:4326).
 */
import { timeAxis, type Precision } from './timeaxis.js';

/** One variable as the viewer shows it. */
export interface ViewerVariable {
  id: string;
  title: string;
  /** Units of the values (legend, chart axis); '' when unknown. */
  unit: string;
  /** Colour stops of the legend (`#rrggbb`), low to high. */
  colors: string[];
  /** Values mapped onto the first and last colour, in `unit`; null when the metadata gives none. */
  range: [number, number] | null;
  /** Palette name (legacy: sent as `colormap` with every tile request). */
  palette: string;
  /** Shown under the legend (schema 1.x `display.note`, legacy `description`). */
  note: string;
}

/** One dataset as the viewer shows it. */
export interface ViewerDataset {
  id: string;
  title: string;
  description: string;
  /** `[west, south, east, north]` in degrees, or null when unknown. */
  bbox: [number, number, number, number] | null;
  /** Initial view (centre lon/lat, zoom), or null: fit `bbox`. */
  view: { lon: number; lat: number; zoom: number } | null;
  precision: Precision;
  /** Every timestep key in axis order (`YYYY`, `YYYY-MM` …). */
  timesteps: string[];
  variables: ViewerVariable[];
  defaultVariable: string;
}

/** The normalised registry: the shape that was read, and the datasets in display order. */
export interface ViewerMetadata {
  schema: 'legacy' | '1.x';
  datasets: ViewerDataset[];
}

/** Thrown when the answer is neither shape (shown to the user as is). */
export class MetadataError extends Error {}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function bboxOf(v: unknown): [number, number, number, number] | null {
  if (!Array.isArray(v) || v.length !== 4) return null;
  const n = v.map(num);
  const [w, s, e, north] = n;
  if (w == null || s == null || e == null || north == null || w >= e || s >= north) return null;
  return [w, s, e, north];
}

function colorsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((c): c is string => typeof c === 'string' && /^#[0-9a-fA-F]{6}$/.test(c)) : [];
}

/** Reads either shape of `GET /metadata`. */
export function readMetadata(body: unknown): ViewerMetadata {
  if (Array.isArray(body)) {
    // The legacy UI lists datasets by `ordering` (missing: last), ties in file order.
    const order = (d: Json): number => num(d['ordering']) ?? Number.POSITIVE_INFINITY;
    const sorted = body.filter(isObject).sort((a, b) => order(a) - order(b) || 0);
    return { schema: 'legacy', datasets: sorted.map(readLegacyDataset) };
  }
  if (isObject(body) && typeof body['schema_version'] === 'string' && Array.isArray(body['datasets'])) {
    const version = body['schema_version'];
    if (!version.startsWith('1.')) {
      throw new MetadataError(`This viewer reads metadata schema 1.x; the server answers schema ${version}.`);
    }
    return { schema: '1.x', datasets: body['datasets'].filter(isObject).map(readDataset) };
  }
  throw new MetadataError('The server’s /metadata answer is neither a list of datasets nor a schema 1.x document.');
}

/** Schema 1.x dataset. */
function readDataset(d: Json): ViewerDataset {
  const time = isObject(d['time']) ? d['time'] : {};
  const mv = isObject(d['map_view']) ? d['map_view'] : null;
  const centre = mv && isObject(mv['center']) ? mv['center'] : null;
  const lon = num(centre?.['lon']);
  const lat = num(centre?.['lat']);
  const zoom = num(mv?.['zoom']);
  const precision = str(time['precision'], 'year') as Precision;
  const values = Array.isArray(time['values'])
    ? time['values'].filter((v): v is string => typeof v === 'string')
    : null;
  const timesteps =
    str(time['kind']) === 'enumerated' && values
      ? values
      : str(time['kind']) === 'static'
        ? ['static']
        : timeAxis(str(time['origin']), str(time['end']), precision, str(time['step']) || null);
  const variables = (Array.isArray(d['variables']) ? d['variables'] : []).filter(isObject).map((v): ViewerVariable => {
    const display = isObject(v['display']) ? v['display'] : {};
    const r = Array.isArray(display['range']) ? display['range'].map(num) : [];
    return {
      id: str(v['id']),
      title: str(v['title'], str(v['id'])),
      unit: str(v['unit']),
      colors: colorsOf(display['colors']),
      range: r.length === 2 && r[0] != null && r[1] != null ? [r[0], r[1]] : null,
      palette: str(display['palette']),
      note: str(display['note']),
    };
  });
  return {
    id: str(d['id']),
    title: str(d['title'], str(d['id'])),
    description: str(d['description']),
    bbox: bboxOf(d['bbox']),
    view: lon != null && lat != null && zoom != null ? { lon, lat, zoom } : null,
    precision,
    timesteps,
    variables,
    defaultVariable: str(d['default_variable'], variables[0]?.id ?? ''),
  };
}

/** Legacy precision: `timespan.resolution` is `year`, `''` (one timestep) or `{years: 1}`, `{months: 1}` … */
function legacyPrecision(resolution: unknown, gte: string): Precision {
  if (isObject(resolution)) return 'months' in resolution || 'month' in resolution ? 'month' : 'year';
  if (resolution === 'month' || resolution === 'months') return 'month';
  return gte.length === 7 ? 'month' : 'year';
}

/** Legacy registry dataset (the upstream `metadata.yml` fields, passed through). */
function readLegacyDataset(d: Json): ViewerDataset {
  const region = isObject(d['region']) ? d['region'] : {};
  const timespan = isObject(d['timespan']) ? d['timespan'] : {};
  const period = isObject(timespan['period']) ? timespan['period'] : {};
  const gte = str(period['gte']);
  const lte = str(period['lte']);
  const precision = legacyPrecision(timespan['resolution'], gte);
  // region.extents is [[north, west], [south, east]]; region.center is [lat, lon].
  const ext = Array.isArray(region['extents']) ? region['extents'] : [];
  const nw = Array.isArray(ext[0]) ? ext[0].map(num) : [];
  const se = Array.isArray(ext[1]) ? ext[1].map(num) : [];
  const bbox = bboxOf([nw[1], se[0], se[1], nw[0]].map((v) => v ?? null));
  const centre = Array.isArray(region['center']) ? region['center'].map(num) : [];
  const zoom = num(region['zoom']);
  const variables = (Array.isArray(d['variables']) ? d['variables'] : []).filter(isObject).map((v): ViewerVariable => {
    const lo = num(v['min']);
    const hi = num(v['max']);
    return {
      id: str(v['id']),
      title: str(v['name'], str(v['id'])),
      unit: str(v['units']),
      colors: colorsOf(v['colormap_stops']),
      // The server's default rescale is 0,100 when the registry gives no bounds.
      range: lo != null && hi != null && lo < hi ? [lo, hi] : [0, 100],
      palette: str(v['colormap'], 'viridis'),
      note: str(v['description']),
    };
  });
  // The legacy zoom is Leaflet's (256 px tiles), one level off MapLibre's: the extent, when given, is fitted instead.
  const view =
    bbox === null && centre[0] != null && centre[1] != null && zoom != null
      ? { lat: centre[0], lon: centre[1], zoom: zoom - 1 }
      : null;
  return {
    id: str(d['id']),
    title: str(d['title'], str(d['id'])),
    description: str(d['description']),
    bbox,
    view,
    precision,
    timesteps: gte && lte ? timeAxis(gte, lte, precision, null) : [],
    variables,
    defaultVariable: variables[0]?.id ?? '',
  };
}

/** The tile URL template of one timestep (`{z}/{x}/{y}` left for MapLibre), relative to the page's origin. */
export function tileUrl(
  meta: ViewerMetadata,
  dataset: ViewerDataset,
  variable: ViewerVariable,
  timestep: string,
): string {
  const base = `/tiles/${encodeURIComponent(dataset.id)}/${encodeURIComponent(variable.id)}/${encodeURIComponent(timestep)}/{z}/{x}/{y}`;
  if (meta.schema === '1.x') return base;
  const query = new URLSearchParams({ colormap: variable.palette });
  if (variable.range) query.set('rescale', `${variable.range[0]},${variable.range[1]}`);
  return `${base}.png?${query.toString()}`;
}

/** What the viewer opens on: a dataset, one of its variables and a timestep index. */
export interface ViewerChoice {
  dataset: ViewerDataset;
  variable: ViewerVariable | null;
  /** Index into `dataset.timesteps`; -1 when the dataset has none. */
  index: number;
}

/**
 * The dataset, variable and timestep to show for the wanted ids (from the URL; unknown or absent ones fall back to
 * the first dataset, its default variable and its last timestep). Null when the registry lists no dataset.
 */
export function chooseView(
  meta: ViewerMetadata,
  datasetId: string | undefined,
  variableId: string | undefined,
  timestep: string | undefined,
): ViewerChoice | null {
  const dataset = meta.datasets.find((x) => x.id === datasetId) ?? meta.datasets[0];
  if (!dataset) return null;
  const variable =
    dataset.variables.find((v) => v.id === variableId) ??
    dataset.variables.find((v) => v.id === dataset.defaultVariable) ??
    dataset.variables[0] ??
    null;
  const i = timestep === undefined ? -1 : dataset.timesteps.indexOf(timestep);
  return { dataset, variable, index: i >= 0 ? i : dataset.timesteps.length - 1 };
}
