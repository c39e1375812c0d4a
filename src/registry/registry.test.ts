import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { createColormapSet } from './colormaps.js';
import { parseRegistry } from './registry.js';

const SKOPE_PRECIP = ['#B5834A', '#CDAA78', '#DEC499', '#EFE0CA', '#D8EEEA', '#9ECEC6', '#5CAFA8', '#358C87'];
const colormaps = createColormapSet({ 'skope-precip': SKOPE_PRECIP });

const TWO_DATASETS = `
- id: ds-one
  crs: EPSG:4326
  transform: [0.00833, 0, -115, 0, -0.00833, 43]
  variables:
    - id: ppt
- id: ds-two
  crs: EPSG:32612
  transform: [800, 0, 200000, 0, -800, 4800000, 0, 0, 1]
  timespan:
    period: { gte: '0001', lte: '0005' }
  variables:
    - id: temp
      colormap: skope-precip
    - id: tmax
      colormap: ''
`;

function rejects(yaml: string, code: ErrorCode = 'registry_invalid'): string {
  try {
    parseRegistry(yaml, colormaps, 'metadata.yml');
  } catch (err) {
    expect(isAppError(err, code), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected ${code}`);
}

describe('parseRegistry (upstream test_registry)', () => {
  it('loads datasets in file order and keeps crs, transform and period', () => {
    const registry = parseRegistry(TWO_DATASETS, colormaps, 'metadata.yml');
    expect(registry.list().map((d) => d.id)).toEqual(['ds-one', 'ds-two']);
    const one = registry.get('ds-one');
    expect(one?.crs).toBe('EPSG:4326');
    expect(one?.transform).toEqual([0.00833, 0, -115, 0, -0.00833, 43]);
    expect(one?.period).toBeNull();
    const two = registry.get('ds-two');
    expect(two?.transform).toEqual([800, 0, 200000, 0, -800, 4800000]); // 9 elements accepted, first 6 used
    expect(two?.period).toEqual({ gte: '0001', lte: '0005' });
    expect(registry.get('nope')).toBeNull();
    expect(registry.getVariable('ds-two', 'temp')?.colormap).toBe('skope-precip');
    expect(registry.getVariable('ds-two', 'nope')).toBeNull();
    expect(registry.getVariable('nope', 'temp')).toBeNull();
  });

  it('gives variables without a truthy colormap viridis, with 256 stops', () => {
    const registry = parseRegistry(TWO_DATASETS, colormaps, 'metadata.yml');
    for (const [ds, v] of [
      ['ds-one', 'ppt'],
      ['ds-two', 'tmax'],
    ] as const) {
      const variable = registry.getVariable(ds, v);
      expect(variable?.colormap).toBe('viridis');
      expect(variable?.colormapStops.length).toBe(256);
      expect(variable?.colormapStops[0]).toBe('#440154');
      expect(variable?.raw['colormap']).toBe('viridis');
    }
    expect(registry.getVariable('ds-two', 'temp')?.colormapStops).toEqual(SKOPE_PRECIP);
  });

  it('rejects a dataset without id', () => {
    expect(rejects('- crs: EPSG:4326\n  transform: [1, 0, 0, 0, -1, 0]\n')).toBe(
      "Registry contains a dataset entry without an 'id'.",
    );
  });

  it('rejects a dataset without crs', () => {
    expect(rejects('- id: my-ds\n  transform: [1, 0, 0, 0, -1, 0]\n')).toBe(
      "Dataset 'my-ds' is missing required 'crs'.",
    );
    expect(rejects('- id: my-ds\n  crs: 4326\n  transform: [1, 0, 0, 0, -1, 0]\n')).toContain('my-ds');
  });

  it.each([['[1, 0, 0, 0]'], ['[1, 0, 0, 0, -1, 0, 0, 0]'], ['[1, 0, 0, "x", -1, 0]'], ['"1,0,0,0,-1,0"'], ['null']])(
    'rejects transform %s',
    (transform) => {
      expect(rejects(`- id: bad-ds\n  crs: EPSG:4326\n  transform: ${transform}\n`)).toBe(
        "Dataset 'bad-ds' is missing a valid 6- or 9-element 'transform' array.",
      );
    },
  );

  it('rejects non-finite and singular transforms', () => {
    expect(rejects('- id: bad-ds\n  crs: EPSG:4326\n  transform: [.inf, 0, 0, 0, -1, 0]\n')).toBe(
      "Dataset 'bad-ds' has a non-finite number in 'transform'.",
    );
    expect(rejects('- id: bad-ds\n  crs: EPSG:4326\n  transform: [0, 0, 0, 0, -1, 0]\n')).toContain('singular');
  });

  it('rejects bad YAML and a non-list document', () => {
    expect(rejects('key: [unclosed')).toMatch(/^Failed to parse registry YAML: /);
    expect(rejects('id: ds')).toBe('Registry must be a YAML list of datasets.');
    expect(rejects('')).toBe('Registry must be a YAML list of datasets.');
    expect(parseRegistry('[]', colormaps, 'x').list()).toEqual([]);
  });

  it('rejects duplicate ids and malformed variables', () => {
    const ds = (extra: string): string => `- id: d\n  crs: EPSG:4326\n  transform: [1, 0, 0, 0, -1, 0]\n${extra}`;
    expect(rejects(ds('') + ds(''))).toBe("Registry contains more than one dataset with id 'd'.");
    expect(rejects(ds('  variables: [{ id: v }, { id: v }]\n'))).toBe(
      "Dataset 'd' has more than one variable with id 'v'.",
    );
    expect(rejects(ds('  variables: [{ name: v }]\n'))).toBe("Dataset 'd' has a variable without an 'id'.");
    expect(rejects(ds('  variables: { id: v }\n'))).toBe("Dataset 'd' has 'variables' that is not a list.");
    expect(rejects(ds('  variables: [{ id: v, colormap: 5 }]\n'))).toContain("'colormap' that is not a string");
  });

  it('insists on quoted ISO period bounds (unquoted 0103 would be the number 103)', () => {
    const ds = (period: string): string =>
      `- id: d\n  crs: EPSG:4326\n  transform: [1, 0, 0, 0, -1, 0]\n  timespan: { period: ${period} }\n`;
    expect(rejects(ds('{ gte: 0103, lte: "2000" }'))).toBe(
      "Dataset 'd' has an invalid 'timespan.period.gte' 103: expected a quoted ISO-8601 string such as '0103'.",
    );
    expect(rejects(ds('{ gte: "0103" }'))).toContain("'timespan.period.lte' undefined");
    expect(parseRegistry(ds('{ timeZero: 1 }'), colormaps, 'x').get('d')?.period).toBeNull();
  });

  it('fails on an unknown colormap with the upstream-style sentence', () => {
    const yaml =
      '- id: d\n  crs: EPSG:4326\n  transform: [1, 0, 0, 0, -1, 0]\n  variables: [{ id: v, colormap: nope }]\n';
    expect(rejects(yaml, 'colormap_not_found')).toBe(
      "Colormap 'nope' (used by variable 'v') is not in the custom colormaps and is not a built-in colormap.",
    );
  });

  it('keeps every other key, in file order, for /metadata (the upstream example)', () => {
    const yaml = `
- id: paleocar_v3
  title: "PaleoCAR: SW USA Paleoclimate Reconstruction (V3)"
  ordering: 1
  region:
    zoom: 4
    center: [37, -108.5]
    resolution: 800m
    name: Southwestern USA
    style: { color: red, weight: 1 }
    extents: [[43, -115], [31, -102]]
  timespan:
    resolution: year
    resolutionLabel: yearly
    period: { timeZero: 1, gte: '0103', lte: '2000', suffix: CE }
  crs: EPSG:4269
  transform: [0.008333333332949996, 0.0, -114.995833333457, 0.0, -0.008333333333010806, 42.9958333336016, 0.0, 0.0, 1.0]
  variables:
    - id: ppt_annual
      class: Precipitation
      name: Annual (Jan–Dec) Precipitation
      units: mm
      colormap: skope-precip
      min: 0
      max: 10
      styles: default,raster
`;
    const registry = parseRegistry(yaml, colormaps, 'metadata.yml');
    expect(JSON.stringify(registry.list().map((d) => d.raw))).toBe(
      '[{"id":"paleocar_v3","title":"PaleoCAR: SW USA Paleoclimate Reconstruction (V3)","ordering":1,' +
        '"region":{"zoom":4,"center":[37,-108.5],"resolution":"800m","name":"Southwestern USA",' +
        '"style":{"color":"red","weight":1},"extents":[[43,-115],[31,-102]]},' +
        '"timespan":{"resolution":"year","resolutionLabel":"yearly",' +
        '"period":{"timeZero":1,"gte":"0103","lte":"2000","suffix":"CE"}},' +
        '"crs":"EPSG:4269",' +
        '"transform":[0.008333333332949996,0,-114.995833333457,0,-0.008333333333010806,42.9958333336016,0,0,1],' +
        '"variables":[{"id":"ppt_annual","class":"Precipitation","name":"Annual (Jan–Dec) Precipitation","units":"mm",' +
        '"colormap":"skope-precip","min":0,"max":10,"styles":"default,raster",' +
        '"colormap_stops":["#B5834A","#CDAA78","#DEC499","#EFE0CA","#D8EEEA","#9ECEC6","#5CAFA8","#358C87"]}]}]',
    );
    // Loaded entries are immutable: /metadata can hand them out directly.
    expect(Object.isFrozen(registry.get('paleocar_v3')?.raw)).toBe(true);
  });
});
