/**
 * Deterministic bytes that compress like raster data: runs of one value, a new value at about one position in
 * `every`, from a linear congruential generator seeded with `seed` (the inflate tests' streams).
 */
export function compressibleBytes(n: number, seed: number, every: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 24) % every === 0 ? x >>> 16 : (out[i - 1] ?? 0);
  }
  return out;
}
