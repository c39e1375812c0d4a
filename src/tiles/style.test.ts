import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { formatG, parsePythonFloat, validateTileStyle } from './style.js';

function sentence(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAppError(err, 'invalid_request')) return err.message;
    throw err;
  }
  return 'no error';
}

describe("tile style validation (upstream's validate_tile_style)", () => {
  it('falls back to the registry colormap', () => {
    for (const cm of [undefined, '', '  ', 'undefined', 'NULL', ' Undefined ']) {
      expect(validateTileStyle(cm, undefined, 'viridis').colormap).toBe('viridis');
    }
    expect(validateTileStyle(' magma ', undefined, 'viridis').colormap).toBe('magma');
  });

  it('normalises the rescale with %g', () => {
    expect(validateTileStyle('viridis', '0.0,100.00', 'x')).toMatchObject({
      rescaleText: '0,100',
      rescale: { lo: 0, hi: 100 },
    });
    expect(validateTileStyle('viridis', '0,1234567', 'x').rescaleText).toBe('0,1.23457e+06');
    expect(validateTileStyle('viridis', ' -5e-5 , 1_000 ', 'x').rescaleText).toBe('-5e-05,1000');
    expect(validateTileStyle('viridis', undefined, 'x').rescaleText).toBe('0,100');
  });

  it('rejects bad styles with upstream sentences', () => {
    expect(sentence(() => validateTileStyle('../viridis', '0,100', 'x'))).toBe('Invalid colormap name.');
    expect(sentence(() => validateTileStyle('a'.repeat(65), '0,100', 'x'))).toBe('Invalid colormap name.');
    expect(sentence(() => validateTileStyle('viridis', '0', 'x'))).toBe(
      'Rescale must contain exactly two numeric values.',
    );
    expect(sentence(() => validateTileStyle('viridis', '0,1,2', 'x'))).toBe(
      'Rescale must contain exactly two numeric values.',
    );
    expect(sentence(() => validateTileStyle('viridis', '0,abc', 'x'))).toBe(
      'Rescale must contain exactly two numeric values.',
    );
    expect(sentence(() => validateTileStyle('viridis', '0,', 'x'))).toBe(
      'Rescale must contain exactly two numeric values.',
    );
    expect(sentence(() => validateTileStyle('viridis', 'nan,100', 'x'))).toBe('Rescale values must be finite.');
    expect(sentence(() => validateTileStyle('viridis', '0,-Infinity', 'x'))).toBe('Rescale values must be finite.');
    expect(sentence(() => validateTileStyle('viridis', '100,0', 'x'))).toBe(
      'Rescale minimum must be less than maximum.',
    );
    expect(sentence(() => validateTileStyle('viridis', '0,0', 'x'))).toBe('Rescale minimum must be less than maximum.');
  });

  it('parses floats as Python does', () => {
    expect(parsePythonFloat(' 1e3 ')).toBe(1000);
    expect(parsePythonFloat('.5')).toBe(0.5);
    expect(parsePythonFloat('5.')).toBe(5);
    expect(parsePythonFloat('+inf')).toBe(Infinity);
    expect(parsePythonFloat('-Infinity')).toBe(-Infinity);
    expect(parsePythonFloat('NaN')).toBeNaN();
    expect(parsePythonFloat('1__0')).toBeNull();
    expect(parsePythonFloat('_1')).toBeNull();
    expect(parsePythonFloat('0x10')).toBeNull();
    expect(parsePythonFloat('')).toBeNull();
    expect(parsePythonFloat('.')).toBeNull();
    expect(parsePythonFloat('1e')).toBeNull();
  });

  it('formats %g like Python', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [100, '100'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [123456, '123456'],
      [1234567, '1.23457e+06'],
      [999999.5, '1e+06'],
      [1234565, '1.23456e+06'], // exact tie: half to even
      [1234575, '1.23458e+06'],
      [0.1, '0.1'],
      [2.5, '2.5'],
      [-3.14159265, '-3.14159'],
      [1e100, '1e+100'],
      [5e-324, '4.94066e-324'],
    ];
    for (const [x, s] of cases) expect(formatG(x), String(x)).toBe(s);
  });

  it('%g text parses back within 6 significant digits', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), (x) => {
        const back = Number(formatG(x));
        expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.abs(x) * 5e-6 + Number.MIN_VALUE);
      }),
    );
  });
});
