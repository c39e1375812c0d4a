/**
 * Pool test worker: counts to `n` (one step per `stepMs`), reporting progress; `spin` ignores aborts (busy loop);
 * `fail` throws an AppError, `crash` a plain Error with that text (as a bug or a library would).
 */
import { AppError } from '../../src/errors.js';
import { defineWorkerTask } from '../../src/jobs/pool.js';

export default defineWorkerTask<
  { n: number; stepMs: number; spin?: boolean; fail?: string; crash?: string },
  { counted: number }
>(async (task, ctx) => {
  if (task.fail) throw new AppError('time_range_empty', task.fail);
  if (task.crash) throw new TypeError(task.crash);
  if (task.spin) for (;;) void 0; // never yields: only termination stops it
  for (let i = 1; i <= task.n; i++) {
    await new Promise((r) => setTimeout(r, task.stepMs));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.onProgress(i, task.n);
  }
  return { counted: task.n };
});
