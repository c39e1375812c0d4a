/**
 * `overview.yml` derived from a release's STAC only (the Collection and its Items; never from curated.yml or display
 * files): the API reads it. The time axis is regular when the Collection's `cube:dimensions.time.step` regenerates
 * the listed values exactly, else enumerated; `chunk_size` is the band count of the first Item's first asset.
 */
import type { Overview, OverviewVariable } from '../format/documents.js';
import { OverviewSchema, validateDocument } from '../format/documents.js';
import type { Precision } from '../format/timeaxis.js';
import { isRegular } from '../format/timeaxis.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

const STRUCTURAL = new Set(['self', 'root', 'parent', 'child', 'collection', 'item', 'license']);

/** Derive the overview from the parsed Collection and Items. @throws DocumentError when it breaks its schema */
export function deriveOverview(
  collection: Obj,
  items: readonly Obj[],
  identity: { releaseId: string; declarationDigest: string },
): Overview {
  const temporal = collection['item_assets'] !== undefined;
  const sortedItems = [...items].sort((a, b) => {
    const pa = obj(a['properties']);
    const pb = obj(b['properties']);
    const ka = `${str(pa['start_datetime']) ?? str(pa['datetime']) ?? ''}|${str(pa['end_datetime']) ?? ''}|${str(a['id']) ?? ''}`;
    const kb = `${str(pb['start_datetime']) ?? str(pb['datetime']) ?? ''}|${str(pb['end_datetime']) ?? ''}|${str(b['id']) ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const assetsHolder = temporal ? obj(sortedItems[0]?.['assets']) : obj(collection['assets']);
  const firstKey = Object.keys(assetsHolder).sort()[0] ?? '';
  const firstAsset = obj(assetsHolder[firstKey]);
  const skopeVars = obj(collection['skope:variables']);

  let time: Overview['dataset']['time'] = null;
  if (temporal) {
    const dims = obj(obj(collection['cube:dimensions'])['time']);
    const values = arr(dims['values']).map(String);
    const t = obj(collection['skope:temporal']);
    const precision = str(t['precision']) as Precision;
    const step = str(dims['step']);
    const common = {
      count: values.length,
      chunk_size: arr(firstAsset['bands']).length,
      precision,
      calendar: 'proleptic_gregorian' as const,
      timestep_meaning: str(t['timestep_meaning']) as 'aggregation_period' | 'instant',
      endpoint_inclusion: 'inclusive' as const,
    };
    time =
      step !== null && isRegular(precision, values, step)
        ? { kind: 'regular', origin: values[0] as string, step, ...common }
        : { kind: 'enumerated', values, ...common };
  }

  const providers = arr(collection['providers']).map((p) => {
    const o = obj(p);
    return { name: String(o['name']), roles: arr(o['roles']).map(String), url: str(o['url']) };
  });
  const lineage = arr(collection['providers'])
    .map((p) => str(obj(p)['processing:lineage']))
    .find((l) => l !== null);
  const uncertainty = collection['skope:uncertainty'] === undefined ? null : obj(collection['skope:uncertainty']);

  const variables: Record<string, OverviewVariable> = {};
  const source = temporal ? obj(collection['item_assets']) : obj(collection['assets']);
  for (const id of Object.keys(source).sort()) {
    const a = obj(source[id]);
    const sv = obj(skopeVars[id]);
    const nodata = a['nodata'];
    variables[id] = {
      title: String(a['title']),
      description: String(a['description']),
      unit: str(a['unit']) ?? 'unitless',
      category: str(sv['category']),
      categories: sv['categories'] === undefined ? null : (obj(sv['categories']) as Record<string, string>),
      data_type: String(a['data_type']) as OverviewVariable['data_type'],
      nodata: typeof nodata === 'number' ? nodata : nodata === 'nan' ? NaN : null,
      scale: num(a['raster:scale'], 1),
      offset: num(a['raster:offset'], 0),
      asset_href: temporal ? null : String(a['href']).replace(/^\.\//, ''),
      band_name: temporal ? null : (str(obj(arr(a['bands'])[0])['name']) ?? null),
    };
  }

  const overview = {
    schema_version: '1.0.0',
    release_id: identity.releaseId,
    declaration_digest: identity.declarationDigest,
    dataset: {
      id: collection['id'],
      version: collection['version'],
      title: collection['title'],
      description: collection['description'],
      profile: temporal ? 'TemporalCubeDataset' : 'StaticRasterDataset',
      license: collection['license'],
      region_name: collection['skope:region_name'],
      extent: { bbox: arr(arr(obj(obj(collection['extent'])['spatial'])['bbox'])[0]) },
      grid: {
        code: firstAsset['proj:code'],
        shape: firstAsset['proj:shape'],
        transform: arr(firstAsset['proj:transform']).slice(0, 6),
      },
      time,
      providers,
      citation: str(collection['sci:citation']),
      doi: str(collection['sci:doi']),
      lineage: lineage ?? null,
      publications: arr(collection['sci:publications']).map((p) => ({
        citation: String(obj(p)['citation']),
        doi: str(obj(p)['doi']),
      })),
      uncertainty:
        uncertainty === null
          ? null
          : { summary: String(uncertainty['summary']), methodology_href: str(uncertainty['methodology_href']) },
      links: arr(collection['links'])
        .map(obj)
        .filter((l) => !STRUCTURAL.has(String(l['rel'])) && String(l['href']).startsWith('https://'))
        .map((l) => ({ rel: String(l['rel']), href: String(l['href']), title: str(l['title']) })),
    },
    variables,
  };
  return validateDocument(OverviewSchema, overview, 'overview.yml');
}
