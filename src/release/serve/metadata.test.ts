/**
 * `/metadata` 1.0.0: validates against the schema the newest client pins (ajv, draft 2020-12), the computed fields
 * match the documented worked examples (resolution labels, sort order, time origin/end), the prototype release's
 * answer matches the documented one.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseDisplayFiles, type DisplayFiles } from './display.js';
import { buildDatasetMetadata, buildMetadataDocument, type ReleaseForMetadata } from './metadata.js';
import { formatDistance, formatSignificant, resolutionLabel } from './resolution.js';

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/release/metadata-1.0.0.schema.json', import.meta.url), 'utf8'),
) as object;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(SCHEMA);

const PREFS = readFileSync(new URL('../../../deploy/display/preferences.yml', import.meta.url), 'utf8');
const PALETTES = readFileSync(new URL('../../../deploy/display/palettes.yml', import.meta.url), 'utf8');

function display(prefs = PREFS): DisplayFiles {
  const out = parseDisplayFiles(prefs, PALETTES, { preferences: 'p', palettes: 'q' });
  expect(out.refusals).toEqual([]);
  return out.files as DisplayFiles;
}

/** Every key of a regular yearly axis. */
function years(origin: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(origin + i).padStart(4, '0'));
}

/** The prototype release `paleocar_v3-r-2026.10.07` as its overview describes it (prose shortened). */
const PROTOTYPE: ReleaseForMetadata = {
  releaseId: 'paleocar_v3-r-2026.10.07',
  declarationDigest: 'fa5b29a944289e7677f1bff46216a2222f20f5eb73d7237e9d453e0c2e1f059e',
  dataset: {
    id: 'paleocar_v3',
    version: '3',
    title: 'PaleoCAR: SW USA Paleoclimate Reconstruction (V3)',
    description: '…',
    profile: 'TemporalCubeDataset',
    license: 'CC-BY-4.0',
    region_name: 'Southwestern USA',
    extent: { bbox: [-114.995833333457, 30.99583333406604, -101.995833334055, 42.9958333336016] },
    providers: [
      { name: 'R. Kyle Bocinsky and Timothy A. Kohler', roles: ['producer', 'licensor'] },
      { name: 'SKOPE project', roles: ['processor', 'host'] },
    ],
    lineage: '…',
    publications: [
      { citation: '…', doi: '10.1038/ncomms6618' },
      { citation: '…', doi: '10.1126/sciadv.1501532' },
    ],
    uncertainty: { summary: '…', methodology_href: null },
    links: [
      {
        rel: 'via',
        href: 'https://www.ncei.noaa.gov/access/paleo-search/study/19783',
        title: 'NOAA NCEI paleoclimatology study 19783',
      },
    ],
  },
  variables: {
    gdd_cotton_annual: {
      title: 'Annual (Jan–Dec) Cotton Growing Degree Days',
      description: '…',
      unit: '°F GDD',
      category: 'Growing Degree Days',
    },
    ppt_annual: { title: 'Annual (Jan–Dec) Precipitation', description: '…', unit: 'mm', category: 'Precipitation' },
  },
  time: { kind: 'regular', precision: 'year', step: 'P1Y', timesteps: years(103, 1898) },
  grid: {
    transform: [0.008333333332949996, 0.0, -114.995833333457, 0.0, -0.008333333333010806, 42.9958333336016],
    units: { kind: 'degrees' },
    bbox: [-114.995833333457, 30.99583333406604, -101.995833334055, 42.9958333336016],
  },
};

describe('resolution_label worked examples', () => {
  it('geographic: arc-seconds and the ground size at the middle latitude', () => {
    expect(resolutionLabel(PROTOTYPE.grid)).toBe('30 arc-second (~830 m)');
    const quarter = { transform: [0.25, 0, -10, 0, -0.25, 10], units: { kind: 'degrees' as const } };
    expect(resolutionLabel({ ...quarter, bbox: [-10, -10, 10, 10] })).toBe('900 arc-second (~28 km)');
    expect(resolutionLabel({ ...quarter, transform: [0.25, 0, 0, 0, -0.5, 0], bbox: [-10, -10, 10, 10] })).toBe(
      '900 × 1800 arc-second (~39 km)',
    );
  });
  it('projected metres and other units', () => {
    const m = (a: number, e = -a) => ({
      transform: [a, 0, 0, 0, e, 0],
      units: { kind: 'metres' as const },
      bbox: [0, 0, 1, 1] as const,
    });
    expect(resolutionLabel(m(250))).toBe('250 m');
    expect(resolutionLabel(m(1000))).toBe('1 km');
    expect(resolutionLabel(m(800, -1200))).toBe('800 m × 1.2 km');
    const ft = {
      transform: [100, 0, 0, 0, -50, 0],
      units: { kind: 'other' as const, name: 'US survey foot' },
      bbox: [0, 0, 1, 1] as const,
    };
    expect(resolutionLabel(ft)).toBe('100 × 50 US survey foot');
  });
  it('%.4g and distances as documented', () => {
    expect(formatSignificant(29.99999999862, 4)).toBe('30');
    expect(formatSignificant(0.00001234, 4)).toBe('1.234e-05');
    expect(formatSignificant(123456, 4)).toBe('1.235e+05');
    expect(formatSignificant(2.5, 4)).toBe('2.5');
    expect([830.4, 27_700, 1000, 1234].map(formatDistance)).toEqual(['830 m', '28 km', '1 km', '1.2 km']);
  });
});

describe('/metadata 1.0.0', () => {
  it('the prototype: every documented field, and the document validates against the 1.0.0 schema', () => {
    const doc = buildMetadataDocument([buildDatasetMetadata(PROTOTYPE, display())]);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const [d] = doc.datasets;
    expect(doc.schema_version).toBe('1.0.0');
    expect(d).toMatchObject({
      id: 'paleocar_v3',
      resolution_label: '30 arc-second (~830 m)',
      time: { kind: 'regular', precision: 'year', count: 1898, origin: '0103', end: '2000', step: 'P1Y', values: null },
      providers: [
        { name: 'R. Kyle Bocinsky and Timothy A. Kohler', roles: ['producer', 'licensor'], url: null },
        { name: 'SKOPE project', roles: ['processor', 'host'], url: null },
      ],
      citation: null,
      doi: null,
      order: 10,
      map_view: { center: { lon: -108.5, lat: 37.0 }, zoom: 4 },
      default_variable: 'ppt_annual',
      release_id: 'paleocar_v3-r-2026.10.07',
      declaration_digest: 'fa5b29a944289e7677f1bff46216a2222f20f5eb73d7237e9d453e0c2e1f059e',
    });
    expect(d?.variables.map((v) => v.id)).toEqual(['ppt_annual', 'gdd_cotton_annual']);
    expect(d?.variables[0]).toMatchObject({
      categories: null,
      labels: null,
      order: 10,
      display: { type: 'continuous', palette: 'skope-precip', range: [0, 1807.5], ticks: 5 },
    });
    expect(d?.variables[0]?.display.colors[0]).toBe('#B5834A');
    expect(d?.variables[1]?.display.range).toEqual([0, 2177.5]);
  });

  it('sort order: datasets zeta 1, alpha 5, mid 5 → zeta, alpha, mid; variables b 1, a 2, c 2 → b, a, c', () => {
    const prefs = `datasets:
  zeta: {order: 1, variables: {v: {order: 1, palette: viridis, range: [0, 1]}}}
  alpha: {order: 5, variables: {v: {order: 1, palette: viridis, range: [0, 1]}}}
  mid:
    order: 5
    variables:
      b: {order: 1, palette: viridis, range: [0, 1]}
      a: {order: 2, palette: viridis, range: [0, 1]}
      c: {order: 2, palette: viridis, range: [0, 1]}
`;
    const files = display(prefs);
    const v = { title: 't', description: 'd', unit: 'unitless' };
    const release = (id: string, vars: string[]): ReleaseForMetadata => ({
      ...PROTOTYPE,
      dataset: { ...PROTOTYPE.dataset, id },
      variables: Object.fromEntries(vars.map((x) => [x, v])),
    });
    const doc = buildMetadataDocument(
      [release('mid', ['c', 'a', 'b']), release('alpha', ['v']), release('zeta', ['v'])].map((r) =>
        buildDatasetMetadata(r, files),
      ),
    );
    expect(doc.datasets.map((d) => d.id)).toEqual(['zeta', 'alpha', 'mid']);
    expect(doc.datasets[2]?.variables.map((x) => x.id)).toEqual(['b', 'a', 'c']);
    // No default_variable in the preferences: the lowest-ordered variable.
    expect(doc.datasets[2]?.default_variable).toBe('b');
    expect(validate(doc)).toBe(true);
  });

  it('enumerated, categorical (labels over meanings) and static datasets also validate', () => {
    const prefs = `datasets:
  ds:
    order: 1
    variables:
      niche: {order: 1, palette: niche-binary, labels: {1: In}}
`;
    const palettes = `${PALETTES}\nniche-binary:\n  kind: set\n  colors: ["#e8e8e8", "#2b8c3e"]\n`;
    const files = parseDisplayFiles(prefs, palettes, { preferences: 'p', palettes: 'q' }).files as DisplayFiles;
    const base: ReleaseForMetadata = {
      ...PROTOTYPE,
      dataset: { ...PROTOTYPE.dataset, id: 'ds', links: [], publications: [], uncertainty: null },
      variables: {
        niche: { title: 'Niche', description: 'd', unit: 'unitless', categories: { '1': 'Inside', '0': 'Outside' } },
      },
      time: { kind: 'enumerated', precision: 'year', timesteps: ['0100', '0103', '0104', '0110', '0111'] },
    };
    const d = buildDatasetMetadata(base, files);
    expect(d.time).toEqual({
      kind: 'enumerated',
      precision: 'year',
      count: 5,
      origin: '0100',
      end: '0111',
      step: null,
      values: ['0100', '0103', '0104', '0110', '0111'],
    });
    expect(d.variables[0]).toMatchObject({
      categories: { '0': 'Outside', '1': 'Inside' },
      labels: { '0': 'Outside', '1': 'In' },
      display: { type: 'categorical', palette: 'niche-binary', range: null, colors: ['#e8e8e8', '#2b8c3e'] },
    });
    const s = buildDatasetMetadata(
      { ...base, dataset: { ...base.dataset, profile: 'StaticRasterDataset' }, time: { kind: 'static' } },
      files,
    );
    expect(s.time).toMatchObject({ kind: 'enumerated', count: 1, origin: 'static', end: 'static', values: ['static'] });
    expect(validate(buildMetadataDocument([d, s])), JSON.stringify(validate.errors)).toBe(true);
  });
});
