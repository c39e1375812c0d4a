/**
 * Redis clients for request paths (job store, queue producer, cancel publisher): they fail fast while Redis is down
 * instead of waiting for it (no offline queue, a command timeout), so a request answers 503 within a couple of
 * seconds, and they reconnect by themselves when Redis is back (ioredis's retry strategy, never given up).
 */
import { Redis } from 'ioredis';

/** Longest wait for one Redis command on a request path (ms). */
export const REDIS_COMMAND_TIMEOUT_MS = 750;

/**
 * A client that rejects commands at once while disconnected and after {@link REDIS_COMMAND_TIMEOUT_MS} when Redis
 * does not answer. Commands are never queued for later: a request that was refused must not take effect once Redis
 * is back.
 */
export function fastFailRedis(url: string): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
  // Connection errors surface on commands; without a listener ioredis would print each one.
  client.on('error', () => undefined);
  return client;
}

/**
 * A client for BullMQ's blocking connections (workers, subscribers): they wait for Redis to come back (BullMQ needs
 * `maxRetriesPerRequest: null` there); never used on a request path.
 */
export function blockingRedis(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on('error', () => undefined);
  return client;
}

/**
 * Resolves once `client` is ready (at once when it is), rejects after `timeoutMs` or when it ends. Used at
 * start-up, before the first command of a client without an offline queue.
 */
export function redisReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => done();
    const onEnd = (): void => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error(`not connected within ${timeoutMs} ms`)), timeoutMs);
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}

/**
 * Before a command of a client without an offline queue: waits (up to `timeoutMs`) while the client is making its
 * first connection; otherwise returns at once (a lost connection then fails the command at once).
 */
export async function firstConnection(client: Redis, timeoutMs = REDIS_COMMAND_TIMEOUT_MS): Promise<void> {
  if (client.status === 'wait' || client.status === 'connecting' || client.status === 'connect')
    await redisReady(client, timeoutMs);
}
