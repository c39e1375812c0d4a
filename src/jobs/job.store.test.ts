import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, requireTool } from '../../test/support/env.js';
import { describeJobStoreConformance, testRecord } from '../../test/support/job.store.conformance.js';
import { FsJobStore } from './job.store.fs.js';
import { MemoryJobStore } from './job.store.memory.js';
import { RedisJobStore } from './job.store.redis.js';

/** Whether a Redis answers PING at REDIS_URL (within a second). */
async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
const HAS_REDIS = requireTool('redis', await redisReachable());

const tempDir = () => mkdtemp(join(tmpdir(), 'skope-jobs-'));

describeJobStoreConformance('memory', async () => ({ store: new MemoryJobStore() }));

describeJobStoreConformance('filesystem', async () => {
  const dir = join(await tempDir(), 'nested', 'jobs'); // the store creates it
  return {
    store: new FsJobStore({ dir }),
    reopen: async () => new FsJobStore(dir),
    cleanup: () => rm(join(dir, '..', '..'), { recursive: true, force: true }),
  };
});

describe.skipIf(!HAS_REDIS)('redis', () => {
  const admin = HAS_REDIS ? new Redis(REDIS_URL) : null;
  const runPrefix = `skope-test-${randomUUID()}:`;
  let n = 0;
  afterAll(async () => {
    if (admin === null) return;
    const keys = await admin.keys(`${runPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  describeJobStoreConformance('redis', async () => {
    const prefix = `${runPrefix}${++n}:`;
    return {
      store: new RedisJobStore({ url: REDIS_URL, prefix }),
      reopen: async () => new RedisJobStore({ url: REDIS_URL, prefix }),
    };
  });

  it('stores the JSON under `${prefix}job:<id>` (not the bare id) with a 24 h TTL refreshed on every write', async () => {
    const r = admin as Redis;
    const prefix = `${runPrefix}ttl:`;
    const store = new RedisJobStore({ client: r, prefix });
    const rec = testRecord();
    await store.create(rec);
    const key = `${prefix}job:${rec.id}`;
    expect(JSON.parse((await r.get(key)) ?? 'null')).toEqual(rec);
    expect(await r.exists(rec.id)).toBe(0);
    expect(await r.ttl(key)).toBeGreaterThan(86_390);
    expect(await r.ttl(key)).toBeLessThanOrEqual(86_400);
    await r.expire(key, 100);
    await store.put({ ...rec, status: 'PROCESSING' });
    expect(await r.ttl(key)).toBeGreaterThan(86_390);
    await store.close(); // a caller's client stays open
    expect(await r.ping()).toBe('PONG');
  });

  it('matches its prefix literally when listing (glob characters in a prefix are escaped)', async () => {
    const r = admin as Redis;
    const star = new RedisJobStore({ client: r, prefix: `${runPrefix}x*[a]:` });
    const plain = new RedisJobStore({ client: r, prefix: `${runPrefix}xy[a]:` });
    const mine = testRecord();
    await star.create(mine);
    await plain.create(testRecord());
    expect(await star.listUnfinished()).toEqual([mine.id]);
  });

  it('treats a corrupt value as absent and reports it', async () => {
    const r = admin as Redis;
    const prefix = `${runPrefix}corrupt:`;
    const seen: string[] = [];
    const store = new RedisJobStore({ client: r, prefix, onCorrupt: (id, reason) => seen.push(`${id} ${reason}`) });
    const id = randomUUID();
    await r.set(`${prefix}job:${id}`, '{"status":"PENDING"', 'EX', 60);
    const other = randomUUID();
    await r.set(`${prefix}job:${other}`, JSON.stringify({ status: 'PENDING' }), 'EX', 60);
    expect(await store.get(id)).toBeNull();
    expect(await store.listUnfinished()).toEqual([]);
    expect(seen.some((s) => s.startsWith(`${id} ${prefix}job:${id}: not JSON`))).toBe(true);
    expect(seen.some((s) => s.startsWith(`${other} ${prefix}job:${other}: not a v1 job record (v:`))).toBe(true);
  });
});

describe('redis store without a server', () => {
  it('fails healthcheck and reads with store_unavailable', async () => {
    // Port 1 on loopback: nothing listens there.
    const store = new RedisJobStore({ url: 'redis://127.0.0.1:1', healthcheckTimeoutMs: 500 });
    try {
      await expect(store.healthcheck()).rejects.toMatchObject({ code: 'store_unavailable' });
      await expect(store.get(randomUUID())).rejects.toMatchObject({ code: 'store_unavailable' });
    } finally {
      await store.close();
    }
  });
});

describe('filesystem store specifics', () => {
  it('writes atomically: no .tmp file is left behind, only <id>.json', async () => {
    const dir = await tempDir();
    try {
      const store = new FsJobStore({ dir });
      const recs = Array.from({ length: 5 }, () => testRecord());
      for (const r of recs) {
        await store.create(r);
        await Promise.all([1, 2, 3].map((i) => store.put({ ...r, progress: { done: i, total: 3 } })));
      }
      await store.create(recs[0] as never).catch(() => undefined); // a failed create cleans up too
      expect((await readdir(dir)).sort()).toEqual(recs.map((r) => `${r.id}.json`).sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cleanup removes files older than maxAge by mtime (stray files included) and keeps the rest', async () => {
    const dir = await tempDir();
    try {
      const store = new FsJobStore({ dir });
      const old = testRecord({ status: 'SUCCESS' });
      const fresh = testRecord();
      await store.create(old);
      await store.create(fresh);
      await writeFile(join(dir, 'leftover.json.abc.tmp'), 'x');
      const dayAgo = new Date(Date.now() - 25 * 3600_000);
      await utimes(join(dir, `${old.id}.json`), dayAgo, dayAgo);
      await utimes(join(dir, 'leftover.json.abc.tmp'), dayAgo, dayAgo);
      expect(await store.cleanup(24 * 3600_000)).toBe(2);
      expect(await readdir(dir)).toEqual([`${fresh.id}.json`]);
      expect(await store.get(old.id)).toBeNull();
      expect(await new FsJobStore(join(dir, 'absent')).cleanup(1)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('treats a corrupt file as absent, reports it, and skips it when listing', async () => {
    const dir = await tempDir();
    try {
      const seen: string[] = [];
      const store = new FsJobStore({ dir, onCorrupt: (id, reason) => seen.push(`${id}: ${reason}`) });
      const id = randomUUID();
      await writeFile(join(dir, `${id}.json`), '{"v":1,"status":"PEND');
      const wrongId = testRecord({ status: 'PENDING' });
      await writeFile(join(dir, `${randomUUID()}.json`), JSON.stringify(wrongId));
      expect(await store.get(id)).toBeNull();
      expect(await store.listUnfinished()).toEqual([]);
      expect(seen).toHaveLength(3);
      expect(seen[0]).toMatch(new RegExp(`^${id}: .*${id}\\.json: not JSON`));
      expect(seen.some((s) => s.includes(`record id ${wrongId.id} does not match its key`))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails healthcheck with store_unavailable when the directory cannot be made', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir, 'file'), 'x');
      const store = new FsJobStore({ dir: join(dir, 'file', 'jobs') });
      await expect(store.healthcheck()).rejects.toMatchObject({ code: 'store_unavailable' });
      await expect(store.create(testRecord())).rejects.toMatchObject({ code: 'store_unavailable' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('memory store specifics', () => {
  it('cleanup drops records last written before maxAge', async () => {
    let now = 1_000_000;
    const store = new MemoryJobStore({ now: () => now });
    const a = testRecord();
    const b = testRecord();
    await store.create(a);
    now += 10_000;
    await store.create(b);
    now += 5_000;
    expect(await store.cleanup(12_000)).toBe(1);
    expect(await store.get(a.id)).toBeNull();
    expect(await store.get(b.id)).toEqual(b);
  });
});
