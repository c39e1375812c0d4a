import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { loadConfig, SETTINGS } from './config.js';
import { ConfigSchema, fieldOf } from './config.schema.js';

const files = (map: Record<string, string>) => (path: string) => {
  const text = map[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (isAppError(err, 'config_invalid')) return (err.details?.['problems'] as string[]) ?? [];
    throw err;
  }
  throw new Error('expected config_invalid');
}

describe('loadConfig', () => {
  it('has upstream defaults, demo paths and 127.0.0.1:8000', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8000);
    expect(c.registryPath).toBe('demo-data/metadata.yml');
    expect(c.storageBaseUrl).toBe('demo-data/storage');
    expect(c.maxProcessingTime).toBe(20000);
    expect(c.maxConcurrentJobs).toBe(1);
    expect(c.defaultMaxCells).toBe(1_000_000);
    expect(c.maxSeriesOptions).toBe(10);
    expect(c.maxGeometryShapes).toBe(100);
    expect(c.maxGeometryCoordinates).toBe(10_000);
    expect(c.allowedOrigins).toEqual(['*']);
    expect(c.jobStore).toBe('fs');
    expect(c.queue).toBe('inline');
    expect(c.workerPoolSize).toBe(availableParallelism());
  });

  it('decode_threads defaults to 0 (no decode pool); bounds are checked', () => {
    expect(loadConfig({}).decodeThreads).toBe(0);
    expect(loadConfig({ DECODE_THREADS: '0' }).decodeThreads).toBe(0);
    expect(loadConfig({ DECODE_THREADS: '3' }).decodeThreads).toBe(3);
    expect(problems(() => loadConfig({ DECODE_THREADS: '-1' })).join()).toMatch(/DECODE_THREADS/);
  });

  it('reads the contract env names; REDIS_URL selects the redis store', () => {
    const c = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9001',
      REGISTRY_PATH: '/srv/metadata.yml',
      STORAGE_BASE_URL: 's3://bucket/prefix',
      COLORMAPS_PATH: '/srv/cm.json',
      REDIS_URL: 'redis://127.0.0.1:6379',
      MAX_PROCESSING_TIME: '10000',
      DEFAULT_MAX_CELLS: '500000',
      MAX_CONCURRENT_JOBS: '4',
      ALLOWED_ORIGINS: 'https://a.org, https://b.org',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 9001,
      registryPath: '/srv/metadata.yml',
      storageBaseUrl: 's3://bucket/prefix',
      colormapsPath: '/srv/cm.json',
      redisUrl: 'redis://127.0.0.1:6379',
      jobStore: 'redis',
      queue: 'bullmq',
      maxProcessingTime: 10000,
      defaultMaxCells: 500000,
      maxConcurrentJobs: 4,
      allowedOrigins: ['https://a.org', 'https://b.org'],
      s3ForcePathStyle: true,
    });
  });

  it('YAML < env < flags', () => {
    const read = files({
      '/s.yml': 'port: 7000\nmax_concurrent_jobs: 3\nallowed_origins: [https://x.org]\nmax_processing_time: 10000\n',
    });
    const c = loadConfig({ SETTINGS_PATH: '/s.yml', MAX_CONCURRENT_JOBS: '5' }, ['--port', '7100'], read);
    expect(c.port).toBe(7100);
    expect(c.maxConcurrentJobs).toBe(5);
    expect(c.allowedOrigins).toEqual(['https://x.org']);
    expect(c.maxProcessingTime).toBe(10000);
    expect(loadConfig({ SETTINGS_PATH: '/s.yml' }, [], read).port).toBe(7000);
    expect(loadConfig({}, ['--settings=/s.yml', '--max-concurrent-jobs=2'], read).maxConcurrentJobs).toBe(2);
  });

  it('reports one clear line per bad value', () => {
    const p = problems(() =>
      loadConfig({ PORT: 'abc', MAX_CONCURRENT_JOBS: '33', JOB_STORE: 'mongo', S3_FORCE_PATH_STYLE: 'maybe' }),
    );
    expect(p).toEqual([
      'PORT: expected an integer (got "abc").',
      'S3_FORCE_PATH_STYLE: expected true or false (got "maybe").',
      'JOB_STORE: expected one of memory, fs, redis (got "mongo").',
      'MAX_CONCURRENT_JOBS: must be between 1 and 32 (got "33").',
    ]);
  });

  it('rejects unknown YAML keys, unknown flags and redis without a URL', () => {
    const read = files({ '/s.yml': 'prot: 1\n' });
    expect(problems(() => loadConfig({ SETTINGS_PATH: '/s.yml' }, ['--nope', '1'], read))).toEqual([
      "/s.yml: unknown setting 'prot'.",
      '--nope: unknown option.',
    ]);
    expect(problems(() => loadConfig({ JOB_STORE: 'redis' }))).toEqual(['JOB_STORE: `redis` needs REDIS_URL.']);
    expect(problems(() => loadConfig({ SETTINGS_PATH: '/missing.yml' }, [], files({})))[0]).toMatch(
      /^SETTINGS_PATH: cannot read \/missing.yml/,
    );
  });

  it('documents every setting', () => {
    for (const s of SETTINGS) expect(s.doc.length, s.key).toBeGreaterThan(10);
  });

  it('validates exactly the documented settings (one declaration makes both)', () => {
    expect(Object.keys(ConfigSchema.shape).sort()).toEqual(SETTINGS.map((s) => fieldOf(s.key)).sort());
  });

  it("documents settings in the repository's own words (no references to an outside spec)", () => {
    for (const s of SETTINGS) expect(s.doc, s.key).not.toMatch(/§/);
  });
});
