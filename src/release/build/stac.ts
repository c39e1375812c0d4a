/**
 * The STAC 1.1.0 catalogue of a release: the Collection (`collection.json`) and, for a temporal dataset, one Item
 * per time chunk (`items/<item-id>.json`), with the projection, raster, datacube, file, processing, scientific and
 * version extensions. Links and hrefs inside the release are relative; no object has a `self` link. The SKOPE
 * fields (`skope:*`) are validated by the tests but not listed in `stac_extensions` (their schema URL does not
 * serve the schema yet).
 */
import type { Affine } from '../../geo/affine.js';
import { boxPolygon } from '../../geo/box.js';
import { isFloatDType } from '../../raster/dtype.js';
import type { DType } from '../../raster/types.js';
import type { Curated, SourceManifest } from '../format/documents.js';
import type { JsonValue } from '../format/serialize.js';
import { float, releaseJson } from '../format/serialize.js';
import type { ChunkLayout, TimeAxis } from '../format/timeaxis.js';
import { interval } from '../format/timeaxis.js';
import type { BandStatistics } from './band.stats.js';
import { PRODUCER_VERSION } from './producer.js';

/** Extension schema URLs by field prefix (`version` is the Versioning extension's top-level field). */
export const EXTENSIONS: Readonly<Record<string, string>> = {
  'proj:': 'https://stac-extensions.github.io/projection/v2.0.0/schema.json',
  'file:': 'https://stac-extensions.github.io/file/v2.1.0/schema.json',
  'sci:': 'https://stac-extensions.github.io/scientific/v1.0.0/schema.json',
  'raster:': 'https://stac-extensions.github.io/raster/v2.0.0/schema.json',
  'cube:': 'https://stac-extensions.github.io/datacube/v2.3.0/schema.json',
  'processing:': 'https://stac-extensions.github.io/processing/v1.2.0/schema.json',
  version: 'https://stac-extensions.github.io/version/v1.2.0/schema.json',
};

export const COG_MEDIA_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';

/** What was observed in one written COG (after reopening it). */
export interface CogObservation {
  variable: string;
  /** Chunk index (temporal) or null (static). */
  chunk: number | null;
  /** Release-relative path. */
  path: string;
  size: number;
  /** Multihash. */
  checksum: string;
  /** Band names in TIFF order: timestep keys (temporal) or the variable id (static). */
  bandNames: string[];
  statistics: BandStatistics[];
  dtype: DType;
  nodata: number | null;
  scale: number;
  offset: number;
  /** `EPSG:<n>`. */
  code: string;
  /** [rows, columns]. */
  shape: [number, number];
  transform: Affine;
}

/** Inputs of the catalogue. */
export interface StacInputs {
  curated: Curated;
  manifest: SourceManifest;
  axis: TimeAxis | null;
  layout: ChunkLayout | null;
  /** Every COG, any order. */
  cogs: readonly CogObservation[];
  /** WGS 84 bbox [west, south, east, north] of the grid (degrees). */
  bbox: [number, number, number, number];
}

/** Keys whose numbers are floats wherever they appear. */
export const STAC_FLOAT_KEYS: ReadonlySet<string> = new Set([
  'bbox',
  'coordinates',
  'proj:transform',
  'raster:scale',
  'raster:offset',
  'minimum',
  'maximum',
  'mean',
  'stddev',
  'valid_percent',
]);

type Obj = { [k: string]: JsonValue | undefined };

function extensionsOf(obj: Obj): string[] {
  const found = new Set<string>();
  const visit = (v: JsonValue | undefined, key: string | null): void => {
    if (key === 'links' || v === null || v === undefined || typeof v !== 'object') return;
    if (Array.isArray(v)) return (v as JsonValue[]).forEach((x) => visit(x, null));
    for (const [k, x] of Object.entries(v as Obj)) {
      if (x === undefined) continue;
      for (const prefix of Object.keys(EXTENSIONS))
        if (prefix.endsWith(':') && k.startsWith(prefix)) found.add(EXTENSIONS[prefix] as string);
      visit(x, k);
    }
  };
  visit(obj, null);
  if (obj['version'] !== undefined) found.add(EXTENSIONS['version'] as string);
  return [...found].sort();
}

const nodataValue = (dtype: DType, nodata: number | null): JsonValue | undefined =>
  nodata === null ? undefined : Number.isNaN(nodata) ? 'nan' : isFloatDType(dtype) ? float(nodata) : nodata;

function bandsOf(c: CogObservation): JsonValue {
  return c.bandNames.map((name, i) => {
    const s = c.statistics[i] ?? { valid_percent: 0 };
    const statistics: Obj =
      s.valid_percent === 0
        ? { valid_percent: 0 }
        : { minimum: s.minimum, maximum: s.maximum, mean: s.mean, stddev: s.stddev, valid_percent: s.valid_percent };
    return { name, statistics };
  });
}

/** A data asset for one COG; `href` relative to the object that holds it. */
function dataAsset(c: CogObservation, curated: Curated, href: string): Obj {
  const v = curated.variables.find((x) => x.id === c.variable);
  return {
    href,
    type: COG_MEDIA_TYPE,
    roles: ['data'],
    title: v?.title,
    description: v?.description,
    data_type: c.dtype,
    nodata: nodataValue(c.dtype, c.nodata),
    unit: v?.unit,
    'raster:scale': float(c.scale),
    'raster:offset': float(c.offset),
    'proj:code': c.code,
    'proj:shape': c.shape,
    'proj:transform': c.transform.map((x) => float(x)),
    'file:size': c.size,
    'file:checksum': c.checksum,
    bands: bandsOf(c),
  };
}

function providers(curated: Curated, lineage: string | null): JsonValue {
  const ps = curated.providers;
  const carrier =
    ps.find((p) => p.roles.includes('processor')) ?? ps.find((p) => p.roles.includes('producer')) ?? ps[0];
  return ps.map((p) => ({
    name: p.name,
    roles: p.roles,
    url: p.url ?? p.ror ?? undefined,
    description: p.description ?? undefined,
    ...(p === carrier
      ? { 'processing:software': { 'skope-release': PRODUCER_VERSION }, 'processing:lineage': lineage ?? undefined }
      : {}),
  }));
}

function collectionLinks(curated: Curated, itemIds: readonly string[]): JsonValue[] {
  const links: Obj[] = [{ rel: 'root', href: './collection.json', type: 'application/json' }];
  if (curated.license_href !== null) links.push({ rel: 'license', href: curated.license_href });
  if (curated.doi !== null) links.push({ rel: 'cite-as', href: `https://doi.org/${curated.doi}` });
  for (const p of curated.people) if (p.orcid !== null) links.push({ rel: 'author', href: p.orcid, title: p.name });
  if (curated.contact_href !== null) links.push({ rel: 'about', href: curated.contact_href, title: 'Contact' });
  for (const l of curated.links)
    links.push({ rel: l.rel, href: l.href, title: l.title ?? undefined, type: l.type ?? undefined });
  for (const id of itemIds) links.push({ rel: 'item', href: `./items/${id}.json`, type: 'application/geo+json' });
  return links;
}

function scientific(curated: Curated): Obj {
  return {
    'sci:citation': curated.citation ?? undefined,
    'sci:doi': curated.doi ?? undefined,
    'sci:publications':
      curated.publications.length > 0
        ? curated.publications.map((p) => ({ citation: p.citation, doi: p.doi ?? undefined }))
        : undefined,
  };
}

function skopeVariables(curated: Curated): Obj | undefined {
  const out: Obj = {};
  for (const v of curated.variables) {
    if (v.category === null && v.categories === null) continue;
    out[v.id] = { category: v.category ?? undefined, categories: v.categories ?? undefined };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The catalogue as release-relative paths → file text (JSON in the release layout). */
export function buildStac(input: StacInputs): Map<string, string> {
  const { curated, axis, layout, bbox } = input;
  const files = new Map<string, string>();
  const variables = [...curated.variables].map((v) => v.id).sort();
  const first = [...input.cogs].sort(
    (a, b) => (a.chunk ?? 0) - (b.chunk ?? 0) || (a.variable < b.variable ? -1 : 1),
  )[0];
  if (first === undefined) throw new Error('a release needs at least one COG');
  const base: Obj = {
    type: 'Collection',
    stac_version: '1.1.0',
    id: curated.id,
    title: curated.title,
    description: curated.description,
    license: curated.license,
    version: curated.version,
    providers: providers(curated, curated.lineage),
    'skope:region_name': curated.region_name,
    ...scientific(curated),
    'skope:uncertainty':
      curated.uncertainty === null
        ? undefined
        : { summary: curated.uncertainty.summary, methodology_href: curated.uncertainty.methodology_href },
    'skope:variables': skopeVariables(curated),
  };

  if (axis === null || layout === null || curated.temporal === null) {
    const assets: Obj = {};
    for (const c of input.cogs) assets[c.variable] = dataAsset(c, curated, `./${c.path}`);
    const [start, end] = curated.temporal_extent ?? [null, null];
    const collection: Obj = {
      ...base,
      extent: { spatial: { bbox: [bbox] }, temporal: { interval: [[start, end]] } },
      links: collectionLinks(curated, []),
      assets,
    };
    collection['stac_extensions'] = extensionsOf(collection);
    files.set('collection.json', releaseJson(collection as JsonValue, STAC_FLOAT_KEYS));
    return files;
  }

  const meaning = curated.temporal.timestep_meaning;
  const itemIds: string[] = [];
  for (let chunk = 0; chunk < layout.chunkCount; chunk++) {
    const id = layout.itemId(chunk);
    itemIds.push(id);
    const keys = layout.chunkKeys(chunk);
    const [start, end] = interval(axis, meaning, keys[0] as string, keys[keys.length - 1] as string);
    const assets: Obj = {};
    for (const c of input.cogs) if (c.chunk === chunk) assets[c.variable] = dataAsset(c, curated, `../${c.path}`);
    const item: Obj = {
      type: 'Feature',
      stac_version: '1.1.0',
      id,
      collection: curated.id,
      geometry: boxPolygon(...bbox),
      bbox,
      properties: start === end ? { datetime: start } : { datetime: null, start_datetime: start, end_datetime: end },
      links: ['collection', 'parent', 'root'].map((rel) => ({
        rel,
        href: '../collection.json',
        type: 'application/json',
      })),
      assets,
    };
    item['stac_extensions'] = extensionsOf(item);
    files.set(`items/${id}.json`, releaseJson(item as JsonValue, STAC_FLOAT_KEYS));
  }
  const [start, end] = interval(axis, meaning, axis.key(0), axis.key(axis.count - 1));
  const t = first.transform;
  const [rows, cols] = first.shape;
  const epsg = /^EPSG:(\d+)$/.exec(first.code);
  const reference = epsg ? Number(epsg[1]) : first.code;
  const itemAssets: Obj = {};
  for (const id of variables) {
    const c = input.cogs.find((x) => x.variable === id && x.chunk === 0);
    const v = curated.variables.find((x) => x.id === id);
    if (!c || !v) continue;
    itemAssets[id] = {
      type: COG_MEDIA_TYPE,
      roles: ['data'],
      title: v.title,
      description: v.description,
      data_type: c.dtype,
      'raster:scale': float(c.scale),
      'raster:offset': float(c.offset),
      nodata: nodataValue(c.dtype, c.nodata),
      unit: v.unit,
    };
  }
  const collection: Obj = {
    ...base,
    'skope:temporal': {
      calendar: curated.temporal.calendar,
      precision: curated.temporal.precision,
      timestep_meaning: curated.temporal.timestep_meaning,
      endpoint_inclusion: curated.temporal.endpoint_inclusion,
      description: curated.temporal.description,
    },
    extent: { spatial: { bbox: [bbox] }, temporal: { interval: [[start, end]] } },
    links: collectionLinks(curated, itemIds),
    'cube:dimensions': {
      x: {
        type: 'spatial',
        axis: 'x',
        extent: [float(t[2]), float(t[2] + t[0] * cols)],
        step: float(t[0]),
        reference_system: reference,
      },
      y: {
        type: 'spatial',
        axis: 'y',
        extent: [float(t[5] + t[4] * rows), float(t[5])],
        step: float(t[4]),
        reference_system: reference,
      },
      time: { type: 'temporal', extent: [start, end], values: [...axis.keys()], step: axis.step ?? undefined },
    },
    'cube:variables': Object.fromEntries(
      curated.variables.map((v) => [
        v.id,
        { dimensions: ['time', 'y', 'x'], type: 'data', description: v.description, unit: v.unit },
      ]),
    ),
    item_assets: itemAssets,
  };
  collection['stac_extensions'] = extensionsOf(collection);
  files.set('collection.json', releaseJson(collection as JsonValue, STAC_FLOAT_KEYS));
  return files;
}
