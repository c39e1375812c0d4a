/**
 * `verifyRelease`: is a directory a complete, intact release? Checks the closed layout (no symlinks, no file
 * outside the manifest, every listed file present with its size and role), every checksum unless `quick`
 * (`overview.yml`'s is always checked: it is what the API reads), the manifest and overview documents, their
 * agreement, and the time axis against the COGs (the rule names exactly the manifest's COGs; each COG has one
 * band per timestep of its chunk).
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openCog } from '../../raster/cog.js';
import { FileSource } from '../../storage/source.file.js';
import { multihashOfHex, sha256File, sha256Hex } from './digest.js';
import type { Overview, ReleaseManifest } from './documents.js';
import { DocumentError, parseOverview, parseReleaseManifest } from './documents.js';
import { LAYOUT, rolesForPath } from './ids.js';
import type { TimeAxis } from './timeaxis.js';
import { AxisError, ChunkLayout, enumeratedAxis, regularAxis } from './timeaxis.js';

/** One failed check. `check` is a stable name; `path` is release-relative when the problem is one file. */
export interface VerifyProblem {
  check:
    | 'manifest_missing'
    | 'manifest_invalid'
    | 'release_id'
    | 'layout'
    | 'size'
    | 'checksum'
    | 'overview_invalid'
    | 'identity'
    | 'time_axis'
    | 'cog';
  message: string;
  path?: string;
}

/** What `verifyRelease` found. */
export interface VerifyResult {
  /** Absolute or given path of the release directory. */
  dir: string;
  /** Directory name (the release id when the release is sound). */
  releaseId: string;
  ok: boolean;
  /** `full` (every checksum) or `quick` (sizes; the overview's checksum). */
  verification: 'full' | 'quick';
  problems: VerifyProblem[];
  /** SHA-256 hex of the manifest bytes, when it exists. */
  manifestSha256: string | null;
  manifest: ReleaseManifest | null;
  overview: Overview | null;
  /** Files checked and their total size in bytes. */
  files: number;
  bytes: number;
}

/** Every path under `dir` (release-relative, `/`-separated), or a layout problem for symlinks and oddities. */
async function walk(dir: string, rel: string, out: string[], problems: VerifyProblem[]): Promise<void> {
  const entries = await readdir(join(dir, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isSymbolicLink()) problems.push({ check: 'layout', message: `${path} is a symlink`, path });
    else if (e.isDirectory()) await walk(dir, path, out, problems);
    else if (e.isFile()) out.push(path);
    else problems.push({ check: 'layout', message: `${path} is not a regular file`, path });
  }
}

const isNormalPath = (p: string): boolean =>
  p !== '' && !p.startsWith('/') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');

/** The axis an overview describes (throws AxisError). */
export function overviewAxis(o: Overview): TimeAxis | null {
  const t = o.dataset.time;
  if (t === null) return null;
  return t.kind === 'regular'
    ? regularAxis(t.precision, t.origin, t.step, t.count)
    : enumeratedAxis(t.precision, t.values);
}

/**
 * Verify one release directory. Never throws for a bad release: every problem is in the result. `releaseId` is the
 * id the release must carry (default: the directory name; the builder passes it for its staging directory).
 */
export async function verifyRelease(
  dir: string,
  options: { quick?: boolean; releaseId?: string } = {},
): Promise<VerifyResult> {
  const quick = options.quick === true;
  const releaseId = options.releaseId ?? basename(dir.replace(/\/+$/, ''));
  const result: VerifyResult = {
    dir,
    releaseId,
    ok: false,
    verification: quick ? 'quick' : 'full',
    problems: [],
    manifestSha256: null,
    manifest: null,
    overview: null,
    files: 0,
    bytes: 0,
  };
  const problems = result.problems;
  const done = (): VerifyResult => ((result.ok = problems.length === 0), result);

  let text: Buffer;
  try {
    const st = await lstat(join(dir, LAYOUT.manifest));
    if (!st.isFile()) throw new Error('not a regular file');
    text = await readFile(join(dir, LAYOUT.manifest));
  } catch {
    problems.push({ check: 'manifest_missing', message: `${LAYOUT.manifest} is missing: the release is not complete` });
    return done();
  }
  result.manifestSha256 = sha256Hex(text);
  let manifest: ReleaseManifest;
  try {
    manifest = parseReleaseManifest(text.toString('utf8'));
  } catch (e) {
    const msg = e instanceof DocumentError ? e.problems.join('; ') : String(e);
    problems.push({ check: 'manifest_invalid', message: msg, path: LAYOUT.manifest });
    return done();
  }
  result.manifest = manifest;
  if (manifest.release_id !== releaseId)
    problems.push({
      check: 'release_id',
      message: `manifest release_id ${manifest.release_id} differs from the directory name ${releaseId}`,
    });

  // The closed layout: the manifest lists exactly the other files, sorted, each once, each with its role.
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const paths = manifest.files.map((f) => f.path);
  if (listed.size !== paths.length) problems.push({ check: 'manifest_invalid', message: 'files lists a path twice' });
  if (paths.some((p, i) => i > 0 && (paths[i - 1] as string) >= p))
    problems.push({ check: 'manifest_invalid', message: 'files are not sorted by path' });
  const sourceIds = manifest.sources.map((s) => s.id);
  if (sourceIds.some((s, i) => i > 0 && (sourceIds[i - 1] as string) >= s))
    problems.push({ check: 'manifest_invalid', message: 'sources are not sorted by id (or repeat one)' });
  if (manifest.files.filter((f) => f.roles.includes('collection')).length !== 1)
    problems.push({ check: 'manifest_invalid', message: 'files must hold exactly one collection record' });
  for (const f of manifest.files) {
    const roles = isNormalPath(f.path) ? rolesForPath(f.path) : null;
    if (roles === null)
      problems.push({ check: 'layout', message: `${f.path} is not a path of the release layout`, path: f.path });
    else if (roles.join(',') !== f.roles.join(','))
      problems.push({
        check: 'layout',
        message: `${f.path} has roles [${f.roles.join(', ')}], expected [${roles.join(', ')}]`,
        path: f.path,
      });
  }
  const present: string[] = [];
  await walk(dir, '', present, problems);
  for (const p of present)
    if (p !== LAYOUT.manifest && !listed.has(p))
      problems.push({ check: 'layout', message: `${p} is not listed in the manifest`, path: p });

  const seen = new Set(present);
  for (const f of manifest.files) {
    if (!seen.has(f.path)) {
      problems.push({ check: 'layout', message: `${f.path} is listed but missing`, path: f.path });
      continue;
    }
    const st = await lstat(join(dir, f.path));
    result.files++;
    result.bytes += st.size;
    if (st.size !== f.size) {
      problems.push({
        check: 'size',
        message: `${f.path} has ${st.size} bytes, the manifest says ${f.size}`,
        path: f.path,
      });
      continue;
    }
    if (!quick || f.path === LAYOUT.overview) {
      const { hex } = await sha256File(join(dir, f.path));
      if (multihashOfHex(hex) !== f.checksum)
        problems.push({ check: 'checksum', message: `${f.path} does not match its checksum`, path: f.path });
    }
  }

  if (!listed.has(LAYOUT.overview) || !seen.has(LAYOUT.overview)) {
    problems.push({ check: 'overview_invalid', message: 'overview.yml is not in the release', path: LAYOUT.overview });
    return done();
  }
  let overview: Overview;
  try {
    overview = parseOverview(await readFile(join(dir, LAYOUT.overview), 'utf8'));
  } catch (e) {
    const msg = e instanceof DocumentError ? e.problems.join('; ') : String(e);
    problems.push({ check: 'overview_invalid', message: msg, path: LAYOUT.overview });
    return done();
  }
  result.overview = overview;
  if (overview.release_id !== manifest.release_id)
    problems.push({
      check: 'identity',
      message: `overview release_id ${overview.release_id} ≠ manifest ${manifest.release_id}`,
    });
  if (overview.declaration_digest !== manifest.declaration.digest)
    problems.push({
      check: 'identity',
      message: 'overview declaration_digest differs from the manifest declaration digest',
    });
  if (overview.dataset.id !== manifest.dataset.id || overview.dataset.version !== manifest.dataset.version)
    problems.push({ check: 'identity', message: 'overview dataset id/version differ from the manifest' });

  await checkTimeAxis(dir, overview, manifest, problems);
  return done();
}

async function bandCount(path: string): Promise<number> {
  const source = new FileSource(path);
  try {
    const cog = await openCog(source);
    const n = cog.metadata.bands;
    await cog.close();
    return n;
  } finally {
    await source.close();
  }
}

async function checkTimeAxis(
  dir: string,
  overview: Overview,
  manifest: ReleaseManifest,
  problems: VerifyProblem[],
): Promise<void> {
  const cogs = manifest.files.filter((f) => f.path.startsWith('cogs/')).map((f) => f.path);
  const variables = Object.keys(overview.variables).sort();
  const expected = new Map<string, number>(); // path → band count
  if (overview.dataset.time === null) {
    for (const v of variables) expected.set(`cogs/${v}.tif`, 1);
  } else {
    let layout: ChunkLayout;
    try {
      const axis = overviewAxis(overview) as TimeAxis;
      if (axis.count !== overview.dataset.time.count)
        problems.push({
          check: 'time_axis',
          message: `the axis has ${axis.count} timesteps, time.count says ${overview.dataset.time.count}`,
        });
      layout = new ChunkLayout(overview.dataset.id, axis, overview.dataset.time.chunk_size);
      axis.keys();
    } catch (e) {
      problems.push({ check: 'time_axis', message: e instanceof AxisError ? e.message : String(e) });
      return;
    }
    for (let c = 0; c < layout.chunkCount; c++) {
      const [first, last] = layout.bounds(c);
      for (const v of variables) expected.set(layout.cogPath(v, c), last - first + 1);
    }
  }
  const listed = new Set(cogs);
  for (const p of expected.keys())
    if (!listed.has(p))
      problems.push({
        check: 'time_axis',
        message: `the time-to-band rule names ${p}, which the manifest lacks`,
        path: p,
      });
  for (const p of cogs)
    if (!expected.has(p))
      problems.push({ check: 'time_axis', message: `${p} is not named by the time-to-band rule`, path: p });
  for (const [p, bands] of expected) {
    if (!listed.has(p)) continue;
    try {
      const n = await bandCount(join(dir, p));
      if (n !== bands)
        problems.push({ check: 'cog', message: `${p} has ${n} bands, its chunk has ${bands} timesteps`, path: p });
    } catch (e) {
      problems.push({ check: 'cog', message: `${p}: ${(e as Error).message}`, path: p });
    }
  }
}
