/**
 * The in-process {@link JobQueue} (`QUEUE=inline`, the default): jobs run on this server's own {@link JobRunner}, so
 * admission is per process and cancel reaches only jobs running here (the route records other cancels itself).
 */
import { JobRunner, type JobRunnerOptions } from './job.runner.js';
import type { JobQueue, JobSpec } from './queue.js';

/** Options of {@link InlineJobQueue}: those of the runner behind it. */
export type InlineQueueOptions<I> = JobRunnerOptions<I>;

/** A queue whose jobs run in this process. */
export class InlineJobQueue<I> implements JobQueue<I> {
  readonly capacity: number;
  private readonly runner: JobRunner<I>;

  constructor(options: InlineQueueOptions<I>) {
    this.runner = new JobRunner(options);
    this.capacity = this.runner.capacity;
  }

  enqueue(job: JobSpec, input: I): Promise<void> {
    return this.runner.start(job, input);
  }

  cancel(id: string): Promise<boolean> {
    return this.runner.cancel(id);
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  active(): number {
    return this.runner.active();
  }
}
