/**
 * Reads of DEFLATE blocks whose top rows suffice, with the libdeflate binding (`test/support/cog.prefix.suite.ts`);
 * its `zlibInflateHead` is wrapped to record what each call answered.
 */
import { vi } from 'vitest';
import type * as Libdeflate from './codecs/libdeflate.js';
import { requireTool } from '../../test/support/env.js';
import { prefixSuite } from '../../test/support/cog.prefix.suite.js';
import { libdeflateInflateHead, libdeflateStatus } from './codecs/libdeflate.js';

const heads = vi.hoisted((): number[] => []);
vi.mock('./codecs/libdeflate.js', async (original) => {
  const real = await original<typeof Libdeflate>();
  const head = real.libdeflateInflateHead();
  const recorded =
    head &&
    ((src: Uint8Array, dst: Uint8Array, need: number): number => {
      const n = head(src, dst, need);
      heads.push(n);
      return n;
    });
  return { ...real, libdeflateInflateHead: () => recorded };
});

if (requireTool('libdeflate binding', libdeflateInflateHead() !== null, libdeflateStatus())) {
  prefixSuite('libdeflate', heads);
}
