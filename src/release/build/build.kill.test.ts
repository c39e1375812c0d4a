/**
 * Crash safety with a real child process: `skope release build` (test/support/release.child.ts) is SIGKILLed at seeded random moments (after a
 * random number of its progress lines, plus a random delay) — during the checksums, the COGs, the STAC or the
 * manifest. After every kill nothing exists under ROOT/<release-id>. A rerun then starts clean (removing the
 * staging directories the killed builds left), succeeds, and writes files byte-identical to an uninterrupted build.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng as mulberry32 } from '../../../test/support/crosscheck.shapes.js';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../../test/support/env.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { createSourceResolver } from '../../storage/resolver.js';
import { verifyRelease } from '../format/verify.js';
import { buildReleases } from './build.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const ready = requireTool('rasterio', HAS_RASTERIO());
const tmp = useTempDir('skope-release-kill-');
const ID = 'ds-r-2026.10.07';

/** Run the CLI build in a child; kill it with SIGKILL after `lines` stderr lines and `delayMs`, unless it ends first. */
function runChild(
  root: string,
  kill: { lines: number; delayMs: number } | null,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    // One process (node with the tsx loader), so SIGKILL hits the build itself, not a launcher.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/support/release.child.ts',
        'build',
        '--datasets',
        join(tmp(), 'datasets'),
        '--release-root',
        root,
        '--release',
        `ds=${ID}`,
        '--revision',
        'test',
        '--jobs',
        '2',
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let seen = 0;
    let armed = false;
    const arm = (): void => {
      if (armed || kill === null) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
    };
    if (kill !== null && kill.lines === 0) arm();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      seen = stderr.split('\n').length - 1;
      if (kill !== null && seen >= kill.lines) arm();
    });
    child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function files(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true }))
    if (e.isDirectory()) out.push(...(await files(dir, rel ? `${rel}/${e.name}` : e.name)));
    else out.push(rel ? `${rel}/${e.name}` : e.name);
  return out.sort();
}

describe.runIf(ready)('kill -9 during a build, then rerun', () => {
  it(
    'leaves nothing under ROOT/<release-id>; the rerun starts clean and equals an uninterrupted build',
    { timeout: 180_000 },
    async () => {
      execFileSync(PYTHON, [
        join(REPO, 'test/support/release.source.py'),
        join(tmp(), 'datasets'),
        'ds',
        '60',
        '45',
        '250',
        '25',
      ]);
      const resolver = createSourceResolver();
      const [reference] = await buildReleases({
        datasetsDir: join(tmp(), 'datasets'),
        releaseRoot: join(tmp(), 'reference'),
        releases: new Map([['ds', ID]]),
        resolver,
        revision: 'test',
        jobs: 2,
      });
      await resolver.close();
      expect(reference?.ok).toBe(true);

      // 2 stage lines + 20 COG lines + stac + manifest: kill anywhere from the start to just after "manifest".
      const rand = mulberry32(20_261_206);
      const root = join(tmp(), 'releases');
      const kills = [
        { lines: 0, delayMs: Math.floor(rand() * 1500) },
        { lines: 2 + Math.floor(rand() * 20), delayMs: Math.floor(rand() * 50) },
        { lines: 2 + Math.floor(rand() * 20), delayMs: Math.floor(rand() * 50) },
        { lines: 23, delayMs: 0 },
      ];
      let killed = 0;
      for (const kill of kills) {
        const r = await runChild(root, kill);
        if (r.signal === 'SIGKILL') killed++;
        else expect(r.code, r.stderr).toBe(0); // the build won the race: then it is complete
        const target = join(root, ID);
        if (r.signal === 'SIGKILL')
          expect(existsSync(target), `killed after ${kill.lines} lines: ${r.stderr}`).toBe(false);
        else expect((await verifyRelease(target)).ok).toBe(true);
        if (r.signal !== 'SIGKILL') return; // complete already: nothing left to rerun
      }
      expect(killed).toBe(kills.length);
      expect((await readdir(join(root, '.staging'))).length).toBeGreaterThan(0); // the killed builds' leftovers

      const rerun = await runChild(root, null);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(await readdir(join(root, '.staging'))).toEqual([]);
      const v = await verifyRelease(join(root, ID));
      expect(v.problems).toEqual([]);
      const expected = await files(join(tmp(), 'reference', ID));
      expect(await files(join(root, ID))).toEqual(expected);
      for (const f of expected)
        expect(readFileSync(join(root, ID, f)).equals(readFileSync(join(tmp(), 'reference', ID, f))), f).toBe(true);
    },
  );
});
