/** The job store the configuration names (`job_store`: memory | fs | redis). */
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import type { JobStore } from './job.js';
import { FsJobStore } from './job.store.fs.js';
import { MemoryJobStore } from './job.store.memory.js';
import { RedisJobStore } from './job.store.redis.js';

/** Picks and opens the job store the config names. */
export async function createJobStore(config: Config): Promise<JobStore> {
  switch (config.jobStore) {
    case 'memory':
      return new MemoryJobStore();
    case 'fs':
      return new FsJobStore(config.jobDir);
    case 'redis':
      if (!config.redisUrl) throw new AppError('config_invalid', 'JOB_STORE=redis needs REDIS_URL.');
      return new RedisJobStore({ url: config.redisUrl, prefix: config.redisPrefix });
  }
}
