import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from './job.store.memory.js';
import { failOrphans, startSweeps } from './orphans.js';
import { ORPHAN_MESSAGE } from './queue.js';

describe('orphans', () => {
  it('failOrphans marks unfinished records of a previous process FAILED', async () => {
    const store = new MemoryJobStore();
    const now = new Date().toISOString();
    const [p, r, s] = [randomUUID(), randomUUID(), randomUUID()];
    await store.create({ v: 1, id: p, status: 'PENDING', created: now, updated: now });
    await store.create({ v: 1, id: r, status: 'PROCESSING', created: now, updated: now });
    await store.create({ v: 1, id: s, status: 'SUCCESS', created: now, updated: now, result: 1 });
    expect(await failOrphans(store)).toBe(2);
    expect(await store.get(p)).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
    expect(await store.get(r)).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
    expect(await store.get(s)).toMatchObject({ status: 'SUCCESS', result: 1 });
  });

  it('failOrphans with a lease fails only records not written for that long (other live servers keep theirs)', async () => {
    const store = new MemoryJobStore();
    const t = Date.parse('2026-01-01T00:00:00Z');
    const at = (ms: number): string => new Date(t + ms).toISOString();
    const [stale, fresh, edge] = [randomUUID(), randomUUID(), randomUUID()];
    await store.create({ v: 1, id: stale, status: 'PROCESSING', created: at(0), updated: at(0) });
    await store.create({ v: 1, id: fresh, status: 'PROCESSING', created: at(0), updated: at(50_000) });
    await store.create({ v: 1, id: edge, status: 'PENDING', created: at(0), updated: at(30_000) });
    // Now = t + 60 s, lease 30 s: written 60 s and 30 s ago → orphans; 10 s ago → alive.
    expect(await failOrphans(store, () => new Date(t + 60_000), 30_000)).toBe(2);
    expect(await store.get(stale)).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
    expect(await store.get(edge)).toMatchObject({ status: 'FAILED', error: ORPHAN_MESSAGE });
    expect(await store.get(fresh)).toMatchObject({ status: 'PROCESSING' });
  });

  it('startSweeps expires records and runs the orphan check periodically, never stacking a slow sweep', async () => {
    let now = 1_000_000;
    const store = new MemoryJobStore({ now: () => now, retentionMs: 1_000 });
    const old = randomUUID();
    await store.create({ v: 1, id: old, status: 'SUCCESS', created: 'x', updated: 'x', result: 1 });
    now += 2_000;
    let sweeps = 0;
    let release!: () => void;
    const stop = startSweeps(store, 10, async () => {
      sweeps++;
      await new Promise<void>((r) => (release = r));
    });
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.expire()).toBe(0); // the sweep removed it already
    expect(sweeps).toBe(1); // the first sweep still runs: later ticks skip
    release();
    await new Promise((r) => setTimeout(r, 40));
    stop();
    expect(sweeps).toBeGreaterThan(1);
  });
});
