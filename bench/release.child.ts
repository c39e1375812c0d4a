/**
 * Child process of `bench/release.bench.ts` (its own process, so its peak RSS is the build's alone): release COGs of
 * a source datacube, one per chunk of bands, written by `writeCog` as a release declares them (band interleave,
 * 512² blocks, ZSTD level 9, predictor 2, AVERAGE overviews down to one block, descriptions, statistics).
 *
 * Usage: tsx bench/release.child.ts writer|build SOURCE.tif OUTDIR CHUNK
 * - `build`: the real release build (`buildReleases`, what `skope release build` runs) of a one-variable dataset
 *   declared over the source (years from 0103, chunk CHUNK, the COG options above; checksum of the source included).
 * - `writer`: `writeCog` driven directly per chunk (the writer alone).
 * Prints {"seconds", "cpu_seconds", "bytes", "maxrss_kb"} on stdout.
 *
 * The source is read strip by strip: `writeCog` asks for every band of a strip before the next strip, so one read
 * of the chunk's bands over the strip's rows serves them all, and the next strip is read while this one compresses.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openCog } from '../src/raster/cog.js';
import type { TypedArray } from '../src/raster/types.js';
import { writeCog } from '../src/raster/writer/cog.writer.js';
import { buildReleases } from '../src/release/build/build.js';
import { createSourceResolver } from '../src/storage/resolver.js';
import { FileSource } from '../src/storage/source.file.js';

async function main(): Promise<void> {
  const [mode, sourcePath, outDir, chunkText] = process.argv.slice(2);
  if ((mode !== 'writer' && mode !== 'build') || !sourcePath || !outDir || !chunkText)
    throw new Error('usage: release.child.ts writer|build SOURCE OUTDIR CHUNK');
  const chunk = Number(chunkText);
  await mkdir(outDir, { recursive: true });
  // The declaration (its source checksum included) is the dataset author's, written before the build is timed.
  const datasets = mode === 'build' ? await declare(sourcePath, outDir, chunk) : '';
  const t0 = performance.now();
  const bytes = mode === 'build' ? await viaBuild(datasets, outDir, t0) : await viaWriter(sourcePath, outDir, chunk);
  const seconds = (performance.now() - t0) / 1000;
  const usage = process.resourceUsage();
  const cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(`${JSON.stringify({ seconds, cpu_seconds: cpu, bytes, maxrss_kb: usage.maxRSS })}\n`);
}

/** A one-variable dataset declared over the source (checksum included); returns its datasets directory. */
async function declare(sourcePath: string, outDir: string, chunk: number): Promise<string> {
  const source = new FileSource(sourcePath);
  const cog = await openCog(source);
  const bands = cog.metadata.bands;
  await cog.close();
  await source.close();
  const hash = createHash('sha256');
  for await (const part of createReadStream(sourcePath)) hash.update(part as Buffer);
  const datasets = join(outDir, 'datasets');
  await mkdir(join(datasets, 'paleocar_v3'), { recursive: true });
  const last = String(102 + bands).padStart(4, '0');
  await writeFile(join(datasets, 'paleocar_v3', 'curated.yml'), curated(last));
  await writeFile(
    join(datasets, 'paleocar_v3', 'source-manifest.yml'),
    manifest(sourcePath, `1220${hash.digest('hex')}`, chunk),
  );
  return datasets;
}

/**
 * The release build of the declared dataset; returns the bytes of the COGs it published. Stage changes and
 * finished files go to stderr with the seconds since `t0` and the process's CPU seconds (where the time goes).
 */
async function viaBuild(datasets: string, outDir: string, t0: number): Promise<number> {
  let stage = '';
  const at = (): string => {
    const u = process.resourceUsage();
    return `${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(1)} s`;
  };
  const [outcome] = await buildReleases({
    datasetsDir: datasets,
    releaseRoot: join(outDir, 'releases'),
    releases: new Map([['paleocar_v3', 'paleocar_v3-r-2026.10.07']]),
    resolver: createSourceResolver(),
    revision: '0123456789abcdef0123456789abcdef01234567',
    jobs: 1,
    onProgress: (p) => {
      if (p.stage !== stage || p.file !== undefined)
        process.stderr.write(`release.child: ${at()}: ${p.stage}${p.file !== undefined ? ` ${p.file}` : ''}\n`);
      stage = p.stage;
    },
  });
  if (!outcome?.ok || !outcome.path) throw new Error(`release build failed: ${JSON.stringify(outcome?.findings)}`);
  let bytes = 0;
  for (const f of await readdir(join(outcome.path, 'cogs'), { recursive: true, withFileTypes: true }))
    if (f.isFile()) bytes += (await stat(join(f.parentPath, f.name))).size;
  return bytes;
}

const curated = (last: string): string => `schema_version: "0.1.0"
id: "paleocar_v3"
version: "3"
profile: "TemporalCubeDataset"
title: "PaleoCAR-shaped benchmark"
description: "Synthetic annual precipitation on the PaleoCAR v3 grid."
license: "CC0-1.0"
region_name: "Southwestern USA"
providers:
  - name: "Benchmark"
    roles: ["producer", "processor"]
temporal:
  calendar: "proleptic_gregorian"
  precision: "year"
  origin: "0103"
  end: "${last}"
  step: "P1Y"
  endpoint_inclusion: "inclusive"
  timestep_meaning: "aggregation_period"
  description: "Years."
variables:
  - id: "ppt"
    title: "Precipitation"
    description: "Annual precipitation (tenths of mm)."
    unit: "mm"
`;

const manifest = (uri: string, checksum: string, chunk: number): string => `schema_version: "0.1.0"
dataset: "paleocar_v3"
release:
  created: "2026-10-07T15:10:00Z"
  chunk_size: ${chunk}
  cog:
    blocksize: 512
    interleave: "BAND"
    compress: "ZSTD"
    level: 9
    bigtiff: "IF_SAFER"
variables:
  - id: "ppt"
    source:
      uri: "${uri}"
      checksum: "${checksum}"
      bands: "descriptions"
    encoding:
      data_type: "uint32"
      nodata: 4294967295
      predictor: 2
      overview_resampling: "AVERAGE"
`;

/** `writeCog` per chunk, reading the source strip by strip; returns the bytes written. */
async function viaWriter(sourcePath: string, outDir: string, chunk: number): Promise<number> {
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
  return bytes;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
