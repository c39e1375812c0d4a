/**
 * The map viewer at `/`, end to end in a real browser: playwright-core driving Debian's Chromium (software WebGL:
 * SwiftShader) against the app serving the demo dataset on a free port. The page loads with no console error, shows
 * tiles, steps the timestep, draws a polygon and extracts its series, re-analyses without re-extracting, downloads
 * the CSV, restores its view from its URL, and shows the API's message when the API refuses an area or is gone.
 *
 * Prints the first map paint (navigation start → first tiles on screen). `VIEWER_SCREENSHOTS=<dir>` saves the
 * screenshots of the README (docs/viewer-*.png).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/app.js';
import { writeDemoDataset } from '../../src/cli/demo.js';
import { loadConfig } from '../../src/config/config.js';
import { createDeps } from '../../src/deps.js';
import { boxPolygon } from '../../src/geo/box.js';
import { firstTilesMs, launchChromium } from '../support/chromium.js';
import { CHROMIUM, HAS_CHROMIUM, IN_CI, requireTool } from '../support/env.js';
import { startApp } from '../support/http.js';
import { writePinnedTiny } from '../support/release.pinned.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(ROOT, 'web/dist/index.html'));
if (!built && IN_CI) throw new Error('web/dist is not built (npm run build:web), but CI=true requires the viewer test');
const run = requireTool('chromium', HAS_CHROMIUM()) && built;
if (!built) console.warn('NOTICE: web/dist is not built (`npm run build:web`); skipping the viewer test');

const SHOTS = process.env['VIEWER_SCREENSHOTS'];
/** Background of the map where there is no data (#map in web/src/style.css). */
const BACKGROUND = [0xe8, 0xec, 0xef];

let dir = '';
let app: FastifyInstance | undefined;
let base = '';
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
/** Every API call the page made: `METHOD path`. */
const calls: string[] = [];

/** Collects the page's console errors and uncaught exceptions into `errors`. */
function collectErrors(p: Page, errors: string[]): void {
  p.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  p.on('pageerror', (e) => errors.push(e.message));
}

function watch(p: Page): void {
  collectErrors(p, consoleErrors);
  p.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
}

/** A describe's teardown: its browser, then its server, then its temporary directory. */
async function closeAll(b: Browser | undefined, server: FastifyInstance | undefined, tmp: string): Promise<void> {
  await b?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

async function startServer(): Promise<void> {
  const env = {
    HOST: '127.0.0.1',
    PORT: '0',
    REGISTRY_PATH: join(dir, 'demo/metadata.yml'),
    COLORMAPS_PATH: join(dir, 'demo/colormaps.json'),
    STORAGE_BASE_URL: join(dir, 'demo/storage'),
    JOB_STORE: 'memory',
    QUEUE: 'inline',
    WORKER_POOL_SIZE: '1',
    LOG_LEVEL: 'warn',
  };
  app = await buildServer(await createDeps(loadConfig(env)), { logger: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

/**
 * Share of the map's pixels (from a screenshot: WebGL buffers are not readable after a frame) within the middle
 * third of its box that differ from the empty background by more than 10 (RGB distance; the palette's lightest
 * colour is 17 away from it, graticule lines are 1 px wide).
 */
async function paintedShare(): Promise<number> {
  const png = PNG.sync.read(await page.locator('#map').screenshot());
  let painted = 0;
  let all = 0;
  for (let y = Math.floor(png.height / 3); y < (2 * png.height) / 3; y++) {
    for (let x = Math.floor(png.width / 3); x < (2 * png.width) / 3; x++) {
      const i = (y * png.width + x) * 4;
      const d = Math.hypot(
        (png.data[i] ?? 0) - (BACKGROUND[0] ?? 0),
        (png.data[i + 1] ?? 0) - (BACKGROUND[1] ?? 0),
        (png.data[i + 2] ?? 0) - (BACKGROUND[2] ?? 0),
      );
      all++;
      if (d > 10) painted++;
    }
  }
  return painted / all;
}

async function shot(name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `viewer-${name}.png`) });
}

/** Moves the time slider to an index as a user's drag does (an `input` event). */
async function setSlider(index: number): Promise<void> {
  await page.locator('#time').evaluate((el, i) => {
    // (Runs in the page: the test's tsconfig has no DOM types.)
    const input = el as unknown as { value: string; dispatchEvent(e: unknown): void };
    input.value = String(i);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, index);
}

/** Runs of timesteps without a value, as the page names them (`a–b`, or `a` alone). */
function gapRanges(timesteps: string[], values: (number | null)[]): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= timesteps.length; i++) {
    const missing = i < timesteps.length && values[i] == null;
    if (missing && start < 0) start = i;
    if (!missing && start >= 0) {
      out.push(start === i - 1 ? (timesteps[start] ?? '') : `${timesteps[start]}–${timesteps[i - 1]}`);
      start = -1;
    }
  }
  return out;
}

/**
 * What the map shows, from the page's URL (`m=lon,lat,zoom`) and the map's size: `[west, south, east, north]`
 * degrees (web mercator, 512 px world at zoom 0, as MapLibre).
 */
async function visibleBounds(): Promise<{ bounds: number[]; zoom: number; height: number }> {
  const m = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('m') ?? '';
  const [lon = 0, lat = 0, zoom = 0] = m.split(',').map(Number);
  const box = await page.locator('#map').boundingBox();
  const width = box?.width ?? 0;
  const height = box?.height ?? 0;
  const world = 512 * 2 ** zoom;
  const mx = ((lon + 180) / 360) * world;
  const my = ((1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2) * world;
  const toLon = (x: number): number => (x / world) * 360 - 180;
  const toLat = (y: number): number => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / world))) * 180) / Math.PI;
  return {
    bounds: [toLon(mx - width / 2), toLat(my + height / 2), toLon(mx + width / 2), toLat(my - height / 2)],
    zoom,
    height,
  };
}

/** The job id in the page's URL. */
async function jobInUrl(): Promise<string> {
  return new URLSearchParams(new URL(page.url()).hash.slice(1)).get('job') ?? '';
}

/** Chromium with software WebGL (MapLibre needs WebGL) and nothing that reaches the network on its own. */
function launch(): Promise<Browser> {
  return launchChromium(CHROMIUM, [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    // (playwright-core gives every launch a fresh, temporary profile directory of its own.)
  ]);
}

describe.runIf(run)('map viewer in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skope-viewer-'));
    await writeDemoDataset(join(dir, 'demo'));
    await startServer();
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    watch(page);
  }, 120_000);

  afterAll(() => closeAll(browser, app, dir));

  it('loads with no console error and paints tiles of the last timestep', async () => {
    const tile = page.waitForResponse((r) => r.url().includes('/tiles/paleocar_demo/ppt_annual/2000/'));
    await page.goto(`${base}/`);
    expect((await tile).status()).toBe(200);
    await page.waitForSelector('#map[data-tiles*="/2000/"]');
    // (The map's `load` may come after its first tiles: it also waits for the worker's GeoJSON layers.)
    await expect.poll(() => page.evaluate('performance.getEntriesByName("skope:map-load").length')).toBe(1);
    const marks = await page.evaluate(() =>
      Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])),
    );
    console.log(
      `viewer: first map paint with tiles ${marks['skope:first-tiles']} ms after navigation ` +
        `(map loaded ${marks['skope:map-load']} ms, metadata ${marks['skope:metadata']} ms)`,
    );
    expect(await page.locator('#dataset').inputValue()).toBe('paleocar_demo');
    expect(await page.locator('#variable').inputValue()).toBe('ppt_annual');
    expect(await page.locator('#time-label').textContent()).toBe('2000');
    // The centre of the map is the demo region: coloured by the data, not the empty background.
    // The demo region fills the middle of the map (it opens on the dataset's extent).
    expect(await paintedShare()).toBeGreaterThan(0.9);
    // The legend shows the units and the range of the metadata (0–1000 mm).
    await expect.poll(() => page.locator('#legend').textContent()).toContain('(mm)');
    expect(await page.locator('.legend-ticks').textContent()).toContain('1,000');
    // The chronology gap of the demo is named on the slider.
    await expect.poll(() => page.locator('#gap-note').textContent()).toContain('0417–0589');
    // The page carried /metadata (no round trip before the first map).
    expect(calls).not.toContain('GET /metadata');
    expect(consoleErrors).toEqual([]);
  });

  it('loads drawing and chart code after the first paint, and all it loads is within 1.2 MB gzipped', async () => {
    const timing = async (): Promise<{ name: string; start: number }[]> =>
      (await page.evaluate(
        'performance.getEntriesByType("resource").map((r) => ({ name: new URL(r.name).pathname, start: r.startTime }))',
      )) as { name: string; start: number }[];
    await expect
      .poll(async () => (await timing()).filter((r) => /^\/viewer\/chunk-/.test(r.name)).length)
      .toBeGreaterThan(1);
    const firstTiles = await firstTilesMs(page);
    const dist = join(ROOT, 'web/dist');
    // The chunks the page does not name (modulepreload) are the dynamically imported ones: drawing and the chart.
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const lazy = readdirSync(dist).filter((f) => /^chunk-.*\.js$/.test(f) && !html.includes(f));
    expect(lazy.length).toBeGreaterThanOrEqual(2);
    const loaded = await timing();
    for (const f of lazy) {
      const r = loaded.find((x) => x.name === `/viewer/${f}`);
      expect([f, r !== undefined && r.start > firstTiles]).toEqual([f, true]);
    }
    // Everything the page asked for under /viewer/ and the page itself, as sent (gzip).
    const viewerFiles = [...new Set(calls.filter((c) => c.startsWith('GET /viewer/')).map((c) => c.slice(12)))];
    expect(viewerFiles.some((f) => f.startsWith('maplibre-gl-worker-'))).toBe(true);
    let total = gzipSync(await (await fetch(`${base}/`)).text()).length;
    for (const f of viewerFiles) total += statSync(join(dist, `${f}.gz`)).size;
    console.log(`viewer: / loads ${(total / 1000).toFixed(0)} kB gzipped (${viewerFiles.length + 1} files)`);
    expect(total).toBeLessThanOrEqual(1_200_000);
  });

  it('the slider changes the timestep of the tile URL', async () => {
    const tile = page.waitForRequest((r) => r.url().includes('/tiles/paleocar_demo/ppt_annual/1999/'));
    await page.locator('#time').focus();
    await page.keyboard.press('ArrowLeft');
    await tile;
    await page.waitForSelector('#map[data-tiles*="/1999/"]');
    expect(await page.locator('#time-label').textContent()).toBe('1999');
    // A gap year is said to be one.
    await setSlider(500 - 103);
    await expect.poll(() => page.locator('#no-data').textContent()).toBe('No data for 0500: a gap in the record.');
    await setSlider(1950 - 103);
    await page.waitForSelector('#map[data-tiles*="/1950/"]');
    expect(await page.locator('#no-data').isHidden()).toBe(true);
  });

  it('a drawn polygon is extracted: the chart has as many points as the API has values', async () => {
    await page.getByRole('button', { name: 'Polygon' }).click();
    const box = await page.locator('#map').boundingBox();
    if (!box) throw new Error('no map box');
    // Four corners around the middle of the map (inside the demo region), then the first again to close it.
    const at = (fx: number, fy: number): [number, number] => [box.x + box.width * fx, box.y + box.height * fy];
    for (const [fx, fy] of [
      [0.42, 0.4],
      [0.55, 0.38],
      [0.58, 0.55],
      [0.45, 0.6],
      [0.42, 0.4],
    ] as const) {
      await page.mouse.click(...at(fx, fy));
      await page.waitForTimeout(120);
    }
    await expect.poll(() => page.locator('#area-size').textContent()).toMatch(/^Area: 1 polygon, [\d,.]+ km²$/);
    expect(await page.locator('#area-download').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Extract' }).click();
    await page.waitForSelector('#chart[data-points]', { timeout: 60_000 });
    const job = await jobInUrl().then(async (j) => j || (await page.waitForTimeout(300), jobInUrl()));
    expect(job).toMatch(/^[0-9a-f-]{36}$/);
    const record = (await (await fetch(`${base}/timeseries/status/${job}`)).json()) as {
      result: { series: { timesteps: string[]; values: (number | null)[] }[] };
    };
    const values = record.result.series[0]?.values ?? [];
    expect(values.length).toBe(1898);
    expect(Number(await page.locator('#chart').getAttribute('data-points'))).toBe(values.length);
    expect(await page.locator('#chart .u-over').count()).toBe(1);
    expect(await page.locator('#summary').textContent()).toContain('Cells');
    // The gaps are now those of the extracted area: the timesteps where its series has no value.
    const series = record.result.series[0];
    const expectedGaps = gapRanges(series?.timesteps ?? [], values);
    expect(expectedGaps).toContain('0417–0589');
    await expect
      .poll(() => page.locator('#gap-note').textContent())
      .toBe(`Gaps (no data in the extracted area): ${expectedGaps.join(', ')}`);
    await shot('extract');
  });

  it('switching to a moving z-score calls analyze, not extract', async () => {
    const extractsBefore = calls.filter((c) => c === 'POST /timeseries/extract').length;
    const analyzed = page.waitForResponse((r) => r.url().endsWith('/timeseries/analyze') && r.status() === 200);
    await page.locator('#transform').selectOption('moving');
    const body = (await (await analyzed).request().postDataJSON()) as { transform: { type: string; width: number } };
    expect(body.transform).toEqual({ type: 'ZScoreMovingInterval', width: 30 });
    await expect.poll(() => page.locator('#summary').textContent()).toContain('moving z-score');
    expect(calls.filter((c) => c === 'POST /timeseries/extract').length).toBe(extractsBefore);
    expect(Number(await page.locator('#chart').getAttribute('data-points'))).toBe(1898);
    await page.locator('#smoother').selectOption('centered');
    await expect.poll(() => page.locator('#summary').textContent()).toContain('centered MA 11');
    expect(calls.filter((c) => c === 'POST /timeseries/extract').length).toBe(extractsBefore);
    await shot('zscore');
  });

  it('the CSV download has one row per timestep', async () => {
    const download = page.waitForEvent('download');
    await page.locator('#csv').click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestep,series');
    expect(lines.length - 1).toBe(1898);
    expect(lines[1]?.startsWith('0103,')).toBe(true);
  });

  it('downloads the series as shown (the analyze answer) as CSV and JSON, besides the raw export', async () => {
    // The API's own answer for what the page shows (moving z-score 30, centred moving average 11).
    const analyzed = (await (
      await fetch(`${base}/timeseries/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          extraction_id: await jobInUrl(),
          zonal_statistic: 'mean',
          transform: { type: 'ZScoreMovingInterval', width: 30 },
          requested_series_options: [
            { name: 'series', smoother: { type: 'MovingAverageSmoother', method: 'centered', width: 11 } },
          ],
        }),
      })
    ).json()) as { series: { timesteps: string[]; values: (number | null)[] }[] };
    const api = analyzed.series[0];
    expect(api?.values.length).toBe(1898);
    const csvDownload = page.waitForEvent('download');
    await page.locator('#csv-shown').click();
    const csv = await csvDownload;
    expect(csv.suggestedFilename()).toMatch(/^paleocar_demo_ppt_annual_.*\.csv$/);
    const lines = readFileSync(await csv.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('timestep,series');
    expect(lines.slice(1)).toEqual(api?.timesteps.map((t, i) => `${t},${api.values[i] ?? ''}`));
    const jsonDownload = page.waitForEvent('download');
    await page.locator('#json-shown').click();
    const json = JSON.parse(readFileSync(await (await jsonDownload).path(), 'utf8')) as typeof analyzed;
    expect(json.series[0]?.values).toEqual(api?.values);
  });

  it('reloading the page’s URL restores the same view', async () => {
    await page.waitForTimeout(400); // the URL is written 150 ms after the last change
    const url = page.url();
    const hash = new URLSearchParams(new URL(url).hash.slice(1));
    expect(hash.get('t')).toBe('1950');
    expect(hash.get('tf')).toBe('moving');
    const again = await context.newPage();
    watch(again);
    const extractsBefore = calls.filter((c) => c === 'POST /timeseries/extract').length;
    await again.goto(url);
    await again.waitForSelector('#map[data-tiles*="/1950/"]');
    await again.waitForSelector('#chart[data-points="1898"]');
    expect(await again.locator('#time-label').textContent()).toBe('1950');
    expect(await again.locator('#transform').inputValue()).toBe('moving');
    expect(await again.locator('#smoother').inputValue()).toBe('centered');
    expect(await again.locator('#area-size').textContent()).toBe(await page.locator('#area-size').textContent());
    const view = (p: Page): string | null => new URLSearchParams(new URL(p.url()).hash.slice(1)).get('m');
    await expect.poll(() => view(again)).toBe(view(page));
    // The stored extraction was re-analysed, not extracted again.
    expect(calls.filter((c) => c === 'POST /timeseries/extract').length).toBe(extractsBefore);
    await again.close();
    expect(consoleErrors).toEqual([]);
  });

  it('when the results open, the map is resized and moved so the area stays in view', async () => {
    // A 1° box, fitted to the whole map's height on upload: the results panel takes part of that room.
    const [w, s, e, n] = [-110, 37, -109, 38];
    await page.locator('#upload').setInputFiles({
      name: 'box.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(boxPolygon(w, s, e, n))),
    });
    await expect.poll(() => page.locator('#results').isHidden()).toBe(true);
    await page.waitForTimeout(400); // (the URL is written 150 ms after the map stops)
    const before = await visibleBounds();
    const inView = (b: number[]): boolean =>
      (b[0] ?? 0) <= w && (b[1] ?? 0) <= s && (b[2] ?? 0) >= e && (b[3] ?? 0) >= n;
    expect(inView(before.bounds)).toBe(true);
    await page.getByRole('button', { name: 'Extract' }).click();
    await page.waitForSelector('#chart[data-points="1898"]', { timeout: 60_000 });
    await expect.poll(async () => inView((await visibleBounds()).bounds)).toBe(true);
    const after = await visibleBounds();
    // The map is shorter now, and had to zoom out to keep the box in view.
    expect(after.height).toBeLessThan(before.height - 100);
    expect(after.zoom).toBeLessThan(before.zoom);
  });

  it('an area the API refuses shows the API’s message', async () => {
    // A bow-tie: the API's validity check answers 422 invalid_geometry.
    const bowTie = {
      type: 'Polygon',
      coordinates: [
        [
          [-110, 37],
          [-109, 38],
          [-109, 37],
          [-110, 38],
          [-110, 37],
        ],
      ],
    };
    await page.locator('#upload').setInputFiles({
      name: 'bowtie.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(bowTie)),
    });
    await expect.poll(() => page.locator('#area-size').textContent()).toContain('1 polygon');
    const refused = page.waitForResponse((r) => r.url().endsWith('/timeseries/extract'));
    await page.getByRole('button', { name: 'Extract' }).click();
    expect((await refused).status()).toBe(422);
    await expect
      .poll(() => page.locator('#message-text').textContent())
      .toMatch(/^Selected area is not a valid polygon: /);
    await shot('error');
  });

  it('is readable on a narrow window: one column, nothing wider than the window', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await page.waitForTimeout(300);
    // (An expression string: the test's tsconfig has no DOM types.)
    const widths = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as number[];
    expect(widths[0]).toBeLessThanOrEqual(widths[1] ?? 0);
    const map = await page.locator('#map').boundingBox();
    expect(map?.width).toBeGreaterThan(350);
    expect(map?.height).toBeGreaterThan(300);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'viewer-narrow.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('a server that is gone shows a message, not a blank page', async () => {
    await app?.close();
    app = undefined;
    await page.locator('#upload').setInputFiles({
      name: 'box.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(boxPolygon(-110, 37, -109, 38))),
    });
    await page.getByRole('button', { name: 'Extract' }).click();
    // (The map's failing tile requests may add a line of their own.)
    await expect
      .poll(() => page.locator('#message-text').textContent())
      .toMatch(/^The server did not answer\. Is it running\?$/m);
    expect(await page.locator('#panel').isVisible()).toBe(true);
  });
});

describe.runIf(run)('map viewer on a pinned release (/metadata schema 1.x), used with the keyboard', () => {
  let pinnedDir = '';
  let pinned: FastifyInstance | undefined;
  let pinnedBase = '';
  let b: Browser | undefined;

  beforeAll(async () => {
    pinnedDir = mkdtempSync(join(tmpdir(), 'skope-viewer-pinned-'));
    // The tiny release: dataset ds, variable v, 0100–0104, lon −110…−109.6, lat 36…36.3, display viridis 0…50.
    const t = await writePinnedTiny(pinnedDir);
    ({ app: pinned } = await startApp({ ...t.env, WORKER_POOL_SIZE: '1', QUEUE: 'inline' }));
    pinnedBase = await pinned.listen({ host: '127.0.0.1', port: 0 });
    b = await launch();
  }, 120_000);

  afterAll(() => closeAll(b, pinned, pinnedDir));

  it('tiles without a style query, the legend from display, an extraction started from the keyboard', async () => {
    if (!b) throw new Error('no browser');
    const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    collectErrors(p, errors);
    const tile = p.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/tiles/ds/v/0104/'));
    await p.goto(`${pinnedBase}/`);
    const answered = await tile;
    expect(answered.status()).toBe(200);
    expect(new URL(answered.url()).search).toBe('');
    await p.waitForSelector('#map[data-tiles="/tiles/ds/v/0104/{z}/{x}/{y}"]');
    expect(await p.locator('#time').getAttribute('max')).toBe('4');
    expect(await p.locator('.legend-ticks').textContent()).toBe('012.52537.550');
    expect(await p.locator('#legend').textContent()).toContain("The values' span.");
    // Keyboard only: the visible map (clipped to the dataset) as the area, then Extract.
    await p.locator('#area-view').focus();
    await p.keyboard.press('Enter');
    await expect.poll(() => p.locator('#area-size').textContent()).toMatch(/^Area: 1 polygon, /);
    for (let i = 0; i < 8 && (await p.evaluate('document.activeElement.id')) !== 'extract'; i++) {
      await p.keyboard.press('Tab');
    }
    expect(await p.evaluate('document.activeElement.id')).toBe('extract');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#chart[data-points="5"]', { timeout: 60_000 });
    expect(await p.locator('#summary').textContent()).toContain('0100–0104');
    expect(errors).toEqual([]);
    await p.close();
  });
});
