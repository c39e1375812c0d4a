/**
 * Chromium for the map viewer's browser test and benchmark (test/browser/viewer.test.ts, bench/viewer.bench.ts):
 * one launch and one reading of the page's marks, so both measure the same thing.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium at `executablePath` with software WebGL (SwiftShader: MapLibre needs WebGL), then `extraArgs`.
 * (The path is passed in rather than read from env.ts: importing env.ts probes for Python, which the bench need not.)
 */
export function launchChromium(executablePath: string, extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--use-gl=angle',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      ...extraArgs,
    ],
  });
}

/** ms from navigation start to the page's `skope:first-tiles` mark (the first timestep's tiles on screen). */
export async function firstTilesMs(page: Page): Promise<number> {
  // (An expression string: the test's tsconfig has no DOM types.)
  return (await page.evaluate('performance.getEntriesByName("skope:first-tiles")[0].startTime')) as number;
}
