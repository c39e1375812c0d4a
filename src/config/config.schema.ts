/**
 * Every setting of the service, declared once: its YAML key (snake_case, as upstream's settings files), its
 * environment variable (the YAML key in upper case), its type, bounds, default and documentation. `config.ts`
 * reads the sources; this file only describes them. The table also generates the settings section of the docs.
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
  /** Default shown in the docs (the real default lives in the zod schema). */
  defaultText: string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

const MiB = 1024 * 1024;

/** The settings table (order = documentation order). */
export const SETTINGS: readonly SettingSpec[] = [
  { key: 'host', kind: 'string', doc: 'Interface `skope serve` listens on.', defaultText: '127.0.0.1' },
  { key: 'port', kind: 'int', min: 0, max: 65535, doc: 'TCP port (0 = any free port).', defaultText: '8000' },
  {
    key: 'registry_path',
    kind: 'string',
    doc: 'Dataset registry `metadata.yml` (U§6.1).',
    defaultText: 'demo-data/metadata.yml',
  },
  {
    key: 'colormaps_path',
    kind: 'string',
    doc: 'Custom colormaps JSON (name → hex stops, U§6.2); a missing file means no custom maps.',
    defaultText: 'demo-data/colormaps.json',
  },
  {
    key: 'storage_base_url',
    kind: 'string',
    doc: 'Root that lookup.json `file` paths are relative to: a local directory, `s3://bucket/prefix` or `http(s)://…`.',
    defaultText: 'demo-data/storage',
  },
  {
    key: 's3_endpoint',
    kind: 'string',
    doc: 'S3-compatible endpoint URL (MinIO, s3rver…); empty = AWS.',
    defaultText: '(AWS)',
  },
  { key: 's3_region', kind: 'string', doc: 'S3 region of the storage bucket.', defaultText: 'us-east-1' },
  {
    key: 's3_force_path_style',
    kind: 'bool',
    doc: 'Use path-style S3 URLs (needed by most non-AWS servers).',
    defaultText: 'false',
  },
  {
    key: 'redis_url',
    kind: 'string',
    doc: 'Redis URL; when set, the default job store is Redis.',
    defaultText: '(none)',
  },
  {
    key: 'redis_prefix',
    kind: 'string',
    doc: 'Prefix of the Redis job keys (`<prefix>job:<id>`), to share one Redis between deployments.',
    defaultText: '(none)',
  },
  {
    key: 'queue',
    kind: 'enum',
    values: ['inline', 'bullmq'],
    doc: 'Job queue: `inline` runs jobs in this process; `bullmq` queues them in Redis for `skope worker` processes (needs JOB_STORE=redis).',
    defaultText: '`bullmq` when the job store is Redis, else `inline`',
  },
  {
    key: 'embedded_worker',
    kind: 'bool',
    doc: 'With QUEUE=bullmq, `skope serve` also runs a worker in-process.',
    defaultText: 'true',
  },
  {
    key: 'job_store',
    kind: 'enum',
    values: ['memory', 'fs', 'redis'],
    doc: 'Where job records live.',
    defaultText: '`redis` when REDIS_URL is set, else `fs`',
  },
  { key: 'job_dir', kind: 'string', doc: 'Directory of the filesystem job store.', defaultText: '<tmpdir>/skope_jobs' },
  {
    key: 'job_max_age_hours',
    kind: 'int',
    min: 1,
    max: 8760,
    doc: 'Age after which fs job records are removed at start-up (hours).',
    defaultText: '24',
  },
  {
    key: 'allowed_origins',
    kind: 'list',
    doc: 'CORS origins (comma-separated or a YAML list); `*` = any.',
    defaultText: '*',
  },
  {
    key: 'max_processing_time',
    kind: 'int',
    min: 0,
    max: 3_600_000,
    doc: 'Deadline of one extraction (ms): the default and the maximum of the request field.',
    defaultText: '15000',
  },
  {
    key: 'max_concurrent_jobs',
    kind: 'int',
    min: 1,
    max: 32,
    doc: 'Extractions running at once in this process.',
    defaultText: '1',
  },
  {
    key: 'max_sync_extractions',
    kind: 'int',
    min: 1,
    max: 64,
    doc: 'Synchronous extractions (`/point`, the v2 timeseries route) running at once in this process; more get 503 with Retry-After.',
    defaultText: '4',
  },
  {
    key: 'default_max_cells',
    kind: 'int',
    min: 1,
    max: 1e12,
    doc: 'Largest extraction window (cells) accepted by the pre-flight.',
    defaultText: '1000000',
  },
  {
    key: 'max_series_options',
    kind: 'int',
    min: 1,
    max: 100,
    doc: 'Most `requested_series_options` per request.',
    defaultText: '10',
  },
  {
    key: 'max_geometry_shapes',
    kind: 'int',
    min: 1,
    max: 1000,
    doc: 'Most shapes in `selected_area`.',
    defaultText: '100',
  },
  {
    key: 'max_geometry_coordinates',
    kind: 'int',
    min: 4,
    max: 1_000_000,
    doc: 'Most coordinates in `selected_area` (ring-closing points and holes count).',
    defaultText: '10000',
  },
  {
    key: 'source_cache_bytes',
    kind: 'int',
    min: 0,
    max: 1e12,
    doc: 'Byte-range cache of remote sources (bytes).',
    defaultText: String(64 * MiB),
  },
  {
    key: 'block_cache_bytes',
    kind: 'int',
    min: 0,
    max: 1e12,
    doc: 'Decoded raster block cache per process/worker (bytes).',
    defaultText: String(256 * MiB),
  },
  {
    key: 'cog_cache_size',
    kind: 'int',
    min: 1,
    max: 100_000,
    doc: 'Open COG headers kept per process/worker (count).',
    defaultText: '256',
  },
  {
    key: 'worker_pool_size',
    kind: 'int',
    min: 1,
    max: 64,
    doc: 'Worker threads computing extractions; one extraction spreads its files (or band ranges) over all of them.',
    defaultText: 'the CPU count',
  },
  {
    key: 'decode_threads',
    kind: 'int',
    min: 0,
    max: 64,
    doc: 'Threads decoding the blocks of large raster reads (≥ 16 small blocks) beside the reading thread, per process/worker; 0 = none.',
    defaultText: '0',
  },
  {
    key: 'lookup_check_interval_ms',
    kind: 'int',
    min: 0,
    max: 86_400_000,
    doc: 'How often a cached lookup.json is re-validated (0 = on every use), and how long an open COG header is kept before it is re-opened (at least 1 s) (ms).',
    defaultText: '30000',
  },
  {
    key: 'tile_max_age',
    kind: 'int',
    min: 0,
    max: 31_536_000,
    doc: 'Cache-Control max-age of tiles (seconds).',
    defaultText: '3600',
  },
  {
    key: 'log_level',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Log level (JSON logs on stdout).',
    defaultText: 'info',
  },
  { key: 'name', kind: 'string', doc: 'Service title shown in the OpenAPI document.', defaultText: 'SKOPE API' },
];

/** The validated configuration (camelCase). Times in ms unless named otherwise; sizes in bytes. */
export const ConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8000),
  registryPath: z.string().min(1).default('demo-data/metadata.yml'),
  colormapsPath: z.string().min(1).default('demo-data/colormaps.json'),
  storageBaseUrl: z.string().min(1).default('demo-data/storage'),
  s3Endpoint: z.string().optional(),
  s3Region: z.string().min(1).default('us-east-1'),
  s3ForcePathStyle: z.boolean().default(false),
  redisUrl: z.string().optional(),
  redisPrefix: z.string().default(''),
  jobStore: z.enum(['memory', 'fs', 'redis']),
  queue: z.enum(['inline', 'bullmq']),
  embeddedWorker: z.boolean().default(true),
  jobDir: z.string().min(1),
  jobMaxAgeHours: z.number().int().min(1).max(8760).default(24),
  allowedOrigins: z.array(z.string()).default(['*']),
  maxProcessingTime: z.number().int().min(0).max(3_600_000).default(15_000),
  maxConcurrentJobs: z.number().int().min(1).max(32).default(1),
  maxSyncExtractions: z.number().int().min(1).max(64).default(4),
  defaultMaxCells: z.number().int().min(1).max(1e12).default(1_000_000),
  maxSeriesOptions: z.number().int().min(1).max(100).default(10),
  maxGeometryShapes: z.number().int().min(1).max(1000).default(100),
  maxGeometryCoordinates: z.number().int().min(4).max(1_000_000).default(10_000),
  sourceCacheBytes: z
    .number()
    .int()
    .min(0)
    .default(64 * MiB),
  blockCacheBytes: z
    .number()
    .int()
    .min(0)
    .default(256 * MiB),
  cogCacheSize: z.number().int().min(1).default(256),
  workerPoolSize: z.number().int().min(1).max(64),
  decodeThreads: z
    .number()
    .int()
    .min(0)
    .max(64)
    // Off by default: measured on 2 cores it cut a 400-block read's wall time by up to ~20% but cost ~40% more CPU
    // in total (thread hand-off, GC), and the raster bench did not show a reliable gain. See src/raster/decode.pool.ts.
    .default(0),
  lookupCheckIntervalMs: z.number().int().min(0).default(30_000),
  tileMaxAge: z.number().int().min(0).default(3600),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  name: z.string().default('SKOPE API'),
});

/** The service configuration. Serialisable (plain JSON), so worker threads receive it as `workerData`. */
export type Config = z.infer<typeof ConfigSchema>;

/** snake_case setting key → camelCase Config field. */
export function fieldOf(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
}
