/** Facts about each sample type, in one place for the reader, the writer and the statistics. */
import type { DType, DTypeArrays } from './types.js';

/** Constructor of each dtype's typed array (a new zeroed array, or a view over an ArrayBuffer). */
export const DTYPE_ARRAY: {
  [K in DType]: {
    new (length: number): DTypeArrays[K];
    new (buffer: ArrayBuffer, byteOffset: number, length: number): DTypeArrays[K];
    BYTES_PER_ELEMENT: number;
  };
} = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Lowest and highest finite value of each dtype (float64: ±Infinity, as every double fits). */
export const DTYPE_RANGE: { readonly [K in DType]: readonly [number, number] } = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Infinity, Infinity],
};

/** True for the names of {@link DType} (and nothing else, e.g. not 'toString'). */
export function isDType(name: string): name is DType {
  return Object.hasOwn(DTYPE_RANGE, name);
}

/** True for float32 and float64. */
export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Bytes per sample of a dtype. */
export function dtypeBytes(dtype: DType): number {
  return DTYPE_ARRAY[dtype].BYTES_PER_ELEMENT;
}
