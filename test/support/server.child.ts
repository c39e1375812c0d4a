/**
 * Test child: `startServer` (what `skope serve` runs) on 127.0.0.1, a random port, with the settings given as a JSON
 * env object in argv[2]. It measures itself for the parent over IPC: event-loop delay
 * (`perf_hooks.monitorEventLoopDelay`, 5 ms resolution) and memory. Messages from the parent:
 * `{ cmd: 'stats', reset?: boolean }` → {@link ServerStats}; `{ cmd: 'gc' }` → a full GC (the child runs with
 * `--expose-gc`), then stats.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/main.js';
import type { ServerStats } from './server.process.js';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

const { url } = await startServer(loadConfig({ ...env, HOST: '127.0.0.1', PORT: '0' }), { handleSignals: true });

const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
function stats(): ServerStats {
  const mem = process.memoryUsage();
  return {
    loopP50Ms: ms(loop.percentile(50)),
    loopP99Ms: ms(loop.percentile(99)),
    loopMaxMs: ms(loop.max),
    loopSamples: loop.count,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
  };
}

process.on('message', (m: { cmd: string; reset?: boolean; id: number }) => {
  if (m.cmd === 'gc') (globalThis as { gc?: () => void }).gc?.();
  const s = stats();
  if (m.reset === true) loop.reset();
  process.send?.({ id: m.id, stats: s });
});
process.send?.({ url });
