/**
 * Test support for the job race and fault tests: a deterministic stepping job handler that reports whether its work
 * stopped, and polling helpers.
 */
import type { JobRecord, JobStore } from '../../src/jobs/job.js';
import type { JobHandler } from '../../src/jobs/queue.js';

/** What a {@link steppingHandler} job did. */
export interface StepLog {
  steps: number;
  /** The handler saw its signal and stopped. */
  aborted: boolean;
  /** The handler ran to its end and returned a result. */
  completed: boolean;
  /** The handler is no longer running (either way). */
  settled: boolean;
  /** When it settled (Date.now()). */
  settledAt: number;
}

/** The input of a stepping job. */
export interface StepInput {
  /** Key of the job's log (the job id). */
  key: string;
  steps: number;
  stepMs: number;
}

/**
 * A handler that sleeps `steps` × `stepMs`, reporting progress and checking its signal between steps; its result is
 * the deterministic sum 1 + … + steps. `logs` records what each job did.
 */
export function steppingHandler(logs: Map<string, StepLog>): JobHandler<StepInput> {
  return async ({ key, steps, stepMs }, ctx) => {
    const log: StepLog = { steps: 0, aborted: false, completed: false, settled: false, settledAt: 0 };
    logs.set(key, log);
    try {
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, stepMs));
        if (ctx.signal.aborted) {
          log.aborted = true;
          throw ctx.signal.reason;
        }
        log.steps = i;
        ctx.onProgress(i, steps);
      }
      log.completed = true;
      return { result: { sum: (steps * (steps + 1)) / 2 } };
    } finally {
      log.settled = true;
      log.settledAt = Date.now();
    }
  };
}

/** Polls `get` until `pred` holds (or throws after `ms`). */
export async function waitFor<T>(get: () => Promise<T> | T, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (pred(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The record once SUCCESS or FAILED. */
export function settledRecord(store: JobStore, id: string, ms = 10_000): Promise<JobRecord | null> {
  return waitFor(
    () => store.get(id),
    (r) => r?.status === 'SUCCESS' || r?.status === 'FAILED',
    ms,
  );
}

export { rng } from './crosscheck.shapes.js';
