/**
 * Reads of DEFLATE blocks whose top rows suffice on a machine without the libdeflate binding (`npm ci` without
 * libdeflate-dev): the binding's functions answer null here, so every block inflates with Node's zlib, as there.
 */
import { vi } from 'vitest';
import type * as Libdeflate from './codecs/libdeflate.js';
import { prefixSuite } from '../../test/support/cog.prefix.suite.js';

vi.mock('./codecs/libdeflate.js', async (original) => ({
  ...(await original<typeof Libdeflate>()),
  libdeflateInflate: () => null,
  libdeflateInflateAsync: () => null,
  libdeflateInflateHead: () => null,
  nativeDeltaCount: () => null,
}));

prefixSuite('zlib');
