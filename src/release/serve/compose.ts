/**
 * The registry of a release-serving process, composed in memory from the verified pinned releases (their overviews,
 * unchanged) and the display files — no `metadata.yml`, no `lookup.json`: the time-to-band rule computes each
 * timestep's file and band once, at start-up. The result has the same shape as the `metadata.yml` registry
 * (`Datasets`), so tiles, extraction, `/point` and the v2 routes serve releases with the release contract's time
 * protocol, display styles and physical values, and the `/metadata` 1.0.0 document is built beside it.
 */
import { resolveCrs } from '../../geo/crs.js';
import type { Affine } from '../../geo/affine.js';
import { createColormapSet } from '../../registry/colormaps.js';
import type { Datasets } from '../../registry/datasets.js';
import { STATIC_KEY } from '../../registry/lookup.resolve.js';
import { AppError } from '../../errors.js';
import type { DatasetEntry, Lookup, LookupEntry, Registry, VariableEntry } from '../../registry/types.js';
import type { SourceResolver } from '../../storage/source.js';
import { joinStorageUrl } from '../../registry/lookup.resolve.js';
import type { DisplayFiles } from './display.js';
import { resolveDisplay } from './display.js';
import {
  buildDatasetMetadata,
  buildMetadataDocument,
  byOrderThenId,
  type MetadataDataset,
  type MetadataDocument,
  type ReleaseForMetadata,
} from './metadata.js';
import type { LabelGrid } from './resolution.js';
import type { Refusal } from './refusal.js';
import type { VerifiedRelease } from './verify.pin.js';

/** A composed registry and its `/metadata` 1.0.0 document. */
export interface ComposedReleases {
  datasets: Datasets;
  metadata: MetadataDocument;
}

/** Category values (integers, ascending) of an overview variable, or null when it is continuous. */
export function categoryValues(categories: Readonly<Record<string, string>> | null | undefined): number[] | null {
  if (categories === null || categories === undefined) return null;
  return Object.keys(categories)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The CRS units of a release grid for its resolution label; a refusal when the service cannot project the CRS (tiles
 * and extraction could not serve it).
 */
export function gridUnits(release: VerifiedRelease): { units: LabelGrid['units'] } | { refusal: Refusal } {
  const code = release.overview.dataset.grid.code;
  try {
    const crs = resolveCrs(code);
    if (crs.geographic) return { units: { kind: 'degrees' } };
    const named = /\+units=(\S+)/.exec(code)?.[1];
    return { units: named === undefined || named === 'm' ? { kind: 'metres' } : { kind: 'other', name: named } };
  } catch {
    return {
      refusal: {
        requirement: 'API-002',
        dataset: release.entry.dataset,
        release_id: release.entry.release_id,
        check: 'grid_crs',
        expected: 'a CRS the service projects (EPSG:4326, 4269, 3857, UTM, or a proj string)',
        observed: code,
      },
    };
  }
}

/**
 * Composes the registry. The releases and the display files must have passed every start-up check.
 * @param root the release root (`<root>/<release_id>/` holds each release); lookup files are relative to it.
 */
export function composeReleases(
  releases: readonly VerifiedRelease[],
  display: DisplayFiles,
  root: string,
  resolver: SourceResolver,
): ComposedReleases {
  const metadata: MetadataDataset[] = [];
  const entries = new Map<string, DatasetEntry>();
  const lookups = new Map<string, Lookup>();
  for (const release of releases) {
    const o = release.overview;
    const d = o.dataset;
    const units = gridUnits(release);
    if ('refusal' in units) throw new AppError('config_invalid', units.refusal.check);
    const variableIds = Object.keys(o.variables).sort();
    const keys = release.layout?.axis.keys() ?? [STATIC_KEY];
    const time: ReleaseForMetadata['time'] =
      d.time === null
        ? { kind: 'static' }
        : d.time.kind === 'regular'
          ? { kind: 'regular', precision: d.time.precision, step: d.time.step, timesteps: keys }
          : { kind: 'enumerated', precision: d.time.precision, timesteps: keys };
    const md = buildDatasetMetadata(
      {
        releaseId: o.release_id,
        declarationDigest: o.declaration_digest,
        dataset: d,
        variables: o.variables,
        time,
        grid: { transform: d.grid.transform, units: units.units, bbox: d.extent.bbox },
      },
      display,
    );
    metadata.push(md);

    // Where each timestep's band lives, relative to the release root.
    const lookup = new Map<string, ReadonlyMap<string, LookupEntry>>();
    for (const id of variableIds) {
      const steps = new Map<string, LookupEntry>();
      if (release.layout === null) {
        const href = (o.variables[id]?.asset_href ?? '').replace(/^\.\//, '');
        steps.set(STATIC_KEY, { file: `${o.release_id}/${href}`, bidx: 1 });
      } else {
        const layout = release.layout;
        for (let c = 0; c < layout.chunkCount; c++) {
          const file = `${o.release_id}/${layout.cogPath(id, c)}`;
          const [first, last] = layout.bounds(c);
          for (let i = first; i <= last; i++) steps.set(layout.axis.key(i), { file, bidx: i - first + 1 });
        }
      }
      lookup.set(id, steps);
    }
    lookups.set(d.id, lookup);

    const variables: VariableEntry[] = md.variables.map((mv) => {
      const ov = o.variables[mv.id] as (typeof o.variables)[string];
      const { tiles } = resolveDisplay(display, d.id, mv.id, categoryValues(ov.categories));
      const range = mv.display.range;
      return {
        id: mv.id,
        colormap: mv.display.palette,
        colormapStops: [...mv.display.colors],
        display: tiles,
        scale: ov.scale,
        offset: ov.offset,
        raw: legacyVariable(mv, range),
      };
    });
    const period = { gte: keys[0] as string, lte: keys[keys.length - 1] as string };
    entries.set(d.id, {
      id: d.id,
      crs: d.grid.code,
      transform: [...d.grid.transform] as Affine,
      period,
      variables,
      raw: legacyDataset(md, d.grid.code, d.grid.transform, variables),
      release: { releaseId: o.release_id, precision: d.time === null ? 'static' : d.time.precision },
    });
  }

  const ordered = byOrderThenId(metadata).map((m) => entries.get(m.id) as DatasetEntry);
  const registry: Registry = {
    list: () => ordered,
    get: (id) => entries.get(id) ?? null,
    getVariable: (id, variableId) => entries.get(id)?.variables.find((v) => v.id === variableId) ?? null,
  };
  const first = releases[0];
  return {
    metadata: buildMetadataDocument(metadata),
    datasets: {
      registry,
      colormaps: createColormapSet(),
      lookups: {
        get: (datasetId) => {
          const lookup = lookups.get(datasetId);
          return lookup === undefined
            ? Promise.reject(new AppError('dataset_not_found', `Dataset '${datasetId}' not found.`))
            : Promise.resolve(lookup);
        },
      },
      baseUrl: root,
      async checkStorage() {
        if (first === undefined) return;
        const source = resolver.open(joinStorageUrl(first.dir, 'release-manifest.json'));
        try {
          await source.head();
        } finally {
          await source.close?.();
        }
      },
    },
  };
}

const RESOLUTION_LABELS: Readonly<Record<string, string>> = {
  year: 'yearly',
  month: 'monthly',
  day: 'daily',
  datetime: '',
};

/**
 * A dataset as the v2 `/metadata` array shows it (the SKOPE UI of today reads these legacy fields): `ordering` from
 * the display order, `region` (centre `[lat, lon]`, extents `[[north, west], [south, east]]`), `timespan` from the
 * axis, `crs` and `transform` of the grid.
 */
function legacyDataset(
  md: MetadataDataset,
  crs: string,
  transform: readonly number[],
  variables: readonly VariableEntry[],
): Record<string, unknown> {
  const [w, s, e, n] = md.bbox;
  const center = md.map_view?.center ?? { lon: (w + e) / 2, lat: (s + n) / 2 };
  return {
    id: md.id,
    title: md.title,
    description: md.description,
    ordering: md.order,
    region: {
      zoom: md.map_view?.zoom ?? 4,
      center: [center.lat, center.lon],
      resolution: md.resolution_label,
      name: md.region_name,
      extents: [
        [n, w],
        [s, e],
      ],
    },
    timespan: {
      resolution: md.time.precision,
      resolutionLabel: RESOLUTION_LABELS[md.time.precision] ?? '',
      period: { timeZero: 1, gte: md.time.origin, lte: md.time.end, suffix: 'CE' },
    },
    crs,
    transform: [...transform],
    release_id: md.release_id,
    variables: variables.map((v) => v.raw),
  };
}

/**
 * A variable as the v2 `/metadata` array shows it. The v2 UI draws its legend from `min` to `max × 0.5` (its
 * `COLOR_MAX_PCT`), so `max` is twice the display range's upper bound: legend and tiles then agree.
 */
function legacyVariable(
  mv: MetadataDataset['variables'][number],
  range: [number, number] | null,
): Record<string, unknown> {
  return {
    id: mv.id,
    class: mv.category ?? '',
    name: mv.title,
    units: mv.unit,
    description: mv.description,
    colormap: mv.display.palette,
    ...(range === null ? {} : { min: range[0], max: range[1] * 2 }),
    colormap_stops: [...mv.display.colors],
  };
}
