import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasCommand, requireTool } from '../../test/support/env.js';
import { isAppError } from '../errors.js';
import { createColormapSet, interpolateStops, lutStops, parseCustomColormaps } from './colormaps.js';
import { COLORMAP_TABLES } from './colormaps.data.js';

const SKOPE_PRECIP = ['#B5834A', '#CDAA78', '#DEC499', '#EFE0CA', '#D8EEEA', '#9ECEC6', '#5CAFA8', '#358C87'];
const REQUIRED = [
  'viridis', 'plasma', 'inferno', 'magma', 'cividis', 'greys', 'blues', 'greens', 'reds', 'ylgnbu', 'ylorrd',
  'rdylbu', 'rdbu', 'brbg', 'spectral', 'coolwarm', 'terrain',
]; // prettier-ignore

function hexAt(lut: Uint8Array, i: number): string {
  return lutStops(lut.subarray(i * 4, i * 4 + 4))[0] as string;
}

function appErrorMessage(fn: () => unknown, code: 'colormap_invalid'): string {
  try {
    fn();
  } catch (err) {
    expect(isAppError(err, code)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected ${code}`);
}

describe('interpolateStops (upstream build_colormaps.py)', () => {
  it('gives the upstream check values for skope-precip', () => {
    const lut = interpolateStops(SKOPE_PRECIP);
    expect(lut.length).toBe(1024);
    const expected: [number, string][] = [
      [0, '#b5834a'], [1, '#b6844b'], [36, '#cdaa77'], [37, '#cdaa79'], [64, '#dabe91'],
      [127, '#e4e7da'], [128, '#e3e7da'], [200, '#7ebfb7'], [254, '#368d88'], [255, '#358c87'],
    ]; // prettier-ignore
    for (const [i, hex] of expected) expect(hexAt(lut, i), `index ${i}`).toBe(hex);
    for (let i = 0; i < 256; i++) expect(lut[i * 4 + 3]).toBe(255);
  });

  it('interpolates two stops linearly, ends exact', () => {
    const lut = interpolateStops(['#000000', '#ff8000']);
    expect([...lut.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
    expect([...lut.subarray(100 * 4, 100 * 4 + 4)]).toEqual([100, 50, 0, 255]); // 128·100/255 = 50.196
    expect([...lut.subarray(1020, 1024)]).toEqual([255, 128, 0, 255]);
  });

  it('rejects fewer than 2 stops with the upstream sentence, and bad stops', () => {
    expect(appErrorMessage(() => interpolateStops(['#ffffff'], 'one'), 'colormap_invalid')).toBe(
      "Colormap 'one' must have at least 2 color stops, got 1.",
    );
    expect(appErrorMessage(() => interpolateStops(['#fff', '#000000'], 'short'), 'colormap_invalid')).toContain('#fff');
    expect(appErrorMessage(() => interpolateStops(['red', '#000000']), 'colormap_invalid')).toContain("'#rrggbb'");
  });
});

describe('parseCustomColormaps', () => {
  it('reads name → stops, as written', () => {
    expect(parseCustomColormaps(JSON.stringify({ 'skope-precip': SKOPE_PRECIP }), 'colormaps.json')).toEqual({
      'skope-precip': SKOPE_PRECIP,
    });
    expect(parseCustomColormaps('{}', 'x')).toEqual({});
    const odd = parseCustomColormaps('{"__proto__": ["#000000", "#ffffff"]}', 'x');
    expect(Object.keys(odd)).toEqual(['__proto__']);
    expect(createColormapSet(odd).get('__proto__')?.stops).toEqual(['#000000', '#ffffff']);
  });

  it.each([
    ['{"a": ["#000000"]}', "Colormap 'a' must have at least 2 color stops, got 1."],
    ['{"a": []}', "Colormap 'a' must have at least 2 color stops, got 0."],
    ['{"a": "#000000"}', "Colormap 'a' in colormaps.json must be an array of '#rrggbb' strings."],
    ['{"a": ["#000000", 5]}', "Colormap 'a' has an invalid color stop 5; expected '#rrggbb'."],
    ['["#000000"]', 'Colormaps file colormaps.json must hold a JSON object of name → color stops.'],
    ['{"a": [', 'Failed to parse colormaps JSON colormaps.json'],
  ])('rejects %s', (text, sentence) => {
    expect(appErrorMessage(() => parseCustomColormaps(text, 'colormaps.json'), 'colormap_invalid')).toContain(sentence);
  });
});

describe('createColormapSet', () => {
  const set = createColormapSet({ 'skope-precip': SKOPE_PRECIP });

  it('has the TiTiler set and every _r reversal', () => {
    for (const name of REQUIRED) {
      expect(set.get(name), name).not.toBeNull();
      expect(set.get(`${name}_r`), `${name}_r`).not.toBeNull();
    }
    expect(set.names()).toContain('rdylbu_r');
    expect(set.names()).toContain('skope-precip_r');
    expect(set.names().length).toBe(2 * Object.keys(COLORMAP_TABLES).length + 2);
    expect(set.get('Viridis')).toBeNull(); // case-sensitive like rio-tiler
    expect(set.get('nope')).toBeNull();
  });

  it('has matplotlib/rio-tiler table values (×255, truncated)', () => {
    const at = (name: string, i: number): string => hexAt((set.get(name) ?? fail(name)).lut, i);
    expect([at('viridis', 0), at('viridis', 1), at('viridis', 128), at('viridis', 255)]).toEqual([
      '#440154', '#440255', '#20908c', '#fde724',
    ]); // prettier-ignore
    expect([at('greys', 0), at('greys', 128), at('greys', 255)]).toEqual(['#ffffff', '#959595', '#000000']);
    expect([at('rdbu', 0), at('rdbu', 127), at('rdbu', 128), at('rdbu', 255)]).toEqual([
      '#67001f', '#f7f6f6', '#f6f6f6', '#053061',
    ]); // prettier-ignore
    expect([at('terrain', 0), at('terrain', 100), at('terrain', 255)]).toEqual(['#333399', '#91e983', '#ffffff']);
    expect([at('coolwarm', 0), at('coolwarm', 128), at('coolwarm', 255)]).toEqual(['#3a4cc0', '#dddcdb', '#b30326']);
  });

  it('reverses with matplotlib _r values (not always the mirrored table)', () => {
    const viridis = set.get('viridis')?.lut ?? fail('viridis');
    const viridisR = set.get('viridis_r')?.lut ?? fail('viridis_r');
    for (let i = 0; i < 256; i++) expect(hexAt(viridisR, i)).toBe(hexAt(viridis, 255 - i));
    // matplotlib re-samples reversed segment data: blues_r[165] is (165,204,227), the mirror says (165,205,227).
    expect(hexAt(set.get('blues')?.lut ?? fail('blues'), 255 - 165)).toBe('#a5cde3');
    expect(hexAt(set.get('blues_r')?.lut ?? fail('blues_r'), 165)).toBe('#a5cce3');
    expect(hexAt(set.get('terrain_r')?.lut ?? fail('terrain_r'), 5)).toBe('#f5f2f1');
  });

  it('gives 256 lowercase stops for built-ins and the stops as written for custom maps', () => {
    const viridis = set.get('viridis') ?? fail('viridis');
    expect(viridis.stops.length).toBe(256);
    expect(viridis.stops[0]).toBe('#440154');
    expect(viridis.stops.every((s) => /^#[0-9a-f]{6}$/.test(s))).toBe(true);
    const custom = set.get('skope-precip') ?? fail('skope-precip');
    expect(custom.stops).toEqual(SKOPE_PRECIP);
    expect(hexAt(custom.lut, 36)).toBe('#cdaa77');
    const reversed = set.get('skope-precip_r') ?? fail('skope-precip_r');
    expect(reversed.stops).toEqual([...SKOPE_PRECIP].reverse());
    expect(hexAt(reversed.lut, 255 - 36)).toBe('#cdaa77');
  });

  it('lets a custom map override a built-in of the same name', () => {
    const own = createColormapSet({ viridis: ['#000000', '#ffffff'] });
    expect(own.get('viridis')?.stops).toEqual(['#000000', '#ffffff']);
    expect(hexAt(own.get('viridis_r')?.lut ?? fail('viridis_r'), 0)).toBe('#ffffff');
  });
});

// Cross-check every table against matplotlib itself with rio-tiler's recipe, when Debian's matplotlib is present.
const PY = '/usr/bin/python3';
// Required under CI=true (.ci/run installs python3-matplotlib); elsewhere skipped with a notice.
const HAS_MATPLOTLIB = requireTool('matplotlib', hasCommand(PY, ['-c', 'import matplotlib, numpy']));

describe.skipIf(!HAS_MATPLOTLIB)('built-in tables equal matplotlib (rio-tiler recipe)', () => {
  it('matches every table and every _r table', () => {
    const script = [
      'import json, matplotlib, numpy as np',
      'x = np.linspace(0, 1, 256)',
      'names = [n for n in matplotlib.colormaps if not n.endswith("_r")]',
      'out = {}',
      'for n in names:',
      '  for s in ("", "_r"):',
      '    t = (matplotlib.colormaps[n + s](x) * 255).astype("uint8")',
      '    out[n.lower() + s] = "".join("%02x%02x%02x" % tuple(r[:3]) for r in t.tolist())',
      'print(json.dumps(out))',
    ].join('\n');
    const expected = JSON.parse(execFileSync(PY, ['-c', script], { encoding: 'utf8' })) as Record<string, string>;
    const set = createColormapSet();
    expect(Object.keys(expected).sort()).toEqual(set.names());
    // rio-tiler truncates `value × 255` to uint8, so a channel computed as 254.9999… or 255.0000… by a formula
    // (e.g. `flag`, built from sines) lands on either side depending on the numpy build: allow 1 of 255 per channel.
    for (const [name, hex] of Object.entries(expected)) {
      const ours = (set.get(name) ?? fail(name)).stops.join('').replaceAll('#', '');
      expect(ours.length, name).toBe(hex.length);
      let worst = 0;
      for (let i = 0; i < hex.length; i += 2) {
        worst = Math.max(worst, Math.abs(parseInt(ours.slice(i, i + 2), 16) - parseInt(hex.slice(i, i + 2), 16)));
      }
      expect(worst, name).toBeLessThanOrEqual(1);
    }
  });
});

function fail(name: string): never {
  throw new Error(`missing colormap ${name}`);
}
