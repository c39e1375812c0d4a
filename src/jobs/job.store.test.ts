import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, requireTool } from '../../test/support/env.js';
import type { JobRecord } from './job.js';
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

describeJobStoreConformance('memory', async (o) => ({ store: new MemoryJobStore(o) }));

describeJobStoreConformance('filesystem', async (o) => {
  const dir = join(await tempDir(), 'nested', 'jobs'); // the store creates it
  return {
    store: new FsJobStore({ dir, ...o }),
    reopen: async () => new FsJobStore({ dir, ...o }),
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

  describeJobStoreConformance('redis', async (o) => {
    const prefix = `${runPrefix}${++n}:`;
    const store = new RedisJobStore({ url: REDIS_URL, prefix, ...o });
    await store.healthcheck(); // connected before the first command (the client never queues commands)
    return {
      store,
      reopen: async () => {
        const again = new RedisJobStore({ url: REDIS_URL, prefix, ...o });
        await again.healthcheck();
        return again;
      },
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
    expect(await store.put({ ...rec, status: 'PROCESSING' })).toBe(true);
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
    expect(await store.get(other)).toBeNull();
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
  it('writes atomically: no .tmp file is left behind; unfinished records in live/, finished ones in done/', async () => {
    const dir = await tempDir();
    try {
      const store = new FsJobStore({ dir });
      const recs = Array.from({ length: 5 }, () => testRecord());
      for (const r of recs) {
        await store.create(r);
        await Promise.all([1, 2, 3].map((i) => store.put({ ...r, progress: { done: i, total: 3 } })));
      }
      await store.create(recs[0] as never).catch(() => undefined); // a failed create cleans up too
      expect(await store.put({ ...(recs[0] as JobRecord), status: 'SUCCESS' })).toBe(true);
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
      expect((await readdir(join(dir, 'live'))).sort()).toEqual(
        recs
          .slice(1)
          .map((r) => `${r.id}.json`)
          .sort(),
      );
      expect(await readdir(join(dir, 'done'))).toEqual([`${recs[0]?.id}.json`]);
      expect((await readdir(join(dir, 'expiry'))).length).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('expire: finished records by expiry bucket (at the store clock), abandoned live records and stray files by mtime', async () => {
    const dir = await tempDir();
    try {
      let now = Date.now();
      const day = 24 * 3600_000;
      const store = new FsJobStore({ dir, now: () => now });
      const done = testRecord({ status: 'SUCCESS' });
      const abandoned = testRecord();
      const fresh = testRecord();
      for (const r of [done, abandoned, fresh]) await store.create(r);
      await writeFile(join(dir, 'tmp', 'leftover.tmp'), 'x');
      await writeFile(join(dir, `${randomUUID()}.json`), '{}'); // the older one-directory layout
      const old = new Date(now - day - 60_000);
      for (const f of [join('live', `${abandoned.id}.json`), join('tmp', 'leftover.tmp')])
        await utimes(join(dir, f), old, old);
      for (const f of await readdir(dir)) if (f.endsWith('.json')) await utimes(join(dir, f), old, old);
      expect(await store.expire()).toBe(3); // abandoned, leftover.tmp, the old-layout file; `done` is a day off
      expect(await store.get(done.id)).toMatchObject({ status: 'SUCCESS' });
      expect(await store.get(fresh.id)).toMatchObject({ status: 'PENDING' });
      now += day + 23 * 60_000; // past the retention and one bucket (22.5 min): `fresh` is abandoned by then too
      expect(await store.expire()).toBe(2);
      expect(await store.get(done.id)).toBeNull();
      expect(await store.get(abandoned.id)).toBeNull();
      expect(await store.get(fresh.id)).toBeNull();
      expect(await readdir(join(dir, 'expiry'))).toEqual([]);
      expect(await new FsJobStore(join(dir, 'absent')).expire()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('expire moves records of the older one-directory layout into live/ and done/ (an upgrade loses none)', async () => {
    const dir = await tempDir();
    try {
      const done = testRecord({ status: 'SUCCESS', result: { n: 1 } });
      const running = testRecord({ status: 'PROCESSING' });
      await writeFile(join(dir, `${done.id}.json`), JSON.stringify(done));
      await writeFile(join(dir, `${running.id}.json`), JSON.stringify(running));
      const store = new FsJobStore({ dir });
      expect(await store.expire()).toBe(0);
      expect(await store.get(done.id)).toEqual(done);
      expect(await store.put({ ...done, status: 'FAILED' })).toBe(false);
      expect(await store.listUnfinished()).toEqual([running.id]);
      expect(await store.put({ ...running, status: 'SUCCESS' })).toBe(true);
      expect((await readdir(dir)).sort()).toEqual(['done', 'expiry', 'live', 'tmp']);
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
      await store.healthcheck(); // makes the directories
      await writeFile(join(dir, 'live', `${id}.json`), '{"v":1,"status":"PEND');
      const wrongId = testRecord({ status: 'PENDING' });
      await writeFile(join(dir, 'live', `${randomUUID()}.json`), JSON.stringify(wrongId));
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
  it('expire drops records last written more than the retention ago; a write renews a record', async () => {
    let now = 1_000_000;
    const store = new MemoryJobStore({ now: () => now, retentionMs: 12_000 });
    const a = testRecord();
    const b = testRecord();
    const c = testRecord();
    await store.create(a);
    await store.create(c);
    now += 10_000;
    await store.create(b);
    expect(await store.put({ ...c, status: 'PROCESSING' })).toBe(true);
    now += 5_000;
    expect(await store.expire()).toBe(1);
    expect(await store.get(a.id)).toBeNull();
    expect(await store.get(b.id)).toEqual(b);
    expect(await store.get(c.id)).toMatchObject({ status: 'PROCESSING' });
  });
});
