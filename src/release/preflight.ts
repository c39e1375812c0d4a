/**
 * Preflight: header-only checks of one dataset's authoring inputs (`DIR/<dataset>/curated.yml`,
 * `source-manifest.yml`, the ledger `releases.yml`) and the headers of its sources. Writes nothing; reports every
 * finding at once. The pixel-level checks (checksums of undeclared sources, empty timesteps) run in the build.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Affine } from '../geo/affine.js';
import { DTYPE_RANGE, isFloatDType } from '../raster/dtype.js';
import type { SourceResolver } from '../storage/source.js';
import { unsupportedOptions } from './build/cog.options.js';
import type { Finding } from './findings.js';
import { Report } from './findings.js';
import { declarationDigest } from './format/digest.js';
import type { Curated, Ledger, SourceManifest, SourceVariable } from './format/documents.js';
import { DocumentError, parseCurated, parseLedger, parseSourceManifest } from './format/documents.js';
import { checkReleaseId } from './format/ids.js';
import type { TimeAxis } from './format/timeaxis.js';
import { AxisError, ChunkLayout, enumeratedAxis, regularAxisToEnd } from './format/timeaxis.js';
import { openSource, resolveSourceUri } from './source.js';

/** The grid every COG of a release shares (the first variable's, in id order). */
export interface ReleaseGrid {
  width: number;
  height: number;
  /** Geotransform in CRS units. */
  transform: Affine;
  /** `EPSG:<code>`. */
  crs: string;
  areaOrPoint: 'Area' | 'Point';
}

/** Header facts of one variable's source. */
export interface SourceFacts {
  variable: string;
  /** Resolved location (URL or absolute path). */
  uri: string;
  bands: number;
  /** Source bands to publish, in order (1-based): every band (temporal) or the declared one (static). */
  publish: number[];
}

/** What preflight learnt: everything the build needs. */
export interface DatasetPlan {
  dataset: string;
  dir: string;
  curated: Curated;
  manifest: SourceManifest;
  ledger: Ledger;
  /** Temporal only. */
  axis: TimeAxis | null;
  layout: ChunkLayout | null;
  grid: ReleaseGrid;
  sources: Map<string, SourceFacts>;
  /** Declaration digest, when every source checksum is declared (else the build computes it). */
  digest: string | null;
  releaseId: string | null;
}

export interface PreflightResult {
  dataset: string;
  findings: Finding[];
  ok: boolean;
  plan: DatasetPlan | null;
}

async function loadDocument<T>(
  path: string,
  parse: (text: string, name: string) => T,
  report: Report,
  name: string,
): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    report.error('DOC-001', `${name} cannot be read`, { path: name });
    return null;
  }
  try {
    return parse(text, name);
  } catch (e) {
    if (e instanceof DocumentError) for (const p of e.problems) report.error('DOC-001', p, { path: name });
    else report.error('DOC-001', String(e), { path: name });
    return null;
  }
}

/** Build the axis a curated temporal block declares. @throws AxisError */
export function curatedAxis(curated: Curated): TimeAxis | null {
  const t = curated.temporal;
  if (t === null) return null;
  if (t.values !== null) return enumeratedAxis(t.precision, t.values);
  return regularAxisToEnd(t.precision, t.origin, t.step ?? '', t.end);
}

const sameNumber = (a: number | null, b: number | null): boolean =>
  a === b || (a !== null && b !== null && Number.isNaN(a) && Number.isNaN(b));

function checkEncoding(v: SourceVariable, curated: Curated, report: Report): void {
  const e = v.encoding;
  const where = { variable: v.id, path: 'source-manifest.yml' };
  const float = isFloatDType(e.data_type);
  if (!Number.isFinite(e.scale) || e.scale === 0)
    report.error('ENC-002', `scale ${e.scale} must be finite and non-zero`, where);
  if (!Number.isFinite(e.offset)) report.error('ENC-002', `offset ${e.offset} must be finite`, where);
  if (e.nodata !== null) {
    const [lo, hi] = DTYPE_RANGE[e.data_type];
    const ok =
      e.data_type === 'float64' ||
      (e.data_type === 'float32' && (!Number.isFinite(e.nodata) || Math.abs(e.nodata) <= 3.4028234663852886e38)) ||
      (!float && Number.isInteger(e.nodata) && e.nodata >= lo && e.nodata <= hi);
    if (!ok) report.error('ENC-003', `nodata ${e.nodata} is not a ${e.data_type} value`, where);
  }
  if ((float && e.predictor === 2) || (!float && e.predictor === 3))
    report.error('ENC-006', `predictor ${e.predictor} does not suit ${e.data_type} (use ${float ? 3 : 2} or 1)`, where);
  const cv = curated.variables.find((c) => c.id === v.id);
  if (cv?.categories != null) {
    if (e.overview_resampling !== 'MODE' && e.overview_resampling !== 'NEAREST')
      report.error(
        'ENC-004',
        `categorical variable: overview resampling must be MODE or NEAREST, not ${e.overview_resampling}`,
        where,
      );
    if (e.nodata !== null && Object.keys(cv.categories).includes(String(e.nodata)))
      report.error('ENC-005', `nodata ${e.nodata} is also a category value`, where);
  }
}

/**
 * Preflight one dataset of `datasetsDir`. `releaseId`, when given, is checked against the ledger (needs every
 * source checksum declared; else the build checks it).
 */
export async function preflightDataset(
  datasetsDir: string,
  dataset: string,
  deps: { resolver: SourceResolver },
  options: { releaseId?: string } = {},
): Promise<PreflightResult> {
  const report = new Report(dataset);
  const dir = join(datasetsDir, dataset);
  const fail = (): PreflightResult => ({ dataset, findings: report.findings, ok: false, plan: null });
  if (!existsSync(dir)) {
    report.error(
      options.releaseId !== undefined ? 'REL-009' : 'DOC-001',
      `no dataset directory ${dataset} in the datasets folder`,
    );
    return fail();
  }
  const curated = await loadDocument(join(dir, 'curated.yml'), parseCurated, report, 'curated.yml');
  const manifest = await loadDocument(
    join(dir, 'source-manifest.yml'),
    parseSourceManifest,
    report,
    'source-manifest.yml',
  );
  const ledger = existsSync(join(dir, 'releases.yml'))
    ? await loadDocument(join(dir, 'releases.yml'), parseLedger, report, 'releases.yml')
    : { releases: [] };
  if (curated === null || manifest === null || ledger === null) return fail();

  if (curated.id !== dataset)
    report.error('ORG-007', `curated.yml id '${curated.id}' differs from the directory name '${dataset}'`, {
      path: 'curated.yml',
    });
  if (manifest.dataset !== dataset)
    report.error(
      'ORG-007',
      `source-manifest.yml dataset '${manifest.dataset}' differs from the directory name '${dataset}'`,
      { path: 'source-manifest.yml' },
    );
  const curatedIds = curated.variables.map((v) => v.id).sort();
  const sourceIds = manifest.variables.map((v) => v.id).sort();
  for (const id of curatedIds)
    if (!sourceIds.includes(id))
      report.error('VAL-003', `variable ${id} is curated but has no source`, { variable: id });
  for (const id of sourceIds)
    if (!curatedIds.includes(id))
      report.error('VAL-003', `variable ${id} has a source but is not curated`, { variable: id });

  const temporal = curated.profile === 'TemporalCubeDataset';
  let axis: TimeAxis | null = null;
  try {
    axis = curatedAxis(curated);
  } catch (e) {
    report.error('OBS-004', e instanceof AxisError ? e.message : String(e), { path: 'curated.yml' });
  }
  if (temporal && manifest.release.chunk_size === null)
    report.error('REL-004', 'a temporal dataset needs release.chunk_size', { path: 'source-manifest.yml' });
  if (!temporal && manifest.release.chunk_size !== null)
    report.error('REL-004', 'a static dataset has no release.chunk_size', { path: 'source-manifest.yml' });
  const layout =
    axis !== null && manifest.release.chunk_size !== null
      ? new ChunkLayout(dataset, axis, manifest.release.chunk_size)
      : null;

  if (axis !== null) {
    let prevLast = -1;
    for (const run of curated.empty_timesteps) {
      try {
        const a = axis.index(run.first);
        const b = axis.index(run.last);
        if (b < a)
          report.error('OBS-007', `empty run ${run.first}..${run.last} ends before it starts`, { path: 'curated.yml' });
        if (a <= prevLast)
          report.error('OBS-007', `empty run ${run.first}..${run.last} overlaps or precedes the previous run`, {
            path: 'curated.yml',
          });
        prevLast = Math.max(prevLast, b);
      } catch (e) {
        report.error('OBS-007', `empty run ${run.first}..${run.last}: ${e instanceof Error ? e.message : String(e)}`, {
          path: 'curated.yml',
        });
      }
    }
  }

  const variables = [...manifest.variables].sort((a, b) => (a.id < b.id ? -1 : 1));
  const sources = new Map<string, SourceFacts>();
  let grid: ReleaseGrid | null = null;
  let gridOwner = '';
  for (const v of variables) {
    const where = { variable: v.id };
    checkEncoding(v, curated, report);
    for (const msg of unsupportedOptions(manifest.release.cog, v.encoding))
      report.error('ENC-007', `not supported: ${msg}`, where);
    if (temporal && v.source.bands !== 'descriptions')
      report.error('ENC-001', 'a temporal variable maps bands by `bands: descriptions`', where);
    if (!temporal && v.source.band === null)
      report.error('ENC-001', 'a static variable names its band with `band: N`', where);
    if (v.source.checksum === null)
      report.warning(
        'SRC-003',
        'no source checksum declared: the build computes it by reading the whole source',
        where,
      );

    const uri = resolveSourceUri(v.source.uri, dir);
    let opened;
    try {
      opened = await openSource(deps.resolver, uri);
    } catch (e) {
      report.error(
        'SRC-001',
        `cannot open the source ${v.source.uri}: ${e instanceof Error ? e.message : String(e)}`,
        where,
      );
      continue;
    }
    try {
      const m = opened.metadata;
      const e = v.encoding;
      const differs = m.dtype !== e.data_type || !sameNumber(m.nodata, e.nodata);
      if (e.narrowing === null) {
        if (m.dtype !== e.data_type)
          report.error('COG-016', `the source is ${m.dtype}, the encoding says ${e.data_type}`, where);
        if (!sameNumber(m.nodata, e.nodata))
          report.error(
            'COG-016',
            `the source nodata is ${String(m.nodata)}, the encoding says ${String(e.nodata)}`,
            where,
          );
      } else if (!differs)
        report.warning(
          'COG-016',
          `a narrowing is approved but the encoding equals the source's (${m.dtype}, nodata ${String(m.nodata)})`,
          where,
        );
      else if (m.nodata !== null && e.nodata === null)
        report.error(
          'COG-016',
          `the narrowing declares no nodata, but the source's nodata ${String(m.nodata)} cells need one`,
          where,
        );
      // Otherwise the build converts every sample and refuses (COG-016) on the first that would change.
      const scales = new Set(opened.gdal.scales.map((s) => s ?? 1));
      const offsets = new Set(opened.gdal.offsets.map((s) => s ?? 0));
      if (scales.size > 1 || offsets.size > 1)
        report.error('SRC-002', 'the source bands do not share one scale and offset', where);
      else if (![...scales].every((s) => s === e.scale) || ![...offsets].every((o) => o === e.offset))
        report.error(
          'SRC-002',
          `the source scale/offset ${[...scales].join()}/${[...offsets].join()} differ from the encoding ${e.scale}/${e.offset}`,
          where,
        );

      let publish: number[] = [];
      if (temporal && axis !== null) {
        if (m.bands !== axis.count)
          report.error('OBS-005', `the source has ${m.bands} bands, the axis ${axis.count} timesteps`, where);
        else {
          publish = Array.from({ length: m.bands }, (_, i) => i + 1);
          const keys = axis.keys();
          const seen = new Map<string, number>();
          let shown = 0;
          let mismatches = 0;
          opened.gdal.descriptions.forEach((d, i) => {
            const dup = seen.get(d);
            if (dup !== undefined && d !== '')
              report.error('OBS-006', `band description '${d}' repeats band ${dup}`, { ...where, band: i + 1 });
            seen.set(d, i + 1);
            if (d !== keys[i]) {
              mismatches++;
              if (shown++ < 5)
                report.error('OBS-006', `band description '${d}' should be the axis key '${keys[i] ?? ''}'`, {
                  ...where,
                  band: i + 1,
                });
            }
          });
          if (mismatches > 5)
            report.error('OBS-006', `${mismatches - 5} more bands do not carry their axis key`, where);
        }
      } else if (!temporal && v.source.band !== null) {
        if (v.source.band > m.bands)
          report.error('OBS-005', `band ${v.source.band} is past the source's ${m.bands} bands`, where);
        else publish = [v.source.band];
      }
      sources.set(v.id, { variable: v.id, uri, bands: m.bands, publish });

      const t = m.transform;
      if (m.crs === null) report.error('GRID-002', 'the source CRS has no EPSG code (needed for proj:code)', where);
      if (t[1] !== 0 || t[3] !== 0) report.error('GRID-002', 'the source grid is rotated', where);
      const mine: ReleaseGrid = {
        width: m.width,
        height: m.height,
        transform: t,
        crs: m.crs ?? '',
        areaOrPoint: opened.areaOrPoint,
      };
      if (grid === null) {
        grid = mine;
        gridOwner = v.id;
      } else {
        const g: ReleaseGrid = grid;
        const problems: string[] = [];
        if (g.width !== mine.width || g.height !== mine.height)
          problems.push(`shape ${mine.height}×${mine.width} ≠ ${g.height}×${g.width}`);
        if (g.crs !== mine.crs) problems.push(`CRS ${mine.crs} ≠ ${g.crs}`);
        if (g.areaOrPoint !== mine.areaOrPoint) problems.push(`AREA_OR_POINT ${mine.areaOrPoint} ≠ ${g.areaOrPoint}`);
        const px = Math.abs(g.transform[0]);
        const py = Math.abs(g.transform[4]);
        if (
          Math.abs(mine.transform[2] - g.transform[2]) > 0.001 * px ||
          Math.abs(mine.transform[5] - g.transform[5]) > 0.001 * py
        )
          problems.push('origin differs by more than 0.001 pixel');
        if (
          Math.abs(mine.transform[0] - g.transform[0]) * g.width > 0.001 * px ||
          Math.abs(mine.transform[4] - g.transform[4]) * g.height > 0.001 * py
        )
          problems.push('pixel size differs by more than 0.001 pixel over the grid');
        if (problems.length > 0)
          report.error('GRID-001', `grid differs from ${gridOwner}'s: ${problems.join('; ')}`, where);
      }
    } finally {
      await opened.close();
    }
  }

  let digest: string | null = null;
  if (report.ok && manifest.variables.every((v) => v.source.checksum !== null))
    digest = declarationDigest(curated, manifest);
  const releaseId = options.releaseId ?? null;
  if (releaseId !== null) {
    // Without every checksum the digest is unknown: check what does not depend on it; the build checks the rest.
    const problems = checkReleaseId(releaseId, {
      dataset,
      created: manifest.release.created,
      digest: digest ?? 'unknown',
      ledger: ledger.releases,
    });
    for (const p of problems)
      if (digest !== null || p.id !== 'MAN-011') report.error(p.id, p.message, { path: 'releases.yml' });
  }
  if (!report.ok || grid === null) return fail();
  return {
    dataset,
    findings: report.findings,
    ok: true,
    plan: { dataset, dir, curated, manifest, ledger, axis, layout, grid, sources, digest, releaseId },
  };
}
