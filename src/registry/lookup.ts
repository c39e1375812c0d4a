/**
 * A dataset's `lookup.json` (U§3.2): which file and band hold each timestep of each variable.
 * - `parseLookup` validates every entry;
 * - `resolveTemporalSlice` / `resolveSingleBand` map a time range or one timestep to storage URLs and bands;
 * - `LookupStore` loads, caches and re-checks lookups through the byte sources.
 */
export { parseLookup, serializeLookup } from './lookup.parse.js';
export { joinStorageUrl, resolveSingleBand, resolveTemporalSlice } from './lookup.resolve.js';
export { LookupStore } from './lookup.store.js';
export type { LookupStoreOptions } from './lookup.store.js';
