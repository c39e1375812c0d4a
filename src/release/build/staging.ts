/**
 * Crash-safe publication on a local filesystem: a unique staging directory `ROOT/.staging/<release-id>.<8 hex>`
 * on the same filesystem as the release root (checked by device id), a lease file beside it
 * (`<staging-name>.lease`: release_id, host, pid, stage, updated), and one atomic `rename` to `ROOT/<release-id>`
 * once everything, the manifest last, is written. Readers ignore dot-directories, so nothing under
 * `ROOT/<release-id>` exists until the release is complete.
 *
 * A rerun starts clean: staging directories of the same release id whose lease names a process that is gone (same
 * host) are removed first; one whose process still runs makes the new build refuse.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lease of a build in progress. */
export interface Lease {
  release_id: string;
  host: string;
  pid: number;
  stage: string;
  /** RFC 3339 UTC (wall clock: operational, never part of a release). */
  updated: string;
}

export class StagingError extends Error {
  constructor(
    readonly rule: 'TXN-002' | 'TXN-004' | 'TXN-005',
    message: string,
  ) {
    super(message);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** A staging directory with its lease. */
export class Staging {
  private constructor(
    readonly root: string,
    readonly releaseId: string,
    /** Absolute path of the staging directory. */
    readonly dir: string,
    readonly leasePath: string,
  ) {}

  /** Where the release will be published. */
  get target(): string {
    return join(this.root, this.releaseId);
  }

  /** Create the staging directory and its lease. @throws StagingError */
  static async create(root: string, releaseId: string): Promise<Staging> {
    await mkdir(root, { recursive: true });
    if (existsSync(join(root, releaseId)))
      throw new StagingError('TXN-002', `${releaseId} already exists under the release root`);
    const area = join(root, '.staging');
    await mkdir(area, { recursive: true });
    if ((await stat(area)).dev !== (await stat(root)).dev)
      throw new StagingError(
        'TXN-004',
        `${area} is not on the release root's filesystem: the final rename would not be atomic`,
      );
    await Staging.removeStale(area, releaseId);
    const name = `${releaseId}.${randomBytes(4).toString('hex')}`;
    const staging = new Staging(root, releaseId, join(area, name), join(area, `${name}.lease`));
    await mkdir(staging.dir);
    await staging.lease('staging');
    return staging;
  }

  /** Remove staging directories of `releaseId` left by builds that are gone; refuse if one is still running. */
  private static async removeStale(area: string, releaseId: string): Promise<void> {
    const prefix = `${releaseId}.`;
    const names = (await readdir(area)).filter(
      (n) => n.startsWith(prefix) && /^[0-9a-f]{8}(\.lease)?$/.test(n.slice(prefix.length)),
    );
    const stems = new Set(names.map((n) => n.replace(/\.lease$/, '')));
    for (const stem of stems) {
      let lease: Lease | null = null;
      try {
        lease = JSON.parse(await readFile(join(area, `${stem}.lease`), 'utf8')) as Lease;
      } catch {
        lease = null; // no or torn lease: the build died before or while writing it
      }
      if (lease !== null && lease.host === hostname() && lease.pid !== process.pid && alive(lease.pid))
        throw new StagingError(
          'TXN-005',
          `another build of ${releaseId} is running (pid ${lease.pid}, ${join(area, stem)})`,
        );
      if (lease !== null && lease.host !== hostname())
        throw new StagingError(
          'TXN-005',
          `${join(area, stem)} belongs to a build on ${lease.host}; remove it by hand if that build is gone`,
        );
      await rm(join(area, stem), { recursive: true, force: true });
      await rm(join(area, `${stem}.lease`), { force: true });
    }
  }

  /** Record the build's stage in the lease (written whole, then renamed, so a reader never sees half a lease). */
  async lease(stage: string): Promise<void> {
    const lease: Lease = {
      release_id: this.releaseId,
      host: hostname(),
      pid: process.pid,
      stage,
      updated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    const tmp = `${this.leasePath}.tmp`;
    await writeFile(tmp, `${JSON.stringify(lease)}\n`);
    await rename(tmp, this.leasePath);
  }

  /** Flush a file's bytes to disk. */
  static async fsync(path: string): Promise<void> {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * Rename the staging directory to `ROOT/<release-id>` and drop the lease. @throws StagingError TXN-002
   *
   * Node has no rename-without-replace, but rename(2) of a directory replaces only an empty directory and fails
   * with ENOTEMPTY/EEXIST on anything else, so a release that another build published in the meantime is never
   * overwritten: the loser of that race gets TXN-002. (An empty directory someone made at the target is replaced;
   * it held nothing.)
   */
  async publish(): Promise<string> {
    await Staging.fsync(this.dir);
    try {
      await rename(this.dir, this.target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR')
        throw new StagingError('TXN-002', `${this.releaseId} appeared under the release root during the build`);
      throw e;
    }
    await Staging.fsync(this.root);
    await rm(this.leasePath, { force: true });
    return this.target;
  }
}
