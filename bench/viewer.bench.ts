/**
 * Map viewer first paint (issue 14): navigation start → the first timestep's tiles on screen (the page's
 * `skope:first-tiles` mark, set at the end of the first frame drawn with all the view's tiles), in Debian's
 * Chromium with software WebGL (SwiftShader) at 1280 × 800, on the demo dataset served by the real app. Every load
 * uses a fresh browser context (empty HTTP cache); "cold server" loads also start a fresh server each (no tile,
 * block or COG header cached, JIT cold), as the browser test's first navigation does. Needs `npm run build:web`.
 * No reference: upstream has no viewer. Target: ≤ 1.5 s (issue 14).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { buildServer } from '../src/app.js';
import { writeDemoDataset } from '../src/cli/demo.js';
import { loadConfig } from '../src/config/config.js';
import { createDeps } from '../src/deps.js';
import { firstTilesMs, launchChromium } from '../test/support/chromium.js';
import { median } from './harness.js';
import type { BenchContext, BenchSuite } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

async function startServer(env: Record<string, string>): Promise<{ base: string; close: () => Promise<void> }> {
  const app = await buildServer(await createDeps(loadConfig(env)), { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { base, close: () => app.close() };
}

/** One load in a fresh context: ms from navigation start to the first tiles on screen. */
async function firstPaint(browser: Browser, base: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    // (The page sets data-tiles with the mark; a selector, as the page's CSP refuses evaluated strings.)
    await page.waitForSelector('#map[data-tiles]', { timeout: 60_000 });
    return await firstTilesMs(page);
  } finally {
    await context.close();
  }
}

async function runSuite(ctx: BenchContext): Promise<void> {
  if (!existsSync(CHROMIUM) || !existsSync(join(DIST, 'index.html'))) {
    ctx.log(`viewer: needs ${CHROMIUM} and a built viewer (npm run build:web); skipped`);
    return;
  }
  const demo = await writeDemoDataset(join(ctx.dataDir, 'demo'), { log: () => undefined });
  const env = {
    REGISTRY_PATH: demo.registryPath,
    COLORMAPS_PATH: demo.colormapsPath,
    STORAGE_BASE_URL: demo.storageDir,
    JOB_STORE: 'memory',
    QUEUE: 'inline',
    WORKER_POOL_SIZE: '1',
    LOG_LEVEL: 'silent',
    PORT: '0',
  };
  const browser = await launchChromium(CHROMIUM);
  try {
    const cold: number[] = [];
    const warm: number[] = [];
    const warmServer = await startServer(env);
    try {
      await firstPaint(browser, warmServer.base); // (warms the browser's GPU process and the server)
      // Alternated, so both see the same load.
      for (let i = 0; i < ctx.reps; i++) {
        const fresh = await startServer(env);
        try {
          cold.push(await firstPaint(browser, fresh.base));
        } finally {
          await fresh.close();
        }
        warm.push(await firstPaint(browser, warmServer.base));
      }
    } finally {
      await warmServer.close();
    }
    for (const [name, runs] of [
      ['first map paint, cold server, fresh browser context', cold],
      ['first map paint, warm server, fresh browser context', warm],
    ] as const) {
      const secs = runs.map((ms) => ms / 1000);
      ctx.report({
        name,
        unit: 's',
        ours: median(secs),
        reference: null,
        target: { max: 1.5 },
        spread: { ours: secs },
        note: `${runs.length} loads: ${runs.map((ms) => Math.round(ms)).join(', ')} ms`,
      });
    }
  } finally {
    await browser.close();
  }
}

export const suite: BenchSuite = {
  name: 'viewer',
  description: 'map viewer: navigation → first tiles on screen in Chromium (SwiftShader), cold and warm server',
  run: runSuite,
};
