/**
 * The `skope` command line: `serve`, `worker`, `demo`, `release`, `extract`, `help` (the usage text below; README,
 * Configuration). Settings come from the environment and flags (`--port 8001`, `--registry-path x.yml`, …; flags beat
 * the environment, which beats SETTINGS_PATH's YAML).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, processEnv, SETTINGS } from '../config/config.js';
import { AppError } from '../errors.js';
import { startExtractionWorker } from '../deps.js';
import { startServer } from '../main.js';
import { runExtractCommand } from './extract.js';
import { takeFlags } from './flags.js';
import { runVerifyPin } from './verify.pin.js';

const USAGE = `Usage: skope <command> [options]

Commands:
  serve      Start the API on HOST:PORT (default 127.0.0.1:8000).
  worker     Run extraction jobs from the BullMQ queue (QUEUE=bullmq, REDIS_URL, JOB_STORE=redis).
  demo       Write the demo dataset: skope demo [--dir demo-data] [--if-missing]
  release    Build and verify dataset releases (docs/RELEASES.md):
             skope release preflight --datasets DIR [--release DATASET=ID]... [--json] [DATASET...]
             skope release build --datasets DIR --release-root ROOT --release DATASET=ID... [--jobs N] [--json]
             skope release verify RELEASE_DIR... [--quick] [--json]
             skope release verify-pin [--full]: run the start-up checks of the pinned releases (RELEASE_PIN_PATH),
             every checksum too with --full; one JSON line per release; exit 1 on any failed check (promotion).
  extract    One extraction from the shell, CSV/JSON on stdout, progress on stderr:
             skope extract --dataset ID --variable ID (--geojson FILE | --bbox W,S,E,N | --point LON,LAT)
                           [--stat mean|median] [--from KEY] [--to KEY] [--format csv|json]
  help       This text, and every setting.

Every setting below can be given as an environment variable, a --flag (lower case, dashes) or a key of the
YAML file named by SETTINGS_PATH (lower case, underscores).`;

function help(): string {
  const rows = SETTINGS.map((s) => `  ${s.key.toUpperCase().padEnd(26)} ${s.doc} Default: ${s.defaultText}.`);
  return `${USAGE}\n\nSettings:\n  SETTINGS_PATH              YAML settings file.\n${rows.join('\n')}\n`;
}

/** Runs one command; resolves with the exit code (serve resolves once listening). */
export async function run(
  argv: readonly string[],
  env: Record<string, string | undefined> = processEnv(),
): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve': {
      await startServer(loadConfig(env, args));
      return 0;
    }
    case 'worker': {
      const worker = await startExtractionWorker(loadConfig(env, args), {
        log: { error: (obj, msg) => process.stderr.write(`${msg ?? 'error'}: ${JSON.stringify(obj)}\n`) },
      });
      process.stderr.write('skope worker: waiting for extraction jobs (SIGTERM to stop).\n');
      const stop = (): void => {
        worker.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      return 0;
    }
    case 'demo': {
      const { own, rest } = takeFlags(args, ['dir'], ['if-missing']);
      if (rest.length > 0) throw new AppError('invalid_request', `skope demo: unknown option ${rest[0] ?? ''}.`);
      const dir = own.get('dir') ?? 'demo-data';
      if (own.has('if-missing') && existsSync(join(dir, 'metadata.yml')) && existsSync(join(dir, 'serve.yml'))) {
        process.stderr.write(`Demo dataset already in ${dir}/ (remove it to rebuild).\n`);
        return 0;
      }
      const started = Date.now();
      const { writeDemoDataset } = await import('./demo.js');
      await writeDemoDataset(dir, { log: (m) => process.stderr.write(`${m}\n`) });
      process.stderr.write(`Demo dataset written to ${dir}/ in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
      return 0;
    }
    case 'release': {
      const [sub, ...rest] = args;
      if (sub === 'verify-pin') return runVerifyPin(rest, env, { stdout: process.stdout, stderr: process.stderr });
      const { runReleaseCommand } = await import('./release.js');
      return runReleaseCommand(args, env, { stdout: process.stdout, stderr: process.stderr });
    }
    case 'extract':
      return runExtractCommand(args, env, {
        stdout: process.stdout,
        stderr: process.stderr,
        readText: (p) => readFile(p, 'utf8'),
      });
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(help());
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${USAGE}\n`);
      return 2;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
