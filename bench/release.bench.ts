/**
 * `npm run bench -- release [--full | --bands N]`: release COGs from a PaleoCAR-shaped source datacube, ours vs GDAL in the same
 * run. The source (generated once into `bench/.data` by `reference/release_source.py`) is 1560 × 1440 UInt32,
 * pixel-interleaved, striped, DEFLATE: 400 bands, the full 1898 with `--full`, or N with `--bands N` (to iterate). Each side writes one COG per
 * chunk of 100 bands as a release declares them: band interleave, 512² blocks, ZSTD level 9, predictor 2, AVERAGE
 * overviews down to one block, band descriptions, statistics.
 *
 * - ours (`bench/release.child.ts`, its own process, so its peak RSS is the build's): case `build`, the real release
 *   build (`buildReleases`, what `skope release build` runs: checksum, preflight, COGs, STAC, manifest, verify) of a
 *   dataset declared over the source; case `writer`, `writeCog` driven per chunk (the writer alone).
 * - GDAL, cases `gdal classic` and `gdal cog`:
 *   `reference/release_gdal.py`, NUM_THREADS=ALL_CPUS: the classic recipe (gdal_translate to a tiled
 *   band-interleaved GTiff, gdaladdo, gdalinfo -stats, gdal_translate COPY_SRC_OVERVIEWS=YES) — Debian's GDAL 3.6
 *   COG driver writes pixel interleave only — and, as a second row, the COG driver (pixel interleave, no stats).
 * Reported: seconds end to end, CPU seconds (a load-independent comparison), source MB/s (uncompressed source bytes of the bands processed), output MB/s, peak
 * RSS, and the machine's load average (`uptime`) at the start, since other work on a shared machine slows both.
 * Targets: ≥ 1.5× GDAL's classic-recipe throughput, peak RSS ≤ 2 GB.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess, runReference } from './harness.js';
import type { BenchSuite } from './harness.js';

const CHUNK = 100;
const WIDTH = 1560;
const HEIGHT = 1440;
const here = import.meta.dirname;

interface Run {
  seconds: number;
  cpu_seconds: number;
  bytes: number;
  maxrss_kb: number;
}

/** Runs the child; its stderr (the build's stage timings) goes to `log` line by line once it is done. */
function runOurs(mode: 'build' | 'writer', source: string, outDir: string, log: (m: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(here, 'release.child.ts'), mode, source, outDir, String(CHUNK)],
      { maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`release.child failed: ${err.message}\n${stderr}`));
        else {
          for (const line of stderr.split('\n')) if (line.startsWith('release.child:')) log(line);
          resolve(JSON.parse(stdout) as Run);
        }
      },
    );
  });
}

/** The suite. */
export const suite: BenchSuite = {
  name: 'release',
  description: `release COGs (chunks of ${CHUNK} bands, ZSTD 9, band interleave, 512² blocks, AVERAGE overviews, stats) from a PaleoCAR-shaped UInt32 source: writeCog vs GDAL`,
  async run(ctx) {
    const bands = ctx.bands ?? (ctx.full ? 1898 : 400);
    if (!ctx.python)
      throw new Error('the release bench needs Python with GDAL (python3-gdal) for its source and reference');
    const source = join(ctx.dataDir, `paleocar-source-${bands}.tif`);
    if (!existsSync(source)) {
      ctx.log(`generating ${source} (${bands} bands; once) …`);
      await runProcess(ctx.python, [join(here, 'reference', 'release_source.py'), source, String(bands)]);
    }
    const sourceMB = (WIDTH * HEIGHT * 4 * bands) / 1e6;
    const load = (): string =>
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
    ctx.log(
      `source ${(statSync(source).size / 1e6).toFixed(0)} MB on disk, ${sourceMB.toFixed(0)} MB of samples; load ${load()}`,
    );
    const outOurs = join(ctx.dataDir, 'release-ours');
    const outGdal = join(ctx.dataDir, 'release-gdal');
    const loadBefore = load();
    const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
    const said = (who: string, r: Run): void =>
      ctx.log(
        `${who}: ${r.seconds.toFixed(1)} s, CPU ${r.cpu_seconds.toFixed(1)} s, ${mb(r.bytes)}, RSS ${(r.maxrss_kb / 1024).toFixed(0)} MB; load ${load()}`,
      );
    const runs: Partial<Record<'build' | 'writer' | 'classic' | 'cog', Run>> = {};
    for (const mode of ['build', 'writer'] as const) {
      if (!ctx.wants(mode)) continue;
      await rm(outOurs, { recursive: true, force: true });
      runs[mode] = await runOurs(mode, source, outOurs, ctx.log);
      said(`ours (${mode})`, runs[mode]);
    }
    for (const mode of ['classic', 'cog'] as const) {
      if (!ctx.wants(`gdal ${mode}`)) continue;
      runs[mode] = await runReference<Run>(ctx.python, join(here, 'reference', 'release_gdal.py'), [
        source,
        outGdal,
        String(CHUNK),
        mode,
      ]);
      said(`GDAL ${mode}`, runs[mode]);
    }
    await rm(outOurs, { recursive: true, force: true });
    await rm(outGdal, { recursive: true, force: true });
    const note = `${bands} bands, load ${loadBefore} at start`;
    const { classic, cog } = runs;
    for (const [mode, label] of [
      ['build', 'release build (buildReleases, as skope release build)'],
      ['writer', 'writeCog per chunk (the writer alone)'],
    ] as const) {
      const ours = runs[mode];
      if (!ours) continue;
      ctx.report({
        name: `${label}: source MB/s vs GDAL classic recipe (band interleave)`,
        unit: 'MB/s',
        ours: sourceMB / ours.seconds,
        reference: classic ? sourceMB / classic.seconds : null,
        target: { speedup: 1.5 },
        note: `${ours.seconds.toFixed(1)} s vs ${classic?.seconds.toFixed(1) ?? '–'} s; ${note}`,
      });
      ctx.report({
        name: `${label}: source MB/s vs GDAL COG driver (pixel interleave, no stats)`,
        unit: 'MB/s',
        ours: sourceMB / ours.seconds,
        reference: cog ? sourceMB / cog.seconds : null,
        note: `${cog?.seconds.toFixed(1) ?? '–'} s`,
      });
      ctx.report({
        name: `${label}: output MB/s vs GDAL classic`,
        unit: 'MB/s',
        ours: ours.bytes / 1e6 / ours.seconds,
        reference: classic ? classic.bytes / 1e6 / classic.seconds : null,
        note: `ours ${mb(ours.bytes)}, GDAL ${classic ? mb(classic.bytes) : '–'}, COG driver ${cog ? mb(cog.bytes) : '–'}`,
      });
      ctx.report({
        name: `${label}: CPU seconds (user + system; other work's load does not inflate it)`,
        unit: 's',
        ours: ours.cpu_seconds,
        reference: classic?.cpu_seconds ?? null,
        note: `GDAL COG driver ${cog?.cpu_seconds.toFixed(1) ?? '–'} s`,
      });
      ctx.report({
        name: `${label}: peak RSS`,
        unit: 'MB',
        ours: ours.maxrss_kb / 1024,
        reference: classic ? classic.maxrss_kb / 1024 : null,
        target: { max: 2048 },
        note: 'ours = the build process; GDAL = its largest tool process',
      });
    }
  },
};
