/** The demo's pin, display files and settings: a release they name passes every start-up check and is served. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { openReleaseDatasets, verifyPin } from '../release/serve/open.js';
import { createSourceResolver } from '../storage/resolver.js';
import { writeCopiedRelease } from '../../test/support/release.copy.js';
import { tinyOverview, writeTinyRelease } from '../../test/support/release.tiny.js';
import { SKOPE_PRECIP_STOPS } from './demo.js';
import { writeDemoServing } from './demo.serve.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('skope demo: serving files', () => {
  it('pin, display files and serve.yml make the demo release pass every check, with the display ranges', async () => {
    const base = await mkdtemp(join(tmpdir(), 'skope-demo-serve-'));
    made.push(base);
    // A stand-in for the demo release: paleocar_demo's two variables over the tiny COGs.
    const tiny = await writeTinyRelease(join(base, 'tiny'));
    const o = tinyOverview();
    const overview = {
      ...o,
      release_id: 'paleocar_demo-r-2026.11.27',
      dataset: { ...o.dataset, id: 'paleocar_demo' },
      variables: { gdd_annual: o.variables['v']!, ppt_annual: o.variables['v']! },
    };
    const cogs = {
      'paleocar_demo--0100--0101': join(tiny, 'cogs/v/ds--0100--0101.tif'),
      'paleocar_demo--0102--0103': join(tiny, 'cogs/v/ds--0102--0103.tif'),
      'paleocar_demo--0104--0104': join(tiny, 'cogs/v/ds--0104--0104.tif'),
    };
    const { dir: releaseDir } = await writeCopiedRelease(join(base, 'demo', 'storage', 'releases'), overview, [
      { id: 'gdd_annual', entry: overview.variables.gdd_annual, cogs },
      { id: 'ppt_annual', entry: overview.variables.ppt_annual, cogs },
    ]);
    const { settingsPath } = await writeDemoServing(join(base, 'demo'), releaseDir, SKOPE_PRECIP_STOPS);
    const config = loadConfig({ SETTINGS_PATH: settingsPath });
    const settings = { ...config, releasePinPath: config.releasePinPath as string };
    expect((await verifyPin(settings, createSourceResolver())).refusals).toEqual([]);
    const { metadata } = await openReleaseDatasets(settings, createSourceResolver());
    expect(metadata.datasets[0]?.variables.map((v) => [v.id, v.display.palette, v.display.range])).toEqual([
      ['ppt_annual', 'skope-precip', [100, 1100]],
      ['gdd_annual', 'viridis', [1000, 5200]],
    ]);
    expect(metadata.datasets[0]?.variables[1]?.display.colors).toHaveLength(256);
  });
});
