/**
 * An approved narrowing: the source's samples converted to a declared, different data type and/or nodata, with the
 * full scan the release format demands folded into the conversion — every valid value must fit the new type
 * exactly (in range; integral when the new type is an integer; exactly representable when it is float32), and no
 * valid value may equal the new nodata. Cells equal to the source's nodata (or NaN in a float source whose nodata
 * is NaN) become the new nodata.
 *
 * The scan is exact, not statistical: one value that would change makes the build refuse (COG-016) before
 * anything is published. Lossless is the point — a release is read as the source it came from.
 */
import { DTYPE_ARRAY, DTYPE_RANGE, isFloatDType } from '../../raster/dtype.js';
import type { DType, TypedArray } from '../../raster/types.js';

/** The data type and nodata of one side of a narrowing (nodata in stored units; null = none). */
export interface SampleEncoding {
  dtype: DType;
  nodata: number | null;
}

/** Two nodata values are the same (NaN equals NaN here, as GDAL compares nodata). */
export const sameNodata = (a: number | null, b: number | null): boolean =>
  a === b || (a !== null && b !== null && Number.isNaN(a) && Number.isNaN(b));

/** Why a valid source value cannot be narrowed. */
export type NarrowReason = 'out_of_range' | 'not_integral' | 'not_representable' | 'equals_nodata' | 'nodata_unmapped';

/** The first source sample (index into the strip) that cannot be narrowed, and why. */
export interface NarrowViolation {
  index: number;
  value: number;
  reason: NarrowReason;
}

/** A message for a violation, naming the value and the target encoding. */
export function describeViolation(v: NarrowViolation, to: SampleEncoding): string {
  switch (v.reason) {
    case 'out_of_range':
      return `value ${v.value} is outside the range of ${to.dtype}`;
    case 'not_integral':
      return `value ${v.value} is not an integer, so ${to.dtype} cannot hold it`;
    case 'not_representable':
      return `value ${v.value} is not exactly representable as ${to.dtype}`;
    case 'equals_nodata':
      return `valid value ${v.value} equals the new nodata ${String(to.nodata)}`;
    case 'nodata_unmapped':
      return `the source's nodata cells have no nodata to become (the encoding declares none)`;
  }
}

/**
 * Convert a strip of source samples to `to`'s type. Returns the converted samples and the first violation (then
 * the returned samples are not to be written). Pure; allocates the output array.
 */
export function narrowSamples(
  samples: TypedArray,
  from: SampleEncoding,
  to: SampleEncoding,
): { data: TypedArray; violation: NarrowViolation | null } {
  const out = new DTYPE_ARRAY[to.dtype](samples.length);
  const [lo, hi] = DTYPE_RANGE[to.dtype];
  const toInt = !isFloatDType(to.dtype);
  const toF32 = to.dtype === 'float32';
  const srcNaNIsNodata = from.nodata !== null && Number.isNaN(from.nodata);
  const srcNodata = from.nodata;
  const dstNodata = to.nodata;
  const dstNaN = dstNodata !== null && Number.isNaN(dstNodata);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v === srcNodata || (srcNaNIsNodata && v !== v)) {
      if (dstNodata === null) return { data: out, violation: { index: i, value: v, reason: 'nodata_unmapped' } };
      out[i] = dstNodata;
      continue;
    }
    if (v !== v) {
      // NaN in a float source whose nodata is not NaN: a valid NaN fits only a float target, and not one whose
      // nodata is NaN (it would read back as nodata).
      if (toInt) return { data: out, violation: { index: i, value: v, reason: 'not_integral' } };
      if (dstNaN) return { data: out, violation: { index: i, value: v, reason: 'equals_nodata' } };
      out[i] = v;
      continue;
    }
    if (toInt) {
      if (!Number.isInteger(v)) return { data: out, violation: { index: i, value: v, reason: 'not_integral' } };
      if (v < lo || v > hi) return { data: out, violation: { index: i, value: v, reason: 'out_of_range' } };
    } else if (toF32 && Math.fround(v) !== v) {
      const reason = Number.isFinite(v) && (v < lo || v > hi) ? 'out_of_range' : 'not_representable';
      return { data: out, violation: { index: i, value: v, reason } };
    }
    if (v === dstNodata) return { data: out, violation: { index: i, value: v, reason: 'equals_nodata' } };
    out[i] = v;
  }
  return { data: out, violation: null };
}
