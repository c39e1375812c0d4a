/** The release format: documents, identifiers, digests, the time axis, serialisations and verification. */
export * from './documents.js';
export * from './digest.js';
export * from './ids.js';
export * from './overview.emit.js';
export * from './serialize.js';
export * from './timeaxis.js';
export * from './verify.js';
