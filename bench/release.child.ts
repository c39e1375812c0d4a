/**
 * Child process of `bench/release.bench.ts` (its own process, so its peak RSS is the build's alone): release COGs of
 * a source datacube, one per chunk of bands, written by `writeCog` as a release declares them (band interleave,
 * 512² blocks, ZSTD level 9, predictor 2, AVERAGE overviews down to one block, descriptions, statistics).
 *
 * Usage: tsx bench/release.child.ts SOURCE.tif OUTDIR CHUNK
 * Prints {"seconds", "cpu_seconds", "bytes", "maxrss_kb"} on stdout.
 *
 * The source is read strip by strip: `writeCog` asks for every band of a strip before the next strip, so one read
 * of the chunk's bands over the strip's rows serves them all, and the next strip is read while this one compresses.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCog } from '../src/raster/cog.js';
import type { TypedArray } from '../src/raster/types.js';
import { writeCog } from '../src/raster/writer/cog.writer.js';
import { FileSource } from '../src/storage/source.file.js';

async function main(): Promise<void> {
  const [sourcePath, outDir, chunkText] = process.argv.slice(2);
  if (!sourcePath || !outDir || !chunkText) throw new Error('usage: release.child.ts SOURCE OUTDIR CHUNK');
  const chunk = Number(chunkText);
  await mkdir(outDir, { recursive: true });
  const t0 = performance.now();
  const source = new FileSource(sourcePath);
  const cog = await openCog(source);
  const m = cog.metadata;
  // Our reader does not read band descriptions: the source's are the year keys from 0103 (release_source.py).
  const yearKey = (band: number): string => String(102 + band).padStart(4, '0');
  let bytes = 0;
  for (let first = 1, k = 1; first <= m.bands; first += chunk, k++) {
    const bands = Array.from({ length: Math.min(chunk, m.bands - first + 1) }, (_, i) => first + i);
    const readStrip = (row: number, height: number): Promise<TypedArray> =>
      cog.read({ bands, window: { col: 0, row, width: m.width, height } }).then((b) => b.data);
    interface Strip {
      row: number;
      data: Promise<TypedArray>;
    }
    const strip = (row: number, height: number): Strip => {
      const s: Strip = { row, data: readStrip(row, height) };
      s.data.catch(() => undefined); // a prefetched strip may never be awaited when the write fails
      return s;
    };
    const state: { current: Strip | null; next: Strip | null } = { current: null, next: null };
    const result = await writeCog(join(outDir, `chunk_${k}.tif`), {
      width: m.width,
      height: m.height,
      bands: bands.length,
      dtype: m.dtype,
      crs: m.crs ?? 'EPSG:4269',
      transform: m.transform,
      nodata: m.nodata,
      interleave: 'band',
      blockSize: 512,
      compression: 'zstd',
      level: 9,
      predictor: 2,
      resampling: 'average',
      statistics: true,
      bandDescriptions: bands.map(yearKey),
      readRows: async (band, row, height) => {
        if (state.current?.row !== row) {
          state.current = state.next?.row === row ? state.next : strip(row, height);
          const after = row + height;
          state.next = after < m.height ? strip(after, Math.min(height, m.height - after)) : null;
        }
        const data = await state.current.data;
        const n = m.width * height;
        return data.subarray((band - 1) * n, band * n);
      },
    });
    bytes += result.bytes;
  }
  await cog.close();
  await source.close();
  const seconds = (performance.now() - t0) / 1000;
  const usage = process.resourceUsage();
  const cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(`${JSON.stringify({ seconds, cpu_seconds: cpu, bytes, maxrss_kb: usage.maxRSS })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
