/** Display files: the committed ones pass DISP-012 (CI), every CI check refuses its bad case, DISP-013 per release. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createColormapSet, interpolateStops } from '../../registry/colormaps.js';
import { checkDisplayForRelease, parseDisplayFiles, resolveDisplay, type DisplayFiles } from './display.js';

const PREFS = readFileSync(new URL('../../../deploy/display/preferences.yml', import.meta.url), 'utf8');
const PALETTES = readFileSync(new URL('../../../deploy/display/palettes.yml', import.meta.url), 'utf8');
const SOURCES = { preferences: 'preferences.yml', palettes: 'palettes.yml' };

function committed(): DisplayFiles {
  const { files, refusals } = parseDisplayFiles(PREFS, PALETTES, SOURCES);
  expect(refusals).toEqual([]);
  return files as DisplayFiles;
}

/** The checks that fail for a preferences text (palettes as committed). */
function checksOf(prefs: string, palettes = PALETTES): string[] {
  return parseDisplayFiles(prefs, palettes, SOURCES).refusals.map((r) => `${r.requirement}:${r.check}`);
}

const MINIMAL = (variable: string) => `
datasets:
  ds:
    order: 1
    variables:
      v:
${variable
  .trim()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`;

describe('committed display files (DISP-012, no release data)', () => {
  it('parse and pass every check; the prototype preferences are as committed upstream', () => {
    const files = committed();
    const p = files.datasets['paleocar_v3'];
    expect(p?.order).toBe(10);
    expect(p?.map_view).toEqual({ center: { lon: -108.5, lat: 37.0 }, zoom: 4 });
    expect(p?.variables['ppt_annual']?.range).toEqual([0, 1807.5]);
    expect(p?.variables['gdd_cotton_annual']?.range).toEqual([0, 2177.5]);
    expect(files.palettes['skope-precip']?.colors).toHaveLength(8);
    expect(files.defaultTicks).toBe(5);
  });

  it('viridis (256 colours) interpolates to the built-in matplotlib table exactly', () => {
    const colors = committed().palettes['viridis']?.colors as string[];
    expect(colors).toHaveLength(256);
    expect(Array.from(interpolateStops(colors))).toEqual(Array.from(createColormapSet().get('viridis')?.lut ?? []));
  });

  it('skope-precip interpolates to the TiTiler build values', () => {
    const lut = interpolateStops(committed().palettes['skope-precip']?.colors as string[]);
    const hex = (i: number) =>
      '#' + [0, 1, 2].map((k) => (lut[i * 4 + k] as number).toString(16).padStart(2, '0')).join('');
    expect([0, 36, 64, 127, 200, 255].map(hex)).toEqual([
      '#b5834a',
      '#cdaa77',
      '#dabe91',
      '#e4e7da',
      '#7ebfb7',
      '#358c87',
    ]);
  });
});

describe('every CI check refuses its bad case', () => {
  it('unknown fields anywhere (a variable colormap key)', () => {
    expect(checksOf(MINIMAL('order: 1\npalette: viridis\nrange: [0, 1]\ncolormap: viridis'))).toEqual([
      'DISP-012:display_file_schema',
    ]);
  });
  it('a quoted order, a positional map view, a zoom out of range', () => {
    expect(checksOf(MINIMAL('order: "10"\npalette: viridis\nrange: [0, 1]'))).toEqual(['DISP-012:display_file_schema']);
    const positional = `datasets:\n  ds:\n    order: 1\n    map_view: {center: [-108.5, 37], zoom: 4}\n    variables: {}\n`;
    expect(checksOf(positional)).toEqual(['DISP-012:display_file_schema']);
    const zoom = `datasets:\n  ds:\n    order: 1\n    map_view: {center: {lon: 0, lat: 0}, zoom: 25}\n    variables: {}\n`;
    expect(checksOf(zoom)).toEqual(['DISP-012:display_file_schema']);
  });
  it('a palette that does not exist', () => {
    expect(checksOf(MINIMAL('order: 1\npalette: nope\nrange: [0, 1]'))).toEqual(['DISP-012:palette_exists']);
  });
  it('a stated type that does not fit the palette kind', () => {
    const sets = `${PALETTES}\nniche-binary:\n  kind: set\n  colors: ["#e8e8e8", "#2b8c3e"]\n`;
    expect(checksOf(MINIMAL('order: 1\npalette: niche-binary\ntype: continuous\nrange: [0, 1]'), sets)).toEqual([
      'DISP-012:type_matches_palette_kind',
    ]);
    expect(checksOf(MINIMAL('order: 1\npalette: viridis\ntype: categorical'))).toEqual([
      'DISP-012:type_matches_palette_kind',
    ]);
  });
  it('continuous without a range; reversed or non-finite ranges; ticks outside the range', () => {
    expect(checksOf(MINIMAL('order: 1\npalette: viridis\ntype: continuous'))).toEqual([
      'DISP-012:continuous_has_range',
    ]);
    expect(checksOf(MINIMAL('order: 1\npalette: viridis\nrange: [5, 1]'))).toEqual(['DISP-012:range_ordered']);
    expect(checksOf(MINIMAL('order: 1\npalette: viridis\nrange: [0, .inf]'))).toEqual(['DISP-012:display_file_schema']);
    expect(checksOf(MINIMAL('order: 1\npalette: viridis\nrange: [0, 10]\nticks: [0, 5, 11]'))).toEqual([
      'DISP-012:ticks_in_range',
    ]);
  });
  it('palettes: bad names, bad colours, a one-colour ramp, duplicate keys', () => {
    const prefs = MINIMAL('order: 1\npalette: viridis\nrange: [0, 1]');
    expect(checksOf(prefs, `${PALETTES}\n"bad name":\n  kind: ramp\n  colors: ["#000000", "#ffffff"]\n`)).toEqual([
      'DISP-012:display_file_schema',
    ]);
    expect(checksOf(prefs, `${PALETTES}\ngrey:\n  kind: ramp\n  colors: ["#000", "#ffffff"]\n`)).toEqual([
      'DISP-012:display_file_schema',
    ]);
    expect(checksOf(prefs, `${PALETTES}\ngrey:\n  kind: ramp\n  colors: ["#000000"]\n`)).toEqual([
      'DISP-012:palette_colors',
    ]);
    expect(checksOf(prefs, `${PALETTES}\nviridis:\n  kind: ramp\n  colors: ["#000000", "#ffffff"]\n`)).toEqual([
      'DISP-012:display_file_parses',
    ]);
  });
  it('every refusal names requirement, dataset and release as "-", check, expected and observed', () => {
    const [r] = parseDisplayFiles(MINIMAL('order: 1\npalette: nope\nrange: [0, 1]'), PALETTES, SOURCES).refusals;
    expect(r).toEqual({
      requirement: 'DISP-012',
      dataset: '-',
      release_id: '-',
      check: 'palette_exists',
      expected: "palette 'nope' of ds.v is defined in palettes.yml",
      observed: 'missing',
    });
  });
});

describe('DISP-013: display against a served release', () => {
  const SETS = `${PALETTES}\nniche-binary:\n  kind: set\n  colors: ["#e8e8e8", "#2b8c3e"]\n`;
  const files = (prefs: string): DisplayFiles => {
    const out = parseDisplayFiles(prefs, SETS, SOURCES);
    expect(out.refusals).toEqual([]);
    return out.files as DisplayFiles;
  };
  const served = (variables: { id: string; categories: number[] | null }[]) => ({
    datasetId: 'ds',
    releaseId: 'ds-r-2026.10.07',
    variables,
  });
  const checks = (f: DisplayFiles, v: { id: string; categories: number[] | null }[]) =>
    checkDisplayForRelease(f, served(v)).map((r) => `${r.requirement}:${r.check}`);

  it('passes a fitting entry and resolves tiles and legend from the same range', () => {
    const f = files(MINIMAL('order: 1\npalette: viridis\nrange: [0, 1807.5]\nnote: why'));
    expect(checks(f, [{ id: 'v', categories: null }])).toEqual([]);
    const { tiles, legend } = resolveDisplay(f, 'ds', 'v', null);
    expect(tiles).toMatchObject({ type: 'continuous', palette: 'viridis', range: [0, 1807.5] });
    expect(legend).toMatchObject({ type: 'continuous', range: [0, 1807.5], ticks: 5, note: 'why' });
    expect(legend.colors).toHaveLength(256);
  });
  it('a missing dataset entry, a missing variable entry (DISP-001), a default variable not in the release (DISP-007)', () => {
    const f = files(MINIMAL('order: 1\npalette: viridis\nrange: [0, 1]'));
    expect(checkDisplayForRelease(f, { ...served([]), datasetId: 'other' }).map((r) => r.check)).toEqual([
      'display_dataset_entry',
    ]);
    expect(
      checks(f, [
        { id: 'v', categories: null },
        { id: 'w', categories: null },
      ]),
    ).toEqual(['DISP-001:display_variable_entry']);
    const g = files(
      `datasets:\n  ds:\n    order: 1\n    default_variable: x\n    variables:\n      v: {order: 1, palette: viridis, range: [0, 1]}\n`,
    );
    expect(checks(g, [{ id: 'v', categories: null }])).toEqual(['DISP-007:default_variable_exists']);
  });
  it('type against the data (DISP-002), palette kind and size (DISP-010), labels of undeclared categories (DISP-008)', () => {
    const stated = files(MINIMAL('order: 1\npalette: niche-binary\ntype: categorical'));
    expect(checks(stated, [{ id: 'v', categories: null }])).toEqual([
      'DISP-002:display_type',
      'DISP-002:continuous_has_range',
      'DISP-010:palette_kind',
    ]);
    const ramp = files(MINIMAL('order: 1\npalette: viridis\nrange: [0, 1]'));
    expect(checks(ramp, [{ id: 'v', categories: [0, 1] }])).toEqual(['DISP-010:palette_kind']);
    const set = files(MINIMAL('order: 1\npalette: niche-binary\nlabels: {0: Outside, 1: Inside, 2: Elsewhere}'));
    expect(checks(set, [{ id: 'v', categories: [0, 1, 2] }])).toEqual(['DISP-010:palette_size']);
    expect(checks(set, [{ id: 'v', categories: [0, 1] }])).toEqual(['DISP-008:labels_declared']);
    const ok = files(MINIMAL('order: 1\npalette: niche-binary\nlabels: {0: Outside, 1: Inside}'));
    expect(checks(ok, [{ id: 'v', categories: [0, 1] }])).toEqual([]);
    expect(resolveDisplay(ok, 'ds', 'v', [0, 1]).tiles).toEqual({
      type: 'categorical',
      palette: 'niche-binary',
      colors: ['#e8e8e8', '#2b8c3e'],
      categories: [0, 1],
    });
  });
});
