import { ZSTDDecoder } from 'zstddec';

/** Decodes one ZSTD frame into exactly `expectedBytes` bytes. */
export type ZstdDecode = (data: Uint8Array, expectedBytes: number) => Uint8Array;

/**
 * Instantiates the zstddec WebAssembly decoder (TIFF compression 50000). zstddec keeps one WASM instance per
 * process itself, so calling this again is cheap; callers still receive the decoder as a value.
 */
export async function createZstdDecoder(): Promise<ZstdDecode> {
  const decoder = new ZSTDDecoder();
  await decoder.init();
  return (data, expectedBytes) => {
    let out: Uint8Array;
    try {
      out = decoder.decode(data, expectedBytes);
    } catch (err) {
      throw new Error(`ZSTD frame is corrupt (${err instanceof Error ? err.message : String(err)})`);
    }
    // ZSTD_decompress reports errors as a huge (or negative) size: anything but the expected length is corrupt.
    if (out.length !== expectedBytes) {
      throw new Error(`ZSTD frame decoded to ${out.length} bytes, expected ${expectedBytes}`);
    }
    return out;
  };
}
