/**
 * A redis-server of a test's own, on a spare port, that the test may stop and start again (the shared Redis on 6379
 * must never be stopped). Data is kept in an append-only file in a temp directory, so a restart keeps it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, redisUp } from './env.js';

/** Whether `redis-server` can be run. */
export const HAS_REDIS_SERVER = (): boolean => hasCommand('redis-server', ['--version']);

/** A free TCP port on loopback (the OS picks it). */
export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A private Redis: `stop()` and `start()` it at will, `remove()` at the end. */
export interface OwnRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its connections open but answers nothing. */
  freeze(frozen: boolean): void;
  remove(): Promise<void>;
}

/** Creates and starts a private Redis on a spare port. */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await sparePort();
  const dir = await mkdtemp(join(tmpdir(), 'skope-own-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const own: OwnRedis = {
    url,
    port,
    async start() {
      if (child !== null && child.exitCode === null) return; // running already
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'],
        { stdio: 'ignore' },
      );
      const end = Date.now() + 10_000;
      while (!(await redisUp(url))) {
        if (Date.now() > end) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      const c = child;
      if (c === null || c.exitCode !== null) return;
      c.kill('SIGCONT');
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
      child = null;
    },
    freeze(frozen: boolean) {
      child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async remove() {
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}
