/** Narrowing: worked examples of each refusal, and the lossless property (accepted ⇒ every value reads back). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { narrowSamples } from './narrow.js';

const U32 = { dtype: 'uint32', nodata: 4294967295 } as const;
const U16 = { dtype: 'uint16', nodata: 65535 } as const;

describe('narrowSamples', () => {
  it('PaleoCAR-style uint32 (nodata 4294967295) → uint16 (nodata 65535): values kept, nodata mapped', () => {
    const r = narrowSamples(Uint32Array.of(0, 812, 4294967295, 65534), U32, U16);
    expect(r.violation).toBeNull();
    expect(r.data).toBeInstanceOf(Uint16Array);
    expect([...r.data]).toEqual([0, 812, 65535, 65534]);
  });
  it('refuses a value beyond the new range, at its index', () => {
    expect(narrowSamples(Uint32Array.of(1, 70000, 2), U32, U16).violation).toEqual({
      index: 1,
      value: 70000,
      reason: 'out_of_range',
    });
  });
  it('refuses a valid value equal to the new nodata', () => {
    expect(narrowSamples(Uint32Array.of(65535), U32, U16).violation?.reason).toBe('equals_nodata');
  });
  it('float → int: refuses a fraction and a valid NaN; NaN nodata maps', () => {
    const from = { dtype: 'float32', nodata: NaN } as const;
    const to = { dtype: 'int16', nodata: -32768 } as const;
    expect(narrowSamples(Float32Array.of(1, NaN, -3), from, to)).toEqual({
      data: Int16Array.of(1, -32768, -3),
      violation: null,
    });
    expect(narrowSamples(Float32Array.of(1.5), from, to).violation?.reason).toBe('not_integral');
    expect(narrowSamples(Float32Array.of(NaN), { dtype: 'float32', nodata: -9999 }, to).violation?.reason).toBe(
      'not_integral',
    );
  });
  it('float64 → float32: refuses a value float32 cannot hold exactly', () => {
    const from = { dtype: 'float64', nodata: -9999 } as const;
    const to = { dtype: 'float32', nodata: -9999 } as const;
    expect(narrowSamples(Float64Array.of(0.5, 0.1), from, to).violation).toEqual({
      index: 1,
      value: 0.1,
      reason: 'not_representable',
    });
    expect(narrowSamples(Float64Array.of(1e39), from, to).violation?.reason).toBe('out_of_range');
  });
  it('a source nodata with no nodata declared for the output is refused', () => {
    expect(narrowSamples(Uint32Array.of(4294967295), U32, { dtype: 'uint16', nodata: null }).violation?.reason).toBe(
      'nodata_unmapped',
    );
  });
  it('property: accepted ⇔ every valid value fits; accepted output equals the input cell by cell', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constant(4294967295))), (values) => {
        const r = narrowSamples(Uint32Array.from(values), U32, U16);
        const fits = values.every((v) => v === 4294967295 || v < 65535);
        expect(r.violation === null).toBe(fits);
        if (fits) values.forEach((v, i) => expect(r.data[i]).toBe(v === 4294967295 ? 65535 : v));
        else {
          const first = values.findIndex((v) => v !== 4294967295 && v >= 65535);
          expect(r.violation?.index).toBe(first);
        }
      }),
    );
  });
});
