/**
 * The chunk reader hands the writer the same rows whether it reads all of a chunk's bands per strip, a group of
 * them (a strip of all above the budget), or one band per read, with the next group prefetched; and its
 * statistics are those of whole bands. The rows are checked against direct one-band reads of the source.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { openCog } from '../../raster/cog.js';
import { writeCog } from '../../raster/writer/cog.writer.js';
import { FileSource } from '../../storage/source.file.js';
import { accumulate, finish, newAccumulator } from './band.stats.js';
import { createChunkReader } from './chunk.reader.js';

const tmp = useTempDir('skope-chunk-reader-');
const W = 40;
const H = 37;
const BANDS = 7;
const NODATA = 65535;
const value = (band: number, row: number, col: number): number =>
  (row * 7 + col * 3) % 11 === 0 ? NODATA : (band * 1009 + row * 131 + col * 17) % 60000;

async function source(): Promise<string> {
  const path = join(tmp(), 'source.tif');
  await writeCog(path, {
    width: W,
    height: H,
    bands: BANDS,
    dtype: 'uint16',
    crs: 'EPSG:4326',
    transform: [0.1, 0, -110, 0, -0.1, 40],
    nodata: NODATA,
    interleave: 'pixel',
    blockSize: 16,
    compression: 'deflate',
    readRows: (band, row, height) =>
      Uint16Array.from({ length: W * height }, (_, i) => value(band, row + Math.floor(i / W), i % W)),
  });
  return path;
}

describe('createChunkReader', () => {
  it.each([
    ['all bands per strip', undefined],
    ['groups of 2 bands (budget)', W * 16 * 2 * 2],
    ['one band per read (budget)', 1],
  ])('strip by strip, %s: the rows and statistics of one-band reads', async (_, maxStripBytes) => {
    const cog = await openCog(new FileSource(await source()));
    try {
      const bands = [6, 2, 3, 7, 5]; // source bands of the chunk, in output order
      const reader = createChunkReader(cog, bands, {
        nodata: NODATA,
        ...(maxStripBytes !== undefined ? { maxStripBytes } : {}),
      });
      const accs = bands.map(() => newAccumulator());
      for (let row = 0; row < H; row += 16) {
        const height = Math.min(16, H - row);
        for (let b = 1; b <= bands.length; b++) {
          const got = await reader.readRows(b, row, height);
          const want = (await cog.read({ bands: [bands[b - 1] as number], window: { col: 0, row, width: W, height } }))
            .data;
          expect(Array.from(got)).toEqual(Array.from(want));
          accumulate(accs[b - 1]!, want, NODATA);
        }
      }
      expect(reader.statistics()).toEqual(accs.map(finish));
    } finally {
      await cog.close();
    }
  });
});
