/**
 * Every setting of the service, declared once: its YAML key (snake_case, as upstream's settings files), its
 * environment variable (the YAML key in upper case), its type, bounds, default and documentation. Both the zod
 * schema that validates the configuration and the documented table (`skope help`, the README) are derived from
 * that one declaration. `config.ts` reads the sources; this file only describes them.
 */
import { z } from 'zod';

/** How a raw string (env, argv) or YAML value becomes a typed value. */
export type SettingKind = 'string' | 'int' | 'bool' | 'list' | 'enum';

/** One documented setting. */
export interface SettingSpec {
  /** YAML key in the settings file; the env variable is `key.toUpperCase()`, the CLI flag `--key-with-dashes`. */
  key: string;
  kind: SettingKind;
  /** Human documentation with units. */
  doc: string;
  /** The default as the docs show it. */
  defaultText: string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

/**
 * Where a setting's value comes from when no source gives one: a fixed `default` (the docs show it, or
 * `defaultText` when that says it better), `derived` by `loadConfig` from other settings or the machine, or
 * `optional` (left undefined). `derived` and `optional` carry the text the docs show.
 */
type Fallback<T> = { default: T; defaultText?: string } | { derived: string } | { optional: string };

/** The zod schema of a setting once its fallback is applied. */
type WithFallback<Z extends z.ZodType, F> = F extends { default: unknown }
  ? z.ZodDefault<Z>
  : F extends { optional: string }
    ? z.ZodOptional<Z>
    : Z;

/** One declared setting: its documentation (without the key) and its schema. */
interface Declared<Z extends z.ZodType> {
  spec: Omit<SettingSpec, 'key'>;
  schema: Z;
}

function declare<Z extends z.ZodType, F extends Fallback<z.output<Z>>>(
  base: Z,
  spec: Omit<SettingSpec, 'key' | 'defaultText'>,
  fallback: F,
  show: (value: z.output<Z>) => string = String,
): Declared<WithFallback<Z, F>> {
  let schema: z.ZodType = base;
  let defaultText: string;
  if ('default' in fallback) {
    schema = base.default(fallback.default as never);
    defaultText = fallback.defaultText ?? show(fallback.default);
  } else if ('optional' in fallback) {
    schema = base.optional();
    defaultText = fallback.optional;
  } else {
    defaultText = fallback.derived;
  }
  return { spec: { ...spec, defaultText }, schema: schema as WithFallback<Z, F> };
}

/** A string setting; empty strings are refused unless `allowEmpty`. */
const text = <F extends Fallback<string>>(doc: string, fallback: F, options: { allowEmpty?: boolean } = {}) =>
  declare(options.allowEmpty === true ? z.string() : z.string().min(1), { kind: 'string', doc }, fallback);
/** An integer setting within [min, max]. */
const int = <F extends Fallback<number>>(min: number, max: number, doc: string, fallback: F) =>
  declare(z.number().int().min(min).max(max), { kind: 'int', doc, min, max }, fallback);
const bool = <F extends Fallback<boolean>>(doc: string, fallback: F) =>
  declare(z.boolean(), { kind: 'bool', doc }, fallback);
/** A list of strings (comma-separated or a JSON list in env and flags, a YAML list in the file). */
const list = <F extends Fallback<string[]>>(doc: string, fallback: F) =>
  declare(z.array(z.string()), { kind: 'list', doc }, fallback, (v) => v.join(','));
const oneOf = <const V extends readonly [string, ...string[]], F extends Fallback<V[number]>>(
  values: V,
  doc: string,
  fallback: F,
) => declare(z.enum(values), { kind: 'enum', doc, values }, fallback);

const MiB = 1024 * 1024;

/** Every setting, by YAML key (declaration order = documentation order). */
const DECLARED = {
  host: text('Interface `skope serve` listens on.', { default: '127.0.0.1' }),
  port: int(0, 65535, 'TCP port (0 = any free port).', { default: 8000 }),
  registry_path: text('Dataset registry: the `metadata.yml` that lists every dataset and its variables.', {
    default: 'demo-data/metadata.yml',
  }),
  colormaps_path: text('Custom colormaps JSON (name → list of `#rrggbb` stops); a missing file means no custom maps.', {
    default: 'demo-data/colormaps.json',
  }),
  storage_base_url: text(
    'Root that lookup.json `file` paths are relative to: a local directory, `s3://bucket/prefix` or `http(s)://…`.',
    { default: 'demo-data/storage' },
  ),
  release_pin_path: text(
    'Pin file (YAML) naming the dataset releases to serve (docs/RELEASES.md). When set, the registry is composed from the pinned releases and the display files, every release is verified at start-up (any failure: no serving, exit status 1), and REGISTRY_PATH, COLORMAPS_PATH and STORAGE_BASE_URL are not used.',
    { optional: '(none: serve REGISTRY_PATH)' },
  ),
  release_root: text(
    'Where the pinned releases live (each is `<root>/<release_id>/`): a local directory, `s3://bucket/prefix` (served in place) or `http(s)://…`. Overrides the pin file’s `release_root`; a relative path is resolved against the pin file’s folder.',
    { optional: "(the pin file's release_root)" },
  ),
  display_preferences_path: text(
    'Display preferences YAML (per dataset and variable: order, map view, palette, range, ticks, labels) used with RELEASE_PIN_PATH.',
    { default: 'deploy/display/preferences.yml' },
  ),
  display_palettes_path: text(
    'Display palettes YAML (name → `ramp` or `set` of `#RRGGBB` colours) used with RELEASE_PIN_PATH.',
    { default: 'deploy/display/palettes.yml' },
  ),
  s3_endpoint: text(
    'S3-compatible endpoint URL (MinIO, s3rver…); empty = AWS.',
    { optional: '(AWS)' },
    { allowEmpty: true },
  ),
  s3_region: text('S3 region of the storage bucket.', { default: 'us-east-1' }),
  s3_force_path_style: bool('Use path-style S3 URLs (needed by most non-AWS servers).', { default: false }),
  redis_url: text('Redis URL; when set, the default job store is Redis.', { optional: '(none)' }, { allowEmpty: true }),
  redis_prefix: text(
    'Prefix of the Redis job keys (`<prefix>job:<id>`), to share one Redis between deployments.',
    { default: '', defaultText: '(none)' },
    { allowEmpty: true },
  ),
  queue: oneOf(
    ['inline', 'bullmq'],
    'Job queue: `inline` runs jobs in this process; `bullmq` queues them in Redis for `skope worker` processes (needs JOB_STORE=redis).',
    { derived: '`bullmq` when the job store is Redis, else `inline`' },
  ),
  embedded_worker: bool('With QUEUE=bullmq, `skope serve` also runs a worker in-process.', { default: true }),
  job_store: oneOf(['memory', 'fs', 'redis'], 'Where job records live.', {
    derived: '`redis` when REDIS_URL is set, else `fs`',
  }),
  job_dir: text('Directory of the filesystem job store.', { derived: '<tmpdir>/skope_jobs' }),
  job_max_age_hours: int(
    1,
    8760,
    'Retention of job records in every store (hours): a finished record is removed this long after it finished, while the service runs (Redis TTL; fs and memory sweeps).',
    { default: 24 },
  ),
  job_orphan_after_ms: int(
    1_000,
    3_600_000,
    'An unfinished job record not written for this long belongs to no live process and is failed by the orphan sweep, which runs this often (ms); running jobs rewrite their records every sixth of it (at most every 5 s).',
    { default: 30_000 },
  ),
  job_cancel_check_ms: int(
    50,
    60_000,
    'How often a process reads back the records of the jobs it runs, to stop those cancelled through another server (ms).',
    { default: 1_000 },
  ),
  worker_lock_ms: int(
    500,
    600_000,
    'With QUEUE=bullmq: lock of a running job (ms); a job whose worker died is taken over by another worker once it lapses.',
    { default: 30_000 },
  ),
  worker_stalled_check_ms: int(
    100,
    600_000,
    'With QUEUE=bullmq: how often workers look for jobs whose worker died (ms).',
    { default: 30_000 },
  ),
  worker_max_stalls: int(
    0,
    100,
    'With QUEUE=bullmq: how many times a job may lose its worker and run again elsewhere before it is recorded FAILED.',
    { default: 2 },
  ),
  allowed_origins: list('CORS origins (comma-separated or a YAML list); `*` = any.', { default: ['*'] }),
  max_processing_time: int(
    0,
    3_600_000,
    'Deadline of one extraction (ms): the default and the maximum of the request field.',
    // The newest SKOPE front end sends max_processing_time 20000 with every extract; a lower cap would refuse it (422).
    { default: 20_000 },
  ),
  max_concurrent_jobs: int(1, 32, 'Extractions running at once in this process.', { default: 1 }),
  max_sync_extractions: int(
    1,
    64,
    'Synchronous extractions (`/point`, the v2 timeseries route) running at once in this process; more get 503 with Retry-After.',
    { default: 4 },
  ),
  default_max_cells: int(1, 1e12, 'Largest extraction window (cells) accepted by the pre-flight.', {
    default: 1_000_000,
  }),
  max_series_options: int(1, 100, 'Most `requested_series_options` per request.', { default: 10 }),
  max_geometry_shapes: int(1, 1000, 'Most shapes in `selected_area`.', { default: 100 }),
  max_geometry_coordinates: int(
    4,
    1_000_000,
    'Most coordinates in `selected_area` (ring-closing points and holes count).',
    { default: 10_000 },
  ),
  storage_timeout_ms: int(
    100,
    600_000,
    'Timeout of one read attempt from HTTP or S3 storage, headers and body (ms); a stalled read is retried after it.',
    { default: 30_000 },
  ),
  storage_retries: int(
    0,
    10,
    'Retries of a failed HTTP or S3 read (5xx, reset, truncated body, timeout), with exponential backoff.',
    { default: 3 },
  ),
  source_cache_bytes: int(0, 1e12, 'Byte-range cache of remote sources (bytes).', { default: 64 * MiB }),
  extraction_stats_cache_bytes: int(
    0,
    1e12,
    'Mean and median per band already extracted over an area, kept so a repeat extraction over the same area (e.g. another time range or transform) reads only the bands not seen yet (bytes; 0 = none).',
    { default: 16 * MiB },
  ),
  storage_requests_in_flight: int(
    1,
    4096,
    'Ranged requests to remote storage (S3, HTTP) in flight at once: per extraction (split evenly over the worker threads) and per process for tiles and headers. Size it for the storage latency, not the cores: requests per second ≈ this ÷ round trip.',
    { default: 64 },
  ),
  storage_merge_gap_bytes: int(
    0,
    16 * MiB,
    'Remote reads requested together that are at most this far apart are fetched as one request, the gap read and dropped (bytes). Larger: fewer requests, more bytes.',
    { default: 256 * 1024 },
  ),
  block_cache_bytes: int(0, 1e12, 'Decoded raster block cache per process/worker (bytes).', {
    default: 256 * MiB,
  }),
  cog_cache_size: int(1, 100_000, 'Open COG headers kept per process/worker (count).', { default: 256 }),
  worker_pool_size: int(
    1,
    64,
    'Worker threads computing extractions; one extraction spreads its files (or band ranges) over all of them.',
    { derived: 'the CPU count' },
  ),
  decode_threads: int(
    0,
    64,
    'Threads decoding the blocks of large raster reads (≥ 16 small blocks) beside the reading thread, per process/worker; 0 = none.',
    // Off by default: measured on 2 cores it cut a 400-block read's wall time by up to ~20% but cost ~40% more CPU
    // in total (thread hand-off, GC), and the raster bench did not show a reliable gain. See src/raster/decode.pool.ts.
    { default: 0 },
  ),
  lookup_check_interval_ms: int(
    0,
    86_400_000,
    'How often a cached lookup.json is re-validated (0 = on every use), and how long an open COG header is kept before it is re-opened (at least 1 s) (ms).',
    { default: 30_000 },
  ),
  tile_max_age: int(0, 31_536_000, 'Cache-Control max-age of tiles (seconds).', { default: 3600 }),
  public_base_url: declare(
    // Absolute http(s), no query or fragment: tile URL templates are built by appending paths to it.
    z.string().regex(/^https?:\/\/[^\s?#]+$/, 'must be an http(s) URL without query or fragment'),
    {
      kind: 'string',
      doc: 'Public base URL of the API (e.g. `https://maps.example.org/skope`) that TileJSON tile URLs start with; unset = the request’s scheme and `Host` (TileJSON then `Cache-Control: private`).',
    },
    { optional: '(none)' },
  ),
  trust_proxy: bool(
    'Without PUBLIC_BASE_URL, take the scheme and host of TileJSON tile URLs from `X-Forwarded-Proto`/`X-Forwarded-Host` (only behind a proxy that sets them).',
    { default: false },
  ),
  log_level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'Log level (JSON logs on stdout).', {
    default: 'info',
  }),
  name: text('Service title shown in the OpenAPI document.', { default: 'SKOPE API' }, { allowEmpty: true }),
};

type Declarations = typeof DECLARED;
/** `registry_path` → `registryPath` (the Config field of a YAML key). */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type ConfigShape = { [K in keyof Declarations as CamelCase<K>]: Declarations[K]['schema'] };

/** snake_case setting key → camelCase Config field. */
export function fieldOf(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
}

/** The settings table (order = documentation order). */
export const SETTINGS: readonly SettingSpec[] = Object.entries(DECLARED).map(([key, d]) => ({ key, ...d.spec }));

/** The validated configuration (camelCase). Times in ms unless named otherwise; sizes in bytes. */
export const ConfigSchema = z.object(
  Object.fromEntries(Object.entries(DECLARED).map(([key, d]) => [fieldOf(key), d.schema])) as ConfigShape,
);

/** The service configuration. Serialisable (plain JSON), so worker threads receive it as `workerData`. */
export type Config = z.infer<typeof ConfigSchema>;
