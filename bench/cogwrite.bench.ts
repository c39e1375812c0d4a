/**
 * COG writing (what `skope demo`, the benchmark generator and `skope ingest` do): 10 PaleoCAR-shaped uint16
 * bands (1560 × 1440) held in memory, written as a COG with DEFLATE level 6 + predictor 2, 256² blocks and
 * average overviews — our `writeCog` vs GDAL's COG driver (`bench/reference/cog_write.py`, all cores), same
 * pixels, same run. GDAL 3.6 writes pixel-interleaved COGs only, so that is the like-for-like row; our
 * band-interleaved time is reported beside it. No target (informational). Compression dominates both sides:
 * Debian's GDAL compresses with libdeflate, which is faster than the zlib behind `node:zlib` at the same level.
 * A third row writes the same bands band-interleaved with ZSTD level 9 (a release's codec). Then the codec rows
 * (`codecs.cases.ts`): ZSTD/DEFLATE/LZW encode and decode speeds on release-like blocks. `--case write` or
 * `--case codec` runs one half.
 */
import { statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PALEOCAR_HEIGHT, PALEOCAR_NODATA, PALEOCAR_TRANSFORM, PALEOCAR_WIDTH } from '../src/cli/demo.js';
import { createFieldGrid, fillFieldRows } from '../src/cli/demo.fields.js';
import { writeCog } from '../src/raster/writer/cog.writer.js';
import { codecCases } from './codecs.cases.js';
import { runReference, timeIt } from './harness.js';
import type { BenchContext, BenchSuite } from './harness.js';

const BANDS = 10;
const reference = join(import.meta.dirname, 'reference', 'cog_write.py');

/** The COG-writing suite. */
export const suite: BenchSuite = {
  name: 'cogwrite',
  description: `write a ${BANDS}-band 1560×1440 uint16 COG (DEFLATE 6, predictor 2, overviews): writeCog vs GDAL's COG driver`,
  async run(ctx) {
    if (ctx.wants('write')) await writeCases(ctx);
    if (ctx.wants('codec')) await codecCases(ctx);
  },
};

async function writeCases(ctx: BenchContext): Promise<void> {
  {
    const w = PALEOCAR_WIDTH;
    const h = PALEOCAR_HEIGHT;
    const grid = createFieldGrid('ppt', w, h);
    const bands = Array.from({ length: BANDS }, (_, b) => {
      const a = new Uint16Array(w * h);
      fillFieldRows(grid, 1000 + b, 0, h, a);
      return a;
    });
    const out = join(ctx.dataDir, 'cogwrite-ours.tif');
    const reps = Math.min(3, ctx.reps);
    const mb = (BANDS * w * h * 2) / 1e6;
    const write =
      (interleave: 'pixel' | 'band', zstd = false) =>
      () =>
        writeCog(out, {
          ...(zstd ? { compression: 'zstd' as const, level: 9 } : {}),
          width: w,
          height: h,
          bands: BANDS,
          dtype: 'uint16',
          crs: 'EPSG:4269',
          transform: PALEOCAR_TRANSFORM,
          nodata: PALEOCAR_NODATA,
          interleave,
          deflateLevel: 6,
          readRows: (b, r, n) => (bands[b - 1] as Uint16Array).subarray(r * w, (r + n) * w),
        });
    const pixel = await timeIt(reps, write('pixel'));
    const oursBytes = statSync(out).size;
    const band = await timeIt(reps, write('band'));
    const zstd = await timeIt(reps, write('band', true));
    const zstdBytes = statSync(out).size;
    let ref: { median: number; bytes: number } | null = null;
    if (ctx.python) {
      const input = join(ctx.dataDir, 'cogwrite-input.bin');
      const buf = Buffer.concat(bands.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
      await writeFile(input, buf);
      const refOut = join(ctx.dataDir, 'cogwrite-gdal.tif');
      ref = await runReference(ctx.python, reference, [input, w, h, BANDS, PALEOCAR_NODATA, refOut, reps].map(String));
      await rm(input, { force: true });
      await rm(refOut, { force: true });
    }
    await rm(out, { force: true });
    const sizes = `ours ${(oursBytes / 1e6).toFixed(1)} MB${ref ? `, GDAL ${(ref.bytes / 1e6).toFixed(1)} MB` : ''}`;
    ctx.report({
      name: `write ${mb.toFixed(0)} MB, pixel-interleaved`,
      unit: 's',
      ours: pixel.median,
      reference: ref?.median ?? null,
      note: sizes,
    });
    ctx.report({
      name: `write ${mb.toFixed(0)} MB, band-interleaved`,
      unit: 's',
      ours: band.median,
      reference: ref?.median ?? null,
      note: 'reference: GDAL pixel-interleaved',
    });
    ctx.report({
      name: `write ${mb.toFixed(0)} MB, band-interleaved, ZSTD level 9`,
      unit: 's',
      ours: zstd.median,
      reference: ref?.median ?? null,
      note: `${(zstdBytes / 1e6).toFixed(1)} MB; reference: GDAL pixel-interleaved DEFLATE 6`,
    });
  }
}
