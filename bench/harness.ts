/**
 * Benchmark harness shared by every `bench/*.bench.ts` suite: the suite contract, timing helpers, the Python
 * reference runner and the result table (ours vs the reference measured in the same run, ratio, target, met).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

/** What a suite measured for one case. Times in seconds; throughputs in MB/s (10^6 bytes); memory in MB (2^20 bytes). */
export interface BenchRow {
  /** Case label, e.g. "window 100×100 × 100 bands, band-interleaved". */
  name: string;
  unit: 's' | 'MB/s' | 'MB';
  /** Our value (median of the repetitions). */
  ours: number;
  /** The Python reference's value measured in the same run, or null when there is none. */
  reference: number | null;
  /** Targets; all given ones must hold for the row to be "met". */
  target?: {
    /** Minimum speed-up over the reference (reference time ÷ ours, or ours ÷ reference for throughputs). */
    speedup?: number;
    /** Maximum of `ours` (for times). */
    max?: number;
    /** Minimum of `ours` (for throughputs). */
    min?: number;
    /** Largest accepted `relDiff` (values must agree with the reference's); a row without `relDiff` fails it. */
    maxRelDiff?: number;
    /** Largest accepted `rssMB`; a row without `rssMB` fails it. */
    maxRssMB?: number;
  };
  /** Largest relative difference of our values from the reference's (|a − b| ÷ max(1, |b|)), when checked. */
  relDiff?: number;
  /** Our peak RSS, MB, when measured. */
  rssMB?: number;
  /** Smallest and largest of our runs and of the reference's (same unit), printed as the spread. */
  spread?: { ours: readonly number[]; reference?: readonly number[] };
  /** Free text (e.g. bytes read, RSS, repetitions). */
  note?: string;
}

/** What a suite gets from the runner. */
export interface BenchContext {
  /** Absolute path of `bench/.data` (gitignored; generated datasets live here). */
  dataDir: string;
  /** The Python with rasterio + numpy (Debian's /usr/bin/python3), or null when none is usable. */
  python: string | null;
  /** Repetitions per measurement (`--reps N`, default 5). */
  reps: number;
  /** `--full`: the full-size version of a suite's data, where it has one (e.g. all 1898 PaleoCAR bands). */
  full: boolean;
  /** `--bands N`: a suite's band count instead of its default (e.g. a smaller release source to iterate on). */
  bands: number | null;
  /** False for a case the run was told to skip (`--case WORD`: only cases whose name contains a WORD run). */
  wants(caseName: string): boolean;
  /** Progress line on stderr. */
  log(message: string): void;
  /** Record one result row. */
  report(row: BenchRow): void;
}

/** A benchmark suite: `bench/<name>.bench.ts` exports one as `suite`. */
export interface BenchSuite {
  name: string;
  /** One line: what is measured against what. */
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Run `fn` `reps` times after one untimed warm-up; seconds of each run and their median. */
export async function timeIt(reps: number, fn: () => unknown): Promise<{ median: number; runs: number[] }> {
  await fn();
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    runs.push((performance.now() - t0) / 1000);
  }
  return { median: median(runs), runs };
}

/**
 * Like `timeIt` but in seconds of this process's CPU time (user + system): a per-core figure that the load of
 * other processes on a shared machine does not inflate. Only meaningful for work on the main thread.
 */
export async function cpuTimeIt(reps: number, fn: () => unknown): Promise<{ median: number; runs: number[] }> {
  await fn();
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    runs.push((c.user + c.system) / 1e6);
  }
  return { median: median(runs), runs };
}

/** The first Python that imports rasterio and numpy, or null. */
export async function findPython(): Promise<string | null> {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    try {
      await runProcess(py, ['-c', 'import rasterio, numpy']);
      return py;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** Run a command; resolves with stdout, rejects with stderr in the message. */
export function runProcess(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 1 << 28, env: env ?? process.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Run a reference script under `python` and parse the JSON it prints on stdout. */
export async function runReference<T>(
  python: string,
  script: string,
  args: readonly string[],
  env?: Record<string, string>,
): Promise<T> {
  const out = await runProcess(python, [script, ...args], env ? { ...process.env, ...env } : undefined);
  return JSON.parse(out) as T;
}

/** Speed-up of ours over the reference (>1 = we are faster), or null. */
export function speedup(row: BenchRow): number | null {
  if (row.reference === null || row.ours <= 0 || row.reference <= 0) return null;
  return row.unit === 'MB/s' ? row.ours / row.reference : row.reference / row.ours;
}

/** Whether every target of the row holds, or null when it has none. */
export function targetMet(row: BenchRow): boolean | null {
  const t = row.target;
  if (!t) return null;
  const checks: boolean[] = [];
  if (t.speedup !== undefined) checks.push((speedup(row) ?? 0) >= t.speedup);
  if (t.max !== undefined) checks.push(row.ours <= t.max);
  if (t.min !== undefined) checks.push(row.ours >= t.min);
  if (t.maxRelDiff !== undefined) checks.push(row.relDiff !== undefined && row.relDiff <= t.maxRelDiff);
  if (t.maxRssMB !== undefined) checks.push(row.rssMB !== undefined && row.rssMB <= t.maxRssMB);
  return checks.every(Boolean);
}

function fmt(v: number | null, unit: string): string {
  if (v === null) return '–';
  if (unit === 's') return v < 1 ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(2)} s`;
  if (unit === 'MB') return `${v.toFixed(0)} MB`;
  return `${v.toFixed(0)} MB/s`;
}

function targetText(row: BenchRow): string {
  const t = row.target;
  if (!t) return '–';
  const parts: string[] = [];
  if (t.speedup !== undefined) parts.push(`≥ ${t.speedup}× ref`);
  if (t.max !== undefined) parts.push(`≤ ${fmt(t.max, row.unit)}`);
  if (t.min !== undefined) parts.push(`≥ ${fmt(t.min, row.unit)}`);
  if (t.maxRelDiff !== undefined) parts.push(`values ≤ ${t.maxRelDiff.toExponential(0)} rel`);
  if (t.maxRssMB !== undefined) parts.push(`RSS ≤ ${t.maxRssMB} MB`);
  return parts.join(', ');
}

/** The 1-, 5- and 15-minute load averages and the core count, as `uptime` shows them. */
export function loadText(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')} on ${cpus().length} cores`;
}

/** Max relative difference of two series (|a − b| ÷ max(1, |b|)); Infinity when one is missing where the other is not. */
export function maxRelDiff(a: readonly (number | null)[], b: readonly (number | null)[]): number {
  let worst = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x !== y) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return worst;
}

function spreadText(row: BenchRow): string {
  const s = row.spread;
  if (!s) return '';
  const range = (v: readonly number[]): string =>
    v.length === 0 ? '–' : `${fmt(Math.min(...v), row.unit)}–${fmt(Math.max(...v), row.unit)} (n=${v.length})`;
  return `ours ${range(s.ours)}${s.reference ? `, ref ${range(s.reference)}` : ''}`;
}

/** A Markdown table of one suite's rows (also readable in a terminal). */
export function formatTable(suite: string, rows: readonly BenchRow[]): string {
  const header = ['case', 'ours', 'reference', 'speed-up', 'target', 'met'];
  const body = rows.map((r) => {
    const s = speedup(r);
    const met = targetMet(r);
    const extra = [
      r.note,
      spreadText(r),
      r.relDiff === undefined ? '' : `max rel diff ${r.relDiff.toExponential(1)}`,
      r.rssMB === undefined ? '' : `peak RSS ${r.rssMB.toFixed(0)} MB`,
    ].filter((t) => t !== undefined && t !== '');
    return [
      r.name + (extra.length > 0 ? ` (${extra.join('; ')})` : ''),
      fmt(r.ours, r.unit),
      fmt(r.reference, r.unit),
      s === null ? '–' : `${s.toFixed(2)}×`,
      targetText(r),
      met === null ? '–' : met ? 'yes' : 'not met',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    `### ${suite}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    `(${loadText()} at the end of the suite; the machine is shared, so compare ratios from one run)`,
  ].join('\n');
}
