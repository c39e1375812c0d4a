/**
 * The `/metadata` 1.0.0 document of the pinned releases (docs/RELEASES.md, "/metadata"): one object
 * `{schema_version: "1.0.0", datasets}` built once at start-up from each release's overview, its time axis and the
 * display files. Every field is present; optional ones are `null`. Datasets sort by display `order`, then id; variables
 * likewise. The same display range drives tiles and the legend, so they cannot disagree.
 */
import type { DisplayFiles, DatasetPreference, MetadataDisplay } from './display.js';
import { resolveDisplay } from './display.js';
import { resolutionLabel, type LabelGrid } from './resolution.js';

/** The version this builder writes; a client refuses a document whose major version it does not know. */
export const METADATA_SCHEMA_VERSION = '1.0.0';

/** What the builder reads of one overview variable (the overview's own field names). */
export interface OverviewVariableView {
  title: string;
  description: string;
  unit: string;
  category?: string | null | undefined;
  /** Integer encoded value → meaning; present exactly for categorical variables. */
  categories?: Readonly<Record<string, string>> | null | undefined;
}

/** What the builder reads of one overview's dataset section (the overview's own field names). */
export interface OverviewDatasetView {
  id: string;
  version: string;
  title: string;
  description: string;
  profile: 'TemporalCubeDataset' | 'StaticRasterDataset';
  license: string;
  region_name: string;
  /** WGS 84 [west, south, east, north], degrees. */
  extent: { bbox: readonly number[] };
  providers: readonly { name: string; roles: readonly string[]; url?: string | null | undefined }[];
  citation?: string | null | undefined;
  doi?: string | null | undefined;
  lineage?: string | null | undefined;
  publications?: readonly { citation: string; doi?: string | null | undefined }[] | null | undefined;
  uncertainty?: { summary: string; methodology_href?: string | null | undefined } | null | undefined;
  links?: readonly { rel: string; href: string; title?: string | null | undefined }[] | null | undefined;
}

/** One served release, as the builder needs it. */
export interface ReleaseForMetadata {
  releaseId: string;
  declarationDigest: string;
  dataset: OverviewDatasetView;
  /** Overview variables by id. */
  variables: Readonly<Record<string, OverviewVariableView>>;
  /**
   * The time axis: `regular` (origin/step), `enumerated` (values) or `static` (no axis); `timesteps` is every key in
   * order (computed by the time-to-band rule), `precision` the key precision.
   */
  time:
    | { kind: 'regular'; precision: string; step: string; timesteps: readonly string[] }
    | { kind: 'enumerated'; precision: string; timesteps: readonly string[] }
    | { kind: 'static' };
  /** Pixel size, CRS units and bbox for `resolution_label`. */
  grid: LabelGrid;
}

/** A `/metadata` 1.0.0 variable. */
export interface MetadataVariable {
  id: string;
  title: string;
  description: string;
  unit: string;
  category: string | null;
  categories: Record<string, string> | null;
  labels: Record<string, string> | null;
  order: number;
  display: MetadataDisplay;
}

/** A `/metadata` 1.0.0 dataset. */
export interface MetadataDataset {
  id: string;
  title: string;
  description: string;
  version: string;
  license: string;
  profile: string;
  region_name: string;
  bbox: [number, number, number, number];
  resolution_label: string;
  time: {
    kind: 'regular' | 'enumerated';
    precision: string;
    count: number;
    origin: string;
    end: string;
    step: string | null;
    values: string[] | null;
  };
  providers: { name: string; roles: string[]; url: string | null }[];
  citation: string | null;
  doi: string | null;
  publications: { citation: string; doi: string | null }[];
  lineage: string | null;
  uncertainty: { summary: string; methodology_href: string | null } | null;
  links: { rel: string; href: string; title: string | null }[];
  order: number;
  map_view: { center: { lon: number; lat: number }; zoom: number } | null;
  default_variable: string | null;
  release_id: string;
  declaration_digest: string;
  variables: MetadataVariable[];
}

/** The whole `/metadata` answer. */
export interface MetadataDocument {
  schema_version: typeof METADATA_SCHEMA_VERSION;
  datasets: MetadataDataset[];
}

/** The static datasets' only timestep key (no time axis; tiles and extraction use it). */
export const STATIC_TIMESTEP = 'static';

/** Sorts by `order`, ties by id (string order). */
export function byOrderThenId<T extends { id: string; order: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * One dataset of the document. The display files must have passed DISP-012 and this release's DISP-013 checks.
 * A static dataset's time is described as a one-key enumerated axis whose key is `static` (precision `static`): the
 * 1.0.0 schema knows no `static` kind, and a client that validates against it must still accept the document.
 */
export function buildDatasetMetadata(release: ReleaseForMetadata, display: DisplayFiles): MetadataDataset {
  const d = release.dataset;
  const pref = display.datasets[d.id] as DatasetPreference;
  const variables = byOrderThenId(
    Object.entries(release.variables).map(([id, v]): MetadataVariable => {
      const categories = v.categories ?? null;
      const values =
        categories === null
          ? null
          : Object.keys(categories)
              .map(Number)
              .sort((a, b) => a - b);
      const { legend } = resolveDisplay(display, d.id, id, values);
      const vp = pref.variables[id];
      let labels: Record<string, string> | null = null;
      if (categories !== null && values !== null) {
        labels = {};
        // Declared categories in value order: the preference's label, else the curated meaning.
        for (const value of values) {
          const key = String(value);
          labels[key] = vp?.labels?.[key] ?? (categories[key] as string);
        }
      }
      return {
        id,
        title: v.title,
        description: v.description,
        unit: v.unit,
        category: v.category ?? null,
        categories: categories === null ? null : { ...categories },
        labels,
        order: vp?.order ?? 0,
        display: legend,
      };
    }),
  );
  const lowest = variables[0]?.id ?? null;
  return {
    id: d.id,
    title: d.title,
    description: d.description,
    version: d.version,
    license: d.license,
    profile: d.profile,
    region_name: d.region_name,
    bbox: [...d.extent.bbox] as [number, number, number, number],
    resolution_label: resolutionLabel(release.grid),
    time: timeOf(release.time),
    providers: d.providers.map((p) => ({ name: p.name, roles: [...p.roles], url: p.url ?? null })),
    citation: d.citation ?? null,
    doi: d.doi ?? null,
    publications: (d.publications ?? []).map((p) => ({ citation: p.citation, doi: p.doi ?? null })),
    lineage: d.lineage ?? null,
    uncertainty: d.uncertainty
      ? { summary: d.uncertainty.summary, methodology_href: d.uncertainty.methodology_href ?? null }
      : null,
    links: (d.links ?? []).map((l) => ({ rel: l.rel, href: l.href, title: l.title ?? null })),
    order: pref.order,
    map_view: pref.map_view
      ? { center: { lon: pref.map_view.center.lon, lat: pref.map_view.center.lat }, zoom: pref.map_view.zoom }
      : null,
    default_variable: pref.default_variable ?? lowest,
    release_id: release.releaseId,
    declaration_digest: release.declarationDigest,
    variables,
  };
}

/** The document: datasets sorted by display order, then id. */
export function buildMetadataDocument(datasets: readonly MetadataDataset[]): MetadataDocument {
  return { schema_version: METADATA_SCHEMA_VERSION, datasets: byOrderThenId(datasets) };
}

function timeOf(time: ReleaseForMetadata['time']): MetadataDataset['time'] {
  if (time.kind === 'static') {
    return {
      kind: 'enumerated',
      precision: STATIC_TIMESTEP,
      count: 1,
      origin: STATIC_TIMESTEP,
      end: STATIC_TIMESTEP,
      step: null,
      values: [STATIC_TIMESTEP],
    };
  }
  const keys = time.timesteps;
  const base = {
    precision: time.precision,
    count: keys.length,
    origin: keys[0] as string,
    end: keys[keys.length - 1] as string,
  };
  return time.kind === 'regular'
    ? { kind: 'regular', ...base, step: time.step, values: null }
    : { kind: 'enumerated', ...base, step: null, values: [...keys] };
}
