/**
 * `Cog.scan` visits exactly the cells `Cog.read` returns inside the raster, once each, for every fixture (dtypes,
 * codecs, interleaves, predictors, tiled and striped, masks, sparse blocks) and every way of reading blocks.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestFileSource } from '../../test/support/file.source.js';
import { FileSource } from '../storage/source.file.js';
import { createBlockCache } from './block.cache.js';
import { openCog } from './cog.js';
import { COGS, fixtureNames } from '../../test/support/cog.fixtures.js';
import type { Cog, PixelWindow } from './types.js';

const WINDOWS: PixelWindow[] = [
  { col: 0, row: 0, width: 37, height: 29 },
  { col: 14, row: 14, width: 5, height: 5 },
  { col: -5, row: -3, width: 12, height: 9 },
  { col: 30, row: 20, width: 10, height: 12 },
];

const VIA = ['async', 'cache', 'sync'] as const;

async function open(name: string, via: (typeof VIA)[number]): Promise<Cog> {
  const path = join(COGS, name);
  if (via === 'sync') return openCog(new FileSource(path, { syncReads: true }));
  return openCog(new TestFileSource(path), via === 'cache' ? { blockCache: createBlockCache(1 << 24) } : {});
}

describe('Cog.scan visits what Cog.read returns', () => {
  it.each(VIA.flatMap((via) => [false, true].map((acceptDeltas) => [via, acceptDeltas] as const)))(
    'every fixture and window, reading %s, deltas accepted: %s',
    async (via, acceptDeltas) => {
      let checked = 0;
      let sawDeltas = false;
      for (const name of fixtureNames()) {
        const cog = await open(name, via);
        const { width: W, height: H } = cog.metadata;
        for (const window of WINDOWS) {
          const bands = cog.metadata.bands >= 3 ? [3, 1] : [1];
          const read = await cog.read({ bands, window });
          const plane = window.width * window.height;
          const seen = new Float64Array(plane * bands.length).fill(NaN);
          const visits = new Uint8Array(plane * bands.length);
          await cog.scan({ bands, window, acceptDeltas }, (i, samples, span) => {
            const { clip } = span;
            const at = (r: number, c: number): number =>
              samples[span.offset + (r - span.y0) * span.rowStride + (c - span.x0) * span.step] as number;
            const deltas = span.rows === 'deltas';
            if (deltas) {
              expect(acceptDeltas).toBe(true);
              sawDeltas = true;
            }
            for (let r = clip.r0; r < clip.r1; r++) {
              // Deltas: the value is the running sum from the block's first column.
              let acc = 0;
              if (deltas) for (let c = span.x0; c < clip.c0; c++) acc += at(r, c);
              for (let c = clip.c0; c < clip.c1; c++) {
                const k = i * plane + (r - window.row) * window.width + (c - window.col);
                if (deltas) {
                  acc = (acc + at(r, c)) % (cog.metadata.dtype === 'uint8' ? 256 : 65536);
                  seen[k] = acc;
                } else seen[k] = at(r, c);
                visits[k]!++;
              }
            }
          });
          const wrong: string[] = [];
          for (let i = 0; i < bands.length; i++) {
            for (let r = 0; r < window.height; r++) {
              for (let c = 0; c < window.width; c++) {
                const k = i * plane + r * window.width + c;
                const inside = window.col + c >= 0 && window.col + c < W && window.row + r >= 0 && window.row + r < H;
                const ok = inside ? visits[k] === 1 && Object.is(seen[k], read.data[k] as number) : visits[k] === 0;
                if (!ok)
                  wrong.push(`band ${bands[i]} (${c}, ${r}): visited ${visits[k]}, ${seen[k]} vs ${read.data[k]}`);
              }
            }
          }
          expect(wrong.slice(0, 5), `${name} ${JSON.stringify(window)}`).toEqual([]);
          checked++;
        }
        await cog.close();
      }
      expect(checked).toBe(fixtureNames().length * WINDOWS.length);
      // Uncached DEFLATE predictor-2 uint8/uint16 fixtures hand over deltas when accepted; the cached path never.
      expect(sawDeltas).toBe(acceptDeltas && via !== 'cache');
    },
  );
});
