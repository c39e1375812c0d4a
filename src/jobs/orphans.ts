/**
 * Orphaned jobs and expired records. An orphan is a PENDING/PROCESSING record that no live process will finish,
 * because the process running it died: it is marked FAILED ({@link ORPHAN_MESSAGE}) at start-up and by a periodic
 * sweep, so clients polling it get an answer instead of waiting forever. The same sweep expires the records past the
 * retention. Both read the store's index of unfinished records only (never every record), so a sweep costs the
 * same however many finished records the store keeps.
 */
import { updatedMs, type JobStore } from './job.js';
import { HEARTBEAT_MS, ORPHAN_MESSAGE, type QueueLogger } from './queue.js';

/**
 * Default of how long an unfinished record may go without a write before no live process is taken to run it (ms):
 * the `job_orphan_after_ms` setting. A running job's record is rewritten at least every heartbeat (progress or
 * heartbeat, {@link heartbeatFor}), so only a process that died (or lost its store) leaves records this stale;
 * other servers sharing the store keep theirs fresh.
 */
export const ORPHAN_AFTER_MS = 30_000;

/** The heartbeat of runners under an orphan lease: a sixth of it, at most {@link HEARTBEAT_MS} (ms). */
export function heartbeatFor(orphanAfterMs: number): number {
  return Math.max(1, Math.min(HEARTBEAT_MS, Math.floor(orphanAfterMs / 6)));
}

/**
 * Marks the PENDING/PROCESSING records not written for `staleMs` FAILED (recovery for fs/Redis stores: at start-up
 * and periodically, so a crashed process's jobs fail while other live servers' jobs are left alone). Each write is a
 * compare-and-set: a record that finished meanwhile stays as it is.
 * @param staleMs 0 = every unfinished record
 * @param previousOwner records of this owner are failed however fresh: the name of a stable-named server that is
 *   starting (its predecessor under the same name is dead, and it has no jobs of its own yet)
 * @returns the number of records marked
 */
export async function failOrphans(
  store: JobStore,
  now: () => Date = () => new Date(),
  staleMs = 0,
  previousOwner?: string,
): Promise<number> {
  let n = 0;
  const cutoff = now().getTime() - staleMs;
  // A predecessor's records may be fresh: list them all then.
  const ids = await store.listUnfinished(staleMs > 0 && previousOwner === undefined ? cutoff + 1 : undefined);
  for (const id of ids) {
    const rec = await store.get(id);
    if (!rec || (rec.status !== 'PENDING' && rec.status !== 'PROCESSING')) continue;
    const predecessor = previousOwner !== undefined && rec.owner === previousOwner;
    if (staleMs > 0 && updatedMs(rec) > cutoff && !predecessor) continue;
    const failed = await store.put({
      ...rec,
      status: 'FAILED',
      error: ORPHAN_MESSAGE,
      code: 'internal_error',
      updated: now().toISOString(),
    });
    if (failed) n++;
  }
  return n;
}

/**
 * Every `everyMs`: the store's expiry, then `sweep` (the queue's orphan check). Errors are logged, never thrown;
 * the timer never keeps the process alive.
 * @returns stops the sweeps
 */
export function startSweeps(
  store: JobStore,
  everyMs: number,
  sweep: (() => Promise<unknown>) | null,
  log?: QueueLogger,
): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return; // a slow sweep (store down) is not stacked
    running = true;
    try {
      await store.expire();
      await sweep?.();
    } catch (err) {
      log?.error({ err }, 'job sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
