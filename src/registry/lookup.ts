/**
 * Deprecated re-export, kept only while `src/tiles/tile.service.ts` imports it: import the real modules instead —
 * `lookup.parse.ts` (validation), `lookup.resolve.ts` (timesteps → files and bands), `lookup.store.ts` (loading and
 * caching). Delete this file once nothing imports it.
 */
export { parseLookup, serializeLookup } from './lookup.parse.js';
export { joinStorageUrl, resolveSingleBand, resolveTemporalSlice } from './lookup.resolve.js';
export { LookupStore } from './lookup.store.js';
export type { LookupStoreOptions } from './lookup.store.js';
