/**
 * `npm run bench [-- <suite names…>] [--reps N] [--case WORD] [--full] [--bands N] [--list]`: runs `bench/*.bench.ts` suites (all, or those whose
 * name contains one of the given words) and prints one table per suite — our median, the Python reference's
 * median measured in the same run, the speed-up, the target and whether it is met. Results are also written
 * to `bench/.data/results.json`. Exits 1 when a suite crashes (an unmet target is reported, not fatal).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findPython, formatTable, targetMet } from './harness.js';
import type { BenchRow, BenchSuite } from './harness.js';

const benchDir = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: readonly string[]): {
  names: string[];
  reps: number;
  list: boolean;
  full: boolean;
  bands: number | null;
  cases: string[];
} {
  const names: string[] = [];
  const cases: string[] = [];
  let reps = 5;
  let list = false;
  let full = false;
  let bands: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--reps') reps = Number(argv[++i]);
    else if (a.startsWith('--reps=')) reps = Number(a.slice(7));
    else if (a === '--list') list = true;
    else if (a === '--full') full = true;
    else if (a === '--bands') bands = Number(argv[++i]);
    else if (a.startsWith('--bands=')) bands = Number(a.slice(8));
    else if (a === '--case') cases.push(String(argv[++i]));
    else if (a.startsWith('--case=')) cases.push(a.slice(7));
    else if (a.startsWith('-'))
      throw new Error(
        `Unknown option ${a}. Usage: npm run bench -- [suite…] [--reps N] [--case WORD] [--full] [--bands N] [--list]`,
      );
    else names.push(a);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');
  if (bands !== null && (!Number.isInteger(bands) || bands < 1)) throw new Error('--bands must be a positive integer');
  return { names, reps, list, full, bands, cases };
}

async function loadSuites(): Promise<BenchSuite[]> {
  const files = (await readdir(benchDir)).filter((f) => f.endsWith('.bench.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(benchDir, f)).href)) as { suite?: BenchSuite };
    if (!mod.suite) throw new Error(`${f} must export \`suite: BenchSuite\``);
    suites.push(mod.suite);
  }
  return suites;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = await loadSuites();
  if (args.list) {
    for (const s of all) console.log(`${s.name.padEnd(16)} ${s.description}`);
    return 0;
  }
  const chosen = args.names.length === 0 ? all : all.filter((s) => args.names.some((n) => s.name.includes(n)));
  if (chosen.length === 0) {
    console.error(`No suite matches ${args.names.join(', ')}; available: ${all.map((s) => s.name).join(', ')}`);
    return 1;
  }
  const dataDir = join(benchDir, '.data');
  await mkdir(dataDir, { recursive: true });
  const python = await findPython();
  if (!python) console.error('NOTICE: no Python with rasterio + numpy; reference columns will be empty.');
  const results: { suite: string; rows: BenchRow[]; error?: string }[] = [];
  let failed = false;
  for (const suite of chosen) {
    const rows: BenchRow[] = [];
    const t0 = Date.now();
    console.error(`\n== ${suite.name}: ${suite.description}`);
    try {
      await suite.run({
        dataDir,
        python,
        reps: args.reps,
        full: args.full,
        bands: args.bands,
        wants: (name) => args.cases.length === 0 || args.cases.some((c) => name.includes(c)),
        log: (m) => console.error(`  [${suite.name}] ${m}`),
        report: (r) => {
          rows.push(r);
          console.error(`  [${suite.name}] ${r.name}: ${r.ours} ${r.unit} (ref ${r.reference ?? '–'})`);
        },
      });
      results.push({ suite: suite.name, rows });
    } catch (err) {
      failed = true;
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`  [${suite.name}] FAILED: ${msg}`);
      results.push({ suite: suite.name, rows, error: msg });
    }
    console.log(`\n${formatTable(suite.name, rows)}\n(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const unmet = results.flatMap((r) =>
    r.rows.filter((row) => targetMet(row) === false).map((row) => `${r.suite}: ${row.name}`),
  );
  if (unmet.length > 0) console.log(`\nTargets not met:\n- ${unmet.join('\n- ')}`);
  await writeFile(join(dataDir, 'results.json'), JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
