/**
 * Loads the configuration: defaults < YAML settings file (`SETTINGS_PATH`) < environment < command-line flags
 * (environment beats the file, as upstream). The ONLY module that reads the environment: callers pass it in.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../errors.js';
import { ConfigSchema, SETTINGS, fieldOf, type Config, type SettingSpec } from './config.schema.js';

export type { Config } from './config.schema.js';
export { SETTINGS } from './config.schema.js';

/** Reads a text file (injected so tests need no real file). */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

/** The process environment, for the entry points (the only `process.env` read in the code base). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}

/**
 * Builds and validates the configuration.
 * @param env environment variables (`process.env` in production)
 * @param argv command-line flags after the sub-command, e.g. `['--port', '8001', '--host=0.0.0.0']`
 * @throws AppError `config_invalid` with one line per bad value
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  argv: readonly string[] = [],
  read: ReadText = readText,
): Config {
  const problems: string[] = [];
  const flags = parseFlags(argv, problems);
  const settingsPath = flags.get('settings_path') ?? nonEmpty(env['SETTINGS_PATH']);
  flags.delete('settings_path');

  let fileValues: Record<string, unknown> = {};
  if (settingsPath !== undefined) {
    try {
      const doc: unknown = parseYaml(read(settingsPath));
      if (doc !== null && doc !== undefined) {
        if (typeof doc !== 'object' || Array.isArray(doc))
          problems.push(`${settingsPath}: the settings file must be a YAML mapping.`);
        else fileValues = doc as Record<string, unknown>;
      }
    } catch (err) {
      problems.push(`SETTINGS_PATH: cannot read ${settingsPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const known = new Set(SETTINGS.map((s) => s.key));
    for (const key of Object.keys(fileValues)) {
      if (!known.has(key)) problems.push(`${settingsPath}: unknown setting '${key}'.`);
    }
  }

  const out: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const envName = spec.key.toUpperCase();
    const flag = flags.get(spec.key);
    const envValue = nonEmpty(env[envName]);
    let value: unknown;
    if (flag !== undefined) value = convert(spec, flag, `--${spec.key.replaceAll('_', '-')}`, problems);
    else if (envValue !== undefined) value = convert(spec, envValue, envName, problems);
    else if (fileValues[spec.key] !== undefined && fileValues[spec.key] !== null)
      value = convert(spec, fileValues[spec.key], `${settingsPath ?? ''}: ${spec.key}`, problems);
    if (value !== undefined) out[fieldOf(spec.key)] = value;
    flags.delete(spec.key);
  }
  for (const key of flags.keys()) problems.push(`--${key.replaceAll('_', '-')}: unknown option.`);

  // Derived defaults.
  if (out['jobStore'] === undefined) out['jobStore'] = out['redisUrl'] === undefined ? 'fs' : 'redis';
  // Job records in Redis mean several processes share the jobs: they go through BullMQ, so any server or
  // `skope worker` can run them (serve embeds a worker unless EMBEDDED_WORKER=false).
  if (out['queue'] === undefined) out['queue'] = out['jobStore'] === 'redis' ? 'bullmq' : 'inline';
  if (out['jobStore'] === 'redis' && out['redisUrl'] === undefined)
    problems.push('JOB_STORE: `redis` needs REDIS_URL.');
  if (out['queue'] === 'bullmq' && out['jobStore'] !== 'redis')
    problems.push('QUEUE: `bullmq` needs the shared Redis job store (REDIS_URL, JOB_STORE=redis).');
  out['jobDir'] ??= join(tmpdir(), 'skope_jobs');
  // One extraction spreads its files over every thread, so the pool matches the cores whatever the job count.
  out['workerPoolSize'] ??= Math.max(1, Math.min(64, availableParallelism()));

  const parsed = ConfigSchema.safeParse(out);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      const spec = SETTINGS.find((s) => fieldOf(s.key) === field);
      problems.push(`${spec ? spec.key.toUpperCase() : field}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new AppError('config_invalid', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    });
  }
  return parsed.data;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** `--key value` / `--key=value` → Map(snake_key → value). */
function parseFlags(argv: readonly string[], problems: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      problems.push(`Unexpected argument '${arg}'.`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replaceAll('-', '_');
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) problems.push(`--${name.replaceAll('_', '-')}: missing value.`);
    else flags.set(name === 'settings' ? 'settings_path' : name, value);
  }
  return flags;
}

/** Converts one raw value; on failure records a sentence naming the source and returns undefined. */
function convert(spec: SettingSpec, raw: unknown, source: string, problems: string[]): unknown {
  const bad = (why: string): undefined => {
    problems.push(`${source}: ${why} (got ${JSON.stringify(raw)}).`);
    return undefined;
  };
  switch (spec.kind) {
    case 'string':
      return typeof raw === 'string' || typeof raw === 'number' ? String(raw) : bad('expected a string');
    case 'int': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) return bad('expected an integer');
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        return bad(`must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      return bad('expected true or false');
    }
    case 'list': {
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw;
      if (typeof raw !== 'string') return bad('expected a list of strings');
      const text = raw.trim();
      if (text.startsWith('[')) {
        try {
          const arr: unknown = JSON.parse(text);
          if (Array.isArray(arr) && arr.every((x) => typeof x === 'string')) return arr;
        } catch {
          // fall through to the message below
        }
        return bad('expected a JSON list of strings');
      }
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
    case 'enum': {
      const s = String(raw).trim();
      return spec.values?.includes(s) ? s : bad(`expected one of ${spec.values?.join(', ') ?? ''}`);
    }
  }
}
