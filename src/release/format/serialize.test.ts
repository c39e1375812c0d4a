/** The release JSON layout and Python float repr, checked against Python's own json.dumps and repr. */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../../test/support/env.js';
import { codePointCompare, pyFloat, releaseJson } from './serialize.js';

const hasPython = requireTool('rasterio', HAS_RASTERIO());

describe('pyFloat', () => {
  it('worked examples', () => {
    expect(pyFloat(1)).toBe('1.0');
    expect(pyFloat(0)).toBe('0.0');
    expect(pyFloat(-0)).toBe('-0.0');
    expect(pyFloat(0.008333333332949996)).toBe('0.008333333332949996');
    expect(pyFloat(1e-5)).toBe('1e-05');
    expect(pyFloat(0.0001)).toBe('0.0001');
    expect(pyFloat(1e16)).toBe('1e+16');
    expect(pyFloat(1e15)).toBe('1000000000000000.0');
    expect(pyFloat(-1.5e-7)).toBe('-1.5e-07');
    expect(pyFloat(4294967295)).toBe('4294967295.0');
    expect(() => pyFloat(NaN)).toThrow();
  });
  it.runIf(hasPython)('equals Python repr for random doubles', () => {
    const xs = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 3000 });
    xs.push(...fc.sample(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { numRuns: 1000 }));
    const py = execFileSync(PYTHON, ['-c', 'import sys,json\nfor x in json.load(sys.stdin): print(repr(float(x)))'], {
      input: JSON.stringify(xs.map((x) => (Object.is(x, -0) ? 0 : x))),
      encoding: 'utf8',
    }).split('\n');
    xs.forEach((x, i) => expect(pyFloat(Object.is(x, -0) ? 0 : x), String(x)).toBe(py[i]));
  });
});

describe('releaseJson', () => {
  const doc = {
    b: [1, 2.5, { z: [], y: {} }],
    a: 'ünïcode "quoted" \n tab\t \u0001',
    'raster:scale': 1,
    bbox: [[-114.995833333457, 30, 1e-7, 2]],
    n: null,
    t: true,
    '\u{1F600}': 1,
    '\uFFFF': 2,
  };
  const floatKeys = new Set(['raster:scale', 'bbox']);
  it('layout', () => {
    expect(releaseJson({})).toBe('{}\n');
    expect(releaseJson({ a: [] })).toBe('{\n  "a": []\n}\n');
    expect(releaseJson({ a: [1, 2] })).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}\n');
  });
  it('sorts keys by code point', () => {
    expect(['\u{1F600}', '\uFFFF'].sort(codePointCompare)).toEqual(['\uFFFF', '\u{1F600}']);
  });
  it.runIf(hasPython)("equals Python's json.dumps(indent=2, sort_keys=True, ensure_ascii=False) + newline", () => {
    const script = [
      'import sys, json',
      'd = json.load(sys.stdin)',
      "d['raster:scale'] = float(d['raster:scale'])",
      "d['bbox'] = [[float(x) for x in r] for r in d['bbox']]",
      "sys.stdout.buffer.write((json.dumps(d, indent=2, sort_keys=True, ensure_ascii=False) + '\\n').encode('utf-8'))",
    ].join('\n');
    const py = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(doc), encoding: 'utf8' });
    expect(releaseJson(doc, floatKeys)).toBe(py);
  });
});
