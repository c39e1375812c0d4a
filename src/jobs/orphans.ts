/**
 * Orphaned jobs: PENDING/PROCESSING records that no live process will finish, because the process running them
 * died. They are marked FAILED ({@link ORPHAN_MESSAGE}) at start-up and, on a server running jobs in-process over a
 * shared store, now and then while it runs, so clients polling them get an answer instead of waiting forever.
 */
import type { JobStore } from './job.js';
import { HEARTBEAT_MS, ORPHAN_MESSAGE, type QueueLogger } from './queue.js';

/**
 * How long an unfinished record may go without a write before no live process is taken to run it (ms). A running
 * job's record is rewritten at least every {@link HEARTBEAT_MS} (progress or heartbeat), so only a process that died
 * (or lost its store) leaves records this stale; other servers sharing the store keep theirs fresh.
 */
export const ORPHAN_AFTER_MS = 30_000;
/** Time between two orphan sweeps of a running inline-mode server (ms); a sweep reads every record. */
export const ORPHAN_SWEEP_MS = 5 * 60_000;

/**
 * Marks the PENDING/PROCESSING records not written for `staleMs` FAILED (recovery for fs/Redis stores: at start-up
 * and periodically, so a crashed process's jobs fail while other live servers' jobs are left alone).
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
  for (const id of await store.listUnfinished()) {
    const rec = await store.get(id);
    if (!rec || (rec.status !== 'PENDING' && rec.status !== 'PROCESSING')) continue;
    // An unparsable time counts as stale: no live process writes one.
    const age = now().getTime() - Date.parse(rec.updated);
    const predecessor = previousOwner !== undefined && rec.owner === previousOwner;
    if (staleMs > 0 && age < staleMs && !predecessor) continue;
    await store.put({
      ...rec,
      status: 'FAILED',
      error: ORPHAN_MESSAGE,
      code: 'internal_error',
      updated: now().toISOString(),
    });
    n++;
  }
  return n;
}

/**
 * Sweeps `store` for orphans while an inline-mode server runs. Records that were still fresh at start-up (this
 * server's previous run died less than the lease ago) or that another server abandons later go stale meanwhile: the
 * first sweep runs once the lease has passed, then every {@link ORPHAN_SWEEP_MS} (a sweep reads every record, so not
 * often). The timers never keep the process alive.
 * @returns stops the sweeps
 */
export function sweepOrphans(store: JobStore, log?: QueueLogger): () => void {
  const sweep = (): void => {
    failOrphans(store, undefined, ORPHAN_AFTER_MS).catch((err: unknown) => log?.error({ err }, 'orphan sweep failed'));
  };
  let timer: NodeJS.Timeout = setTimeout(() => {
    sweep();
    timer = setInterval(sweep, ORPHAN_SWEEP_MS);
    timer.unref();
  }, ORPHAN_AFTER_MS + HEARTBEAT_MS);
  timer.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(timer);
  };
}
