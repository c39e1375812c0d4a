/** The job store the configuration names (`job_store`: memory | fs | redis). */
import { AppError } from '../errors.js';
import type { JobStore } from './job.js';
import { FsJobStore } from './job.store.fs.js';
import { MemoryJobStore } from './job.store.memory.js';
import { RedisJobStore } from './job.store.redis.js';

/** Longest wait at start-up for the Redis store's first connection (ms); past it the server starts anyway. */
const STARTUP_CONNECT_MS = 5_000;

/** What {@link createJobStore} picks from: the settings of the same names (the config passes as is). */
export interface JobStoreSettings {
  jobStore: 'memory' | 'fs' | 'redis';
  /** Directory of the fs store. */
  jobDir: string;
  redisUrl?: string | undefined;
  /** Key prefix of the Redis store. */
  redisPrefix: string;
  /** Retention of finished records in every store (hours). */
  jobMaxAgeHours: number;
}

/** Picks and opens the job store the settings name. */
export async function createJobStore(config: JobStoreSettings): Promise<JobStore> {
  const retentionMs = config.jobMaxAgeHours * 3_600_000;
  switch (config.jobStore) {
    case 'memory':
      return new MemoryJobStore({ retentionMs });
    case 'fs':
      return new FsJobStore({ dir: config.jobDir, retentionMs });
    case 'redis': {
      if (!config.redisUrl) throw new AppError('config_invalid', 'JOB_STORE=redis needs REDIS_URL.');
      const store = new RedisJobStore({ url: config.redisUrl, prefix: config.redisPrefix, retentionMs });
      await store.connected(STARTUP_CONNECT_MS);
      return store;
    }
  }
}
