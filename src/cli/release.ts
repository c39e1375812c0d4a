/**
 * `skope release preflight|build|verify` (docs/RELEASES.md):
 *
 *   skope release preflight --datasets DIR [--release DATASET=ID]… [--json] [DATASET…]
 *   skope release build --datasets DIR --release-root ROOT --release DATASET=ID… [--jobs N] [--revision REV] [--json]
 *   skope release verify RELEASE_DIR… [--quick] [--json]
 *
 * Sources are read through the project's byte sources; S3 settings (S3_ENDPOINT, S3_REGION, …) come from the
 * environment or flags as for `serve`. Exit status: 0 when everything passed, 1 otherwise, 2 for bad usage.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config.js';
import { buildReleases } from '../release/build/build.js';
import { createProgress } from '../release/build/progress.js';
import { formatFinding } from '../release/findings.js';
import type { Finding } from '../release/findings.js';
import { verifyRelease } from '../release/format/verify.js';
import { preflightDataset } from '../release/preflight.js';
import { createSourceResolver } from '../storage/resolver.js';

export const RELEASE_USAGE = `Usage:
  skope release preflight --datasets DIR [--release DATASET=ID]... [--json] [DATASET...]
  skope release build --datasets DIR --release-root ROOT --release DATASET=ID... [--jobs N] [--revision REV] [--json]
  skope release verify RELEASE_DIR... [--quick] [--json]
  skope release verify-pin [--full]`;

/** Where the command writes. */
export interface ReleaseIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

class UsageError extends Error {}

interface Parsed {
  values: Map<string, string[]>;
  flags: Set<string>;
  positional: string[];
  rest: string[];
}

/** Own options (repeatable), boolean flags, positionals; other `--x` options are left for the settings. */
function parse(argv: readonly string[], valued: readonly string[], booleans: readonly string[]): Parsed {
  const out: Parsed = { values: new Map(), flags: new Set(), positional: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (booleans.includes(name)) out.flags.add(name);
    else if (valued.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name}: missing value`);
      out.values.set(name, [...(out.values.get(name) ?? []), value]);
    } else {
      out.rest.push(arg);
      if (eq < 0 && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--'))
        out.rest.push(argv[++i] as string);
    }
  }
  return out;
}

function releasesOf(p: Parsed): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of p.values.get('release') ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(pair);
    if (!m) throw new UsageError(`--release takes DATASET=ID, not '${pair}'`);
    if (out.has(m[1] as string)) throw new UsageError(`--release names ${m[1] as string} twice`);
    out.set(m[1] as string, m[2] as string);
  }
  return out;
}

const one = (p: Parsed, name: string): string | undefined => p.values.get(name)?.at(-1);

/** The git commit of this checkout, `<sha>-dirty` when it has changes, `unknown` without git. */
export function gitRevision(): string {
  const dir = dirname(fileURLToPath(import.meta.url));
  try {
    const sha = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty === '' ? sha : `${sha}-dirty`;
  } catch {
    return 'unknown';
  }
}

function resolverFor(
  env: Record<string, string | undefined>,
  rest: readonly string[],
): ReturnType<typeof createSourceResolver> {
  const config = loadConfig(env, rest);
  return createSourceResolver({
    s3: {
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
    },
  });
}

const findingsText = (findings: readonly Finding[]): string => findings.map((f) => `  ${formatFinding(f)}\n`).join('');

/** Runs `skope release …`; resolves with the exit status. */
export async function runReleaseCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: ReleaseIo,
): Promise<number> {
  const [sub, ...args] = argv;
  try {
    switch (sub) {
      case 'preflight':
        return await preflight(parse(args, ['datasets', 'release'], ['json']), env, io);
      case 'build':
        return await build(parse(args, ['datasets', 'release-root', 'release', 'jobs', 'revision'], ['json']), env, io);
      case 'verify':
        return await verify(parse(args, [], ['json', 'quick']), io);
      default:
        io.stderr.write(`${sub === undefined ? '' : `Unknown release command '${sub}'.\n`}${RELEASE_USAGE}\n`);
        return 2;
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`skope release ${sub ?? ''}: ${e.message}\n${RELEASE_USAGE}\n`);
    return 2;
  }
}

async function preflight(p: Parsed, env: Record<string, string | undefined>, io: ReleaseIo): Promise<number> {
  const dir = one(p, 'datasets');
  if (dir === undefined) throw new UsageError('--datasets DIR is required');
  const releases = releasesOf(p);
  const named = [...p.positional, ...releases.keys()];
  const datasets =
    named.length > 0
      ? [...new Set(named)]
      : existsSync(dir)
        ? readdirSync(dir, { withFileTypes: true })
            .filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(dir, e.name, 'curated.yml')))
            .map((e) => e.name)
            .sort()
        : [];
  if (datasets.length === 0) throw new UsageError(`no datasets found in ${dir}`);
  const resolver = resolverFor(env, p.rest);
  try {
    const results = [];
    for (const d of datasets) {
      const rid = releases.get(d);
      const r = await preflightDataset(dir, d, { resolver }, rid !== undefined ? { releaseId: rid } : {});
      results.push({
        dataset: d,
        ok: r.ok,
        digest: r.plan?.digest ?? null,
        release_id: rid ?? null,
        findings: r.findings,
      });
    }
    if (p.flags.has('json'))
      io.stdout.write(`${JSON.stringify({ ok: results.every((r) => r.ok), datasets: results }, null, 2)}\n`);
    else
      for (const r of results)
        io.stdout.write(
          `${r.ok ? 'PASS' : 'FAIL'} ${r.dataset}${r.digest !== null ? ` declaration_digest=${r.digest}` : ''}\n${findingsText(r.findings)}`,
        );
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    await resolver.close();
  }
}

async function build(p: Parsed, env: Record<string, string | undefined>, io: ReleaseIo): Promise<number> {
  const datasetsDir = one(p, 'datasets');
  const releaseRoot = one(p, 'release-root');
  if (datasetsDir === undefined || releaseRoot === undefined)
    throw new UsageError('--datasets DIR and --release-root ROOT are required');
  const releases = releasesOf(p);
  if (releases.size === 0)
    throw new UsageError('name at least one --release DATASET=ID (release ids are assigned by a person)');
  if (p.positional.length > 0) throw new UsageError(`unexpected argument ${p.positional[0] ?? ''}`);
  const jobsText = one(p, 'jobs') ?? '1';
  const jobs = Number(jobsText);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new UsageError(`--jobs takes an integer 1–64, not '${jobsText}'`);
  const resolver = resolverFor(env, p.rest);
  const progress = createProgress(io.stderr);
  try {
    const outcomes = await buildReleases({
      datasetsDir,
      releaseRoot,
      releases,
      resolver,
      revision: one(p, 'revision') ?? gitRevision(),
      jobs,
      onProgress: progress.onProgress,
    });
    progress.end();
    if (p.flags.has('json'))
      io.stdout.write(`${JSON.stringify({ ok: outcomes.every((o) => o.ok), releases: outcomes }, null, 2)}\n`);
    else
      for (const o of outcomes) {
        if (o.ok && o.pins) {
          io.stdout.write(
            `BUILT ${o.releaseId} → ${o.path ?? ''}\n` +
              `  release_id: ${o.pins.release_id}\n  declaration_digest: ${o.pins.declaration_digest}\n  manifest_sha256: ${o.pins.manifest_sha256}\n` +
              `  ledger entry for ${o.dataset}/releases.yml:\n    - release_id: "${o.pins.release_id}"\n      declaration_digest: "${o.pins.declaration_digest}"\n`,
          );
        } else io.stdout.write(`FAILED ${o.releaseId}${o.staging !== null ? ` (staging left in ${o.staging})` : ''}\n`);
        io.stdout.write(findingsText(o.findings));
      }
    return outcomes.every((o) => o.ok) ? 0 : 1;
  } finally {
    await resolver.close();
  }
}

async function verify(p: Parsed, io: ReleaseIo): Promise<number> {
  if (p.positional.length === 0) throw new UsageError('name at least one RELEASE_DIR');
  if (p.rest.length > 0) throw new UsageError(`unknown option ${p.rest[0] ?? ''}`);
  let ok = true;
  for (const dir of p.positional) {
    const r = await verifyRelease(dir, { quick: p.flags.has('quick') });
    ok &&= r.ok;
    const line = {
      release_id: r.releaseId,
      dataset: r.manifest?.dataset.id ?? null,
      declaration_digest: r.manifest?.declaration.digest ?? null,
      manifest_sha256: r.manifestSha256,
      path: dir,
      verification: r.verification,
      result: r.ok ? 'passed' : 'failed',
      files: r.files,
      bytes: r.bytes,
      problems: r.problems,
    };
    if (p.flags.has('json')) io.stdout.write(`${JSON.stringify(line)}\n`);
    else
      io.stdout.write(
        `${r.ok ? 'PASS' : 'FAIL'} ${r.releaseId} (${r.verification}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB)` +
          `${r.ok ? '' : `: ${r.problems.map((x) => `${x.check}: ${x.message}`).join('; ')}`}\n`,
      );
  }
  return ok ? 0 : 1;
}
