/**
 * The in-process {@link JobQueue} (`QUEUE=inline`, the default): jobs run on this server's own {@link JobRunner}, so
 * admission is per process. A cancel of a job running here aborts it at once; a job running on another server
 * sharing the store is cancelled in the store (compare-and-set) and that server's runner stops it at its next write
 * or cancel check.
 */
import { JobRunner, recordCancel, type JobRunnerOptions } from './job.runner.js';
import type { JobQueue, JobSpec } from './queue.js';

/** Options of {@link InlineJobQueue}: those of the runner behind it. */
export type InlineQueueOptions<I> = JobRunnerOptions<I>;

/** A queue whose jobs run in this process. */
export class InlineJobQueue<I> implements JobQueue<I> {
  readonly capacity: number;
  private readonly runner: JobRunner<I>;
  private readonly store: InlineQueueOptions<I>['store'];

  constructor(options: InlineQueueOptions<I>) {
    this.store = options.store;
    this.runner = new JobRunner(options);
    this.capacity = this.runner.capacity;
  }

  enqueue(job: JobSpec, input: I): Promise<void> {
    return this.runner.start(job, input);
  }

  async cancel(id: string): Promise<boolean> {
    if (await this.runner.cancel(id)) {
      const rec = await this.store.get(id);
      return rec?.status === 'FAILED' && rec.code === 'job_cancelled';
    }
    return recordCancel(this.store, id);
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  active(): number {
    return this.runner.active();
  }
}
