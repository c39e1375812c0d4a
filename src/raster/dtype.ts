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
