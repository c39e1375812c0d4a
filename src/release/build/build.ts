/**
 * `skope release build`: preflight every requested dataset first, then build each sound one into a staging
 * directory — COGs (one per variable per chunk, written by our COG writer from ranged reads of the source),
 * reopened and inspected; STAC Collection and Items; `overview.yml` derived from the STAC; `release-manifest.json`
 * last — verify it, and rename it to `ROOT/<release-id>` atomically. A failed dataset is reported and skipped; the
 * others still build. Building the same declaration twice gives byte-identical files.
 */
import { setMaxListeners } from 'node:events';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { resolveCrs } from '../../geo/crs.js';
import type { Affine } from '../../geo/affine.js';
import { createBlockCache } from '../../raster/block.cache.js';
import { openCog } from '../../raster/cog.js';
import { formatG } from '../../raster/writer/band.stats.js';
import { writeCog } from '../../raster/writer/cog.writer.js';
import { FileSource } from '../../storage/source.file.js';
import type { SourceResolver } from '../../storage/source.js';
import type { Finding } from '../findings.js';
import { Report } from '../findings.js';
import { declarationDigest, multihashOfHex, sha256File, sha256Hex } from '../format/digest.js';
import type { SourceManifest } from '../format/documents.js';
import { checkReleaseId, rolesForPath } from '../format/ids.js';
import { emitOverview } from '../format/overview.emit.js';
import { releaseJson } from '../format/serialize.js';
import { verifyRelease } from '../format/verify.js';
import type { DatasetPlan } from '../preflight.js';
import { preflightDataset } from '../preflight.js';
import type { OpenedSource } from '../source.js';
import { openByteSource, openSource, sha256Source } from '../source.js';
import type { BandStatistics } from './band.stats.js';
import { NarrowingError, createChunkReader } from './chunk.reader.js';
import { writerOptions } from './cog.options.js';
import { sameNodata } from './narrow.js';
import { deriveOverview } from './overview.derive.js';
import { PRODUCER_NAME, PRODUCER_VERSION } from './producer.js';
import type { CogObservation } from './stac.js';
import { buildStac } from './stac.js';
import { Staging, StagingError } from './staging.js';

/**
 * Source strips held by the COGs being written, in all (each chunk reader holds two of its share: the strip in use
 * and the next): a 512-row strip of 100 uint32 bands of 1560 columns (PaleoCAR) is 320 MB, read whole with one job.
 */
const STRIP_BUDGET_BYTES = 384 * 1024 * 1024;

/** What the build reports as it goes. */
export interface BuildProgress {
  dataset: string;
  releaseId: string;
  stage: 'checksums' | 'cogs' | 'stac' | 'manifest' | 'published';
  /** Timesteps (bands × variables) written so far, and in all. */
  timestepsDone: number;
  timestepsTotal: number;
  /** Bytes of COGs written so far. */
  bytesWritten: number;
  /** Bytes of sources read for checksums so far, and in all. */
  sourceBytesRead: number;
  sourceBytesTotal: number;
  /** The file just finished, when there is one. */
  file?: string;
}

export interface BuildOptions {
  datasetsDir: string;
  releaseRoot: string;
  /** dataset → release id, one per dataset to build. */
  releases: ReadonlyMap<string, string>;
  resolver: SourceResolver;
  /** Git commit of the builder (recorded in the manifest): `unknown` or `…-dirty` are refused. */
  revision: string;
  /** COGs written at once (default 1). */
  jobs?: number;
  onProgress?: (p: BuildProgress) => void;
}

/** The three values a deployment pins, and the ledger entry to add. */
export interface Pins {
  release_id: string;
  declaration_digest: string;
  manifest_sha256: string;
}

export interface BuildOutcome {
  dataset: string;
  releaseId: string;
  ok: boolean;
  findings: Finding[];
  /** Published directory. */
  path: string | null;
  pins: Pins | null;
  /** The staging directory left behind after a failure, when there is one. */
  staging: string | null;
}

/** Build every requested dataset. Never throws for a dataset's problem: it is in that dataset's outcome. */
export async function buildReleases(options: BuildOptions): Promise<BuildOutcome[]> {
  const plans = new Map<string, { plan: DatasetPlan | null; findings: Finding[] }>();
  for (const [dataset, releaseId] of options.releases) {
    const r = await preflightDataset(options.datasetsDir, dataset, { resolver: options.resolver }, { releaseId });
    plans.set(dataset, { plan: r.plan, findings: r.findings });
  }
  const outcomes: BuildOutcome[] = [];
  for (const [dataset, releaseId] of options.releases) {
    const pre = plans.get(dataset) as { plan: DatasetPlan | null; findings: Finding[] };
    if (pre.plan === null) {
      outcomes.push(refusedOutcome(dataset, releaseId, pre.findings, null));
      continue;
    }
    outcomes.push(await buildOne(pre.plan, releaseId, pre.findings, options));
  }
  return outcomes;
}

/** The statistics a COG embeds (GDAL's STATISTICS_* items of one band), as numbers. */
export function embeddedStatistics(items: ReadonlyMap<string, string>): BandStatistics {
  const get = (name: string): number | undefined => {
    const text = items.get(`STATISTICS_${name}`);
    return text === undefined ? undefined : Number(text);
  };
  const valid = get('VALID_PERCENT') ?? NaN;
  if (valid === 0) return { valid_percent: 0 };
  return {
    minimum: get('MINIMUM'),
    maximum: get('MAXIMUM'),
    mean: get('MEAN'),
    stddev: get('STDDEV'),
    valid_percent: valid,
  };
}

/**
 * Why embedded statistics disagree with a recomputation from the pixels, or null: min/max exactly, mean and
 * stddev to relative 1e-10, valid percent to 0.005; an empty band carries only valid percent 0. Min and max match
 * exactly in the stored form (GDAL's `%.14g`: exact for integers).
 */
export function statisticsDisagree(embedded: BandStatistics, recomputed: BandStatistics): string | null {
  if (recomputed.valid_percent === 0 || embedded.valid_percent === 0)
    return recomputed.valid_percent === embedded.valid_percent && Object.keys(embedded).length === 1
      ? null
      : 'valid percent 0 on one side only';
  const close = (a: number | undefined, b: number | undefined): boolean =>
    a !== undefined &&
    b !== undefined &&
    Math.abs(a - b) <= 1e-10 * Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
  // GDAL stores min/max as %.14g text: exact for integers, the float's value to 14 digits for floats.
  const g14 = (x: number | undefined): number | undefined => (x === undefined ? x : Number(formatG(x, 14)));
  if (g14(embedded.minimum) !== g14(recomputed.minimum) || g14(embedded.maximum) !== g14(recomputed.maximum))
    return 'minimum/maximum';
  if (!close(embedded.mean, recomputed.mean)) return 'mean';
  if (!close(embedded.stddev, recomputed.stddev)) return 'stddev';
  if (Math.abs(embedded.valid_percent - recomputed.valid_percent) > 0.005) return 'valid percent';
  return null;
}

/** WGS 84 bbox of a grid: the four corners transformed to lon/lat, min/max. */
export function wgs84Bbox(crs: string, t: Affine, width: number, height: number): [number, number, number, number] {
  const c = resolveCrs(crs);
  const corners = [
    [0, 0],
    [width, 0],
    [0, height],
    [width, height],
  ].map(([col, row]) =>
    c.inverse(
      t[2] + (col as number) * t[0] + (row as number) * t[1],
      t[5] + (col as number) * t[3] + (row as number) * t[4],
    ),
  );
  const lons = corners.map((p) => p[0]);
  const lats = corners.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

/** What a build answers once its findings hold an error: nothing published, the staging directory left if any. */
function refusedOutcome(
  dataset: string,
  releaseId: string,
  findings: Finding[],
  staging: Staging | null,
): BuildOutcome {
  return { dataset, releaseId, ok: false, findings, path: null, pins: null, staging: staging?.dir ?? null };
}

async function buildOne(
  plan: DatasetPlan,
  releaseId: string,
  findings: Finding[],
  options: BuildOptions,
): Promise<BuildOutcome> {
  const report = new Report(plan.dataset);
  report.findings.push(...findings);
  const outcome = (staging: Staging | null): BuildOutcome =>
    refusedOutcome(plan.dataset, releaseId, report.findings, staging);
  if (options.revision === 'unknown' || options.revision.endsWith('-dirty') || options.revision.trim() === '')
    report.error('TXN-003', `producer revision '${options.revision}' is not a clean commit`);
  if (!report.ok) return outcome(null);

  const limit = pLimit(Math.max(1, options.jobs ?? 1));
  const sortedVars = [...plan.manifest.variables].sort((a, b) => (a.id < b.id ? -1 : 1));
  const totalTimesteps = (plan.axis?.count ?? 1) * sortedVars.length;
  const progress: BuildProgress = {
    dataset: plan.dataset,
    releaseId,
    stage: 'checksums',
    timestepsDone: 0,
    timestepsTotal: totalTimesteps,
    bytesWritten: 0,
    sourceBytesRead: 0,
    sourceBytesTotal: 0,
  };
  const emit = (extra: Partial<BuildProgress> = {}): void => options.onProgress?.({ ...progress, ...extra });

  // Checksums of every source (declared ones verified), then the digest and the release id.
  const opened = new Map<string, OpenedSource>();
  try {
    for (const v of sortedVars)
      opened.set(v.id, await openSource(options.resolver, (plan.sources.get(v.id) as { uri: string }).uri));
    for (const o of opened.values()) progress.sourceBytesTotal += (await o.source.head()).size;
    emit();
    const checksums = new Map<string, string>();
    await Promise.all(
      sortedVars.map((v) =>
        limit(async () => {
          const { hex } = await sha256Source((opened.get(v.id) as OpenedSource).source, {
            onBytes: (n) => {
              progress.sourceBytesRead += n;
              emit();
            },
          });
          checksums.set(v.id, multihashOfHex(hex));
        }),
      ),
    );
    for (const v of sortedVars) {
      const got = checksums.get(v.id) as string;
      if (v.source.checksum !== null && v.source.checksum !== got)
        report.error('SRC-004', `the source bytes hash to ${got}, the declared checksum is ${v.source.checksum}`, {
          variable: v.id,
        });
    }
    if (!report.ok) return outcome(null);
    const resolved: SourceManifest = {
      ...plan.manifest,
      variables: plan.manifest.variables.map((v) => ({
        ...v,
        source: { ...v.source, checksum: checksums.get(v.id) as string },
      })),
    };
    const digest = declarationDigest(plan.curated, resolved);
    for (const p of checkReleaseId(releaseId, {
      dataset: plan.dataset,
      created: plan.manifest.release.created,
      digest,
      ledger: plan.ledger.releases,
    }))
      report.error(p.id, p.message, { path: 'releases.yml' });
    if (!report.ok) return outcome(null);

    let staging: Staging;
    try {
      staging = await Staging.create(options.releaseRoot, releaseId);
    } catch (e) {
      if (e instanceof StagingError) report.error(e.rule === 'TXN-005' ? 'TXN-002' : e.rule, e.message);
      else throw e;
      return outcome(null);
    }
    try {
      return await writeRelease(
        plan,
        releaseId,
        digest,
        resolved,
        staging,
        opened,
        report,
        options,
        progress,
        emit,
        limit,
      );
    } catch (e) {
      if (e instanceof NarrowingError) report.error('COG-016', e.message);
      else report.error('BLD-001', `the build failed: ${e instanceof Error ? e.message : String(e)}`);
      return outcome(staging);
    }
  } finally {
    for (const o of opened.values()) await o.close();
  }
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(dir, p)));
    else out.push(p);
  }
  return out.sort();
}

async function writeRelease(
  plan: DatasetPlan,
  releaseId: string,
  digest: string,
  resolved: SourceManifest,
  staging: Staging,
  opened: Map<string, OpenedSource>,
  report: Report,
  options: BuildOptions,
  progress: BuildProgress,
  emit: (extra?: Partial<BuildProgress>) => void,
  limit: ReturnType<typeof pLimit>,
): Promise<BuildOutcome> {
  const { grid, layout, curated } = plan;
  const cog = plan.manifest.release.cog;
  // What every step answers once the report holds an error: the findings, nothing published.
  const refused = (): BuildOutcome => refusedOutcome(plan.dataset, releaseId, report.findings, staging);
  progress.stage = 'cogs';
  await staging.lease('cogs');
  emit();

  // One task per variable per chunk (temporal) or per variable (static).
  interface Task {
    variable: string;
    chunk: number | null;
    path: string;
    sourceBands: number[];
    bandNames: string[];
  }
  const tasks: Task[] = [];
  for (const v of [...plan.manifest.variables].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const facts = plan.sources.get(v.id);
    if (!facts) continue;
    if (layout === null)
      tasks.push({
        variable: v.id,
        chunk: null,
        path: `cogs/${v.id}.tif`,
        sourceBands: facts.publish,
        bandNames: [v.id],
      });
    else
      for (let c = 0; c < layout.chunkCount; c++) {
        const [first, last] = layout.bounds(c);
        tasks.push({
          variable: v.id,
          chunk: c,
          path: layout.cogPath(v.id, c),
          sourceBands: facts.publish.slice(first, last + 1),
          bandNames: layout.chunkKeys(c),
        });
      }
  }
  // Chunk-major order: with several jobs, the chunks of different variables are written side by side.
  tasks.sort((a, b) => (a.chunk ?? 0) - (b.chunk ?? 0) || (a.variable < b.variable ? -1 : 1));

  const observations: CogObservation[] = [];
  const sizes = new Map<string, { size: number; checksum: string }>();
  // The first COG that fails stops the others (their reads are aborted) and every task is waited for before the
  // error goes up: the caller closes the sources next, which must not happen under a read still in flight (a
  // prefetched strip, or another job's).
  const stop = new AbortController();
  // Every block read in flight listens to it (a strip's blocks are started together): no listener limit.
  setMaxListeners(0, stop.signal);
  let firstError: { error: unknown } | null = null;
  const settled = await Promise.allSettled(
    tasks.map((task) =>
      limit(async () => {
        if (stop.signal.aborted) return;
        try {
          await writeTask(task);
        } catch (e) {
          firstError ??= { error: e };
          stop.abort(e);
          throw e;
        }
      }),
    ),
  );
  if (firstError !== null) throw (firstError as { error: unknown }).error;
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  if (!report.ok) return refused();

  async function writeTask(task: Task): Promise<void> {
    const v = plan.manifest.variables.find((x) => x.id === task.variable);
    const source = opened.get(task.variable);
    if (!v || !source) throw new Error(`no source for ${task.variable}`);
    const out = join(staging.dir, task.path);
    await mkdir(dirname(out), { recursive: true });
    const from = { dtype: source.cog.metadata.dtype, nodata: source.cog.metadata.nodata };
    const to = { dtype: v.encoding.data_type, nodata: v.encoding.nodata };
    // Preflight allows a different type or nodata only with an approved narrowing; the reader then scans
    // and converts every sample.
    const narrows = from.dtype !== to.dtype || !sameNodata(from.nodata, to.nodata);
    // The writer's strips are read through a second reader of the same byte source whose block cache is too small
    // to keep any block: its reads take the 'decoded' path, where large source blocks (a 400-band pixel-interleaved
    // row is 2.5 MB) inflate on the libuv pool, beside the compression, instead of on the main thread, which tiles,
    // downsamples and sums statistics. Speed is the reason. Not closed: closing a reader closes its byte source,
    // which `opened` owns.
    const pixels = await openCog(source.source, {
      blockCache: createBlockCache(1),
      ...(source.cog.header ? { header: source.cog.header } : {}),
    });
    const reader = createChunkReader(pixels, task.sourceBands, {
      nodata: v.encoding.nodata,
      signal: stop.signal,
      // The strips' memory is shared by the COGs written at once (each reader holds two strips).
      maxStripBytes: Math.floor(STRIP_BUDGET_BYTES / Math.max(1, options.jobs ?? 1)),
      ...(narrows && v.encoding.narrowing !== null ? { narrow: { from, to } } : {}),
    });
    const unit = curated.variables.find((x) => x.id === task.variable)?.unit;
    const written = await writeCog(out, {
      ...writerOptions(cog, v.encoding),
      width: grid.width,
      height: grid.height,
      bands: task.sourceBands.length,
      dtype: v.encoding.data_type,
      crs: grid.crs,
      transform: grid.transform,
      nodata: v.encoding.nodata,
      areaOrPoint: grid.areaOrPoint,
      bandDescriptions: task.bandNames,
      ...(unit !== undefined ? { units: unit } : {}),
      readRows: (band, row, height) => reader.readRows(band, row, height),
    });
    const recomputed = reader.statistics();
    // Reopen what was written: the observation comes from the file's header. Its checksum is of the bytes as
    // the writer wrote them (front to back), not a second read of the file; the size is checked against the
    // file below, and `skope release verify` re-reads every byte.
    const reopened = await openByteSource(new FileSource(out), out);
    const observed = reopened.metadata;
    const gdal = reopened.gdal;
    await reopened.close();
    const hex = written.sha256;
    const size = (await stat(out)).size;
    await Staging.fsync(out);
    const problems: string[] = [];
    if (size !== written.bytes) problems.push(`${size} bytes on disk, ${written.bytes} written`);
    if (observed.bands !== task.sourceBands.length)
      problems.push(`${observed.bands} bands, expected ${task.sourceBands.length}`);
    if (observed.dtype !== v.encoding.data_type) problems.push(`data type ${observed.dtype}`);
    if (observed.width !== grid.width || observed.height !== grid.height) problems.push('grid size');
    if (observed.crs !== grid.crs) problems.push(`CRS ${String(observed.crs)}`);
    if (observed.transform.some((x, i) => x !== grid.transform[i])) problems.push('geotransform');
    if (gdal.descriptions.join('\n') !== task.bandNames.join('\n')) problems.push('band descriptions');
    if (
      gdal.scales.some((x) => (x ?? 1) !== v.encoding.scale) ||
      gdal.offsets.some((x) => (x ?? 0) !== v.encoding.offset)
    )
      problems.push('scale/offset');
    const statistics = gdal.bandItems.map(embeddedStatistics);
    statistics.forEach((s, i) => {
      const why = statisticsDisagree(s, recomputed[i] as BandStatistics);
      if (why !== null) problems.push(`band ${i + 1} statistics: ${why}`);
    });
    if (problems.length > 0)
      report.error('BLD-001', `the written COG differs from its declaration: ${problems.join(', ')}`, {
        variable: task.variable,
        path: task.path,
      });
    observations.push({
      variable: task.variable,
      chunk: task.chunk,
      path: task.path,
      size,
      checksum: multihashOfHex(hex),
      bandNames: gdal.descriptions,
      statistics,
      dtype: observed.dtype,
      nodata: observed.nodata,
      scale: v.encoding.scale,
      offset: v.encoding.offset,
      code: grid.crs,
      shape: [observed.height, observed.width],
      transform: observed.transform,
    });
    sizes.set(task.path, { size, checksum: multihashOfHex(hex) });
    progress.timestepsDone += task.sourceBands.length;
    progress.bytesWritten += size;
    emit({ file: task.path });
  }

  // Bands without a valid cell must be exactly the declared empty timesteps (in every variable).
  if (layout !== null && plan.axis !== null) {
    const declared = new Set<string>();
    for (const run of curated.empty_timesteps)
      for (let i = plan.axis.index(run.first); i <= plan.axis.index(run.last); i++) declared.add(plan.axis.key(i));
    for (const o of observations)
      o.statistics.forEach((s, i) => {
        const key = o.bandNames[i] as string;
        if (s.valid_percent === 0 && !declared.has(key))
          report.error('OBS-007', `timestep ${key} has no valid cell but is not a declared empty timestep`, {
            variable: o.variable,
            band: (o.chunk ?? 0) * layout.chunkSize + i + 1,
          });
        if (s.valid_percent > 0 && declared.has(key))
          report.error('OBS-007', `timestep ${key} is declared empty but has data`, {
            variable: o.variable,
            band: (o.chunk ?? 0) * layout.chunkSize + i + 1,
          });
      });
  }
  if (!report.ok) return refused();

  // STAC, then the overview derived from it.
  progress.stage = 'stac';
  await staging.lease('stac');
  emit();
  const stac = buildStac({
    curated,
    manifest: resolved,
    axis: plan.axis,
    layout,
    cogs: observations,
    bbox: wgs84Bbox(grid.crs, grid.transform, grid.width, grid.height),
  });
  for (const [path, text] of stac) {
    await mkdir(dirname(join(staging.dir, path)), { recursive: true });
    await writeFile(join(staging.dir, path), text);
  }
  const items = [...stac.entries()]
    .filter(([p]) => p.startsWith('items/'))
    .map(([, t]) => JSON.parse(t) as Record<string, unknown>);
  const overview = deriveOverview(JSON.parse(stac.get('collection.json') as string) as Record<string, unknown>, items, {
    releaseId,
    declarationDigest: digest,
  });
  await writeFile(join(staging.dir, 'overview.yml'), emitOverview(overview));

  // The manifest, last: every file but itself, sorted by path.
  progress.stage = 'manifest';
  await staging.lease('manifest');
  emit();
  const files = [];
  for (const path of await listFiles(staging.dir)) {
    const roles = rolesForPath(path);
    if (roles === null) throw new Error(`unexpected file ${path} in the staging directory`);
    let known = sizes.get(path);
    if (known === undefined) {
      const { hex, size } = await sha256File(join(staging.dir, path));
      known = { size, checksum: multihashOfHex(hex) };
      await Staging.fsync(join(staging.dir, path));
    }
    files.push({ path, roles, size: known.size, checksum: known.checksum });
  }
  const manifest = {
    schema_version: '1.0.0',
    release_id: releaseId,
    created: plan.manifest.release.created,
    status: 'complete',
    dataset: { id: plan.dataset, version: curated.version, stac_entrypoint: 'collection.json' },
    producer: { name: PRODUCER_NAME, version: PRODUCER_VERSION, revision: options.revision },
    declaration: { identity_profile: 'openskope-release-declaration-v1', digest_algorithm: 'sha256', digest },
    sources: [...resolved.variables]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((v) => ({ id: v.id, href: v.source.uri, checksum: v.source.checksum as string })),
    files,
  };
  const manifestText = releaseJson(manifest);
  const manifestPath = join(staging.dir, 'release-manifest.json');
  await writeFile(manifestPath, manifestText);
  await Staging.fsync(manifestPath);

  const check = await verifyRelease(staging.dir, { quick: true, releaseId });
  for (const p of check.problems)
    report.error('BLD-001', `verification: ${p.message}`, p.path !== undefined ? { path: p.path } : {});
  if (!report.ok) return refused();

  let path: string;
  try {
    path = await staging.publish();
  } catch (e) {
    if (!(e instanceof StagingError)) throw e;
    report.error('TXN-002', e.message);
    return refused();
  }
  progress.stage = 'published';
  emit();
  return {
    dataset: plan.dataset,
    releaseId,
    ok: true,
    findings: report.findings,
    path,
    pins: { release_id: releaseId, declaration_digest: digest, manifest_sha256: sha256Hex(manifestText) },
    staging: null,
  };
}

/** Read a built release's manifest digest (for reports). */
export const manifestSha256 = async (dir: string): Promise<string> =>
  sha256Hex(await readFile(join(dir, 'release-manifest.json')));
