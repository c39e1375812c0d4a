/**
 * A release built from sources written by rasterio, checked by independent tools: GDAL's COG validator (full
 * check) on every COG, rasterio reading every band back equal to the source, numpy's statistics equal to the
 * STAC's, every STAC file and document valid against the release-contract schemas; then `skope release verify`.
 * Two shapes: 40 × 30 cells × 250 timesteps in chunks of 100 with DEFLATE (no overviews), and 600 × 400 × 12 in
 * chunks of 5 with ZSTD level 9 (internal overviews down to one block).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_GDAL, HAS_RASTERIO, PYTHON, requireShared, requireTool } from '../../../test/support/env.js';
import { loadReleaseValidators } from '../../../test/support/release.schemas.js';
import { stacProblems } from '../../../test/support/release.stac.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { runReleaseCommand } from '../../cli/release.js';
import { createSourceResolver } from '../../storage/resolver.js';
import { buildReleases } from './build.js';

const SCRIPTS = new URL('../../../test/support/', import.meta.url).pathname;
const ready = requireTool('rasterio', HAS_RASTERIO()) && requireTool('gdal', HAS_GDAL());
const tmp = useTempDir('skope-release-xc-');
const ID = 'ds-r-2026.10.07';

function capture(): { io: Parameters<typeof runReleaseCommand>[2]; out: () => string } {
  let text = '';
  return {
    io: { stdout: { write: (t: string) => (text += t) }, stderr: { write: () => true } },
    out: () => text,
  };
}

describe.runIf(ready).each([
  [40, 30, 250, 100, 'DEFLATE'],
  [600, 400, 12, 5, 'ZSTD'],
])('a %i × %i × %i release (chunk %i, %s)', (width, height, bands, chunk, compress) => {
  const base = (): string => join(tmp(), `${width}x${height}`);
  it('builds from rasterio-written sources (pixel- and band-interleaved, tiled and striped, DEFLATE and LZW)', async () => {
    execFileSync(PYTHON, [
      join(SCRIPTS, 'release.source.py'),
      join(base(), 'datasets'),
      'ds',
      ...[width, height, bands, chunk].map(String),
      ...(compress === 'ZSTD' ? ['--zstd'] : []),
    ]);
    const resolver = createSourceResolver();
    const [o] = await buildReleases({
      datasetsDir: join(base(), 'datasets'),
      releaseRoot: join(base(), 'releases'),
      releases: new Map([['ds', ID]]),
      resolver,
      revision: 'test',
      jobs: 2,
    });
    await resolver.close();
    expect(o?.findings).toEqual([]);
    expect(o?.ok).toBe(true);
  });

  it('GDAL validates every COG; rasterio reads every band back equal; numpy and embedded statistics equal the STAC', () => {
    const report = JSON.parse(
      execFileSync(
        PYTHON,
        [join(SCRIPTS, 'release.check.py'), join(base(), 'datasets', 'ds'), join(base(), 'releases', ID)],
        {
          encoding: 'utf8',
        },
      ),
    ) as Record<'validator' | 'values' | 'stats' | 'embedded' | 'descriptions', unknown[]> & {
      cogs: number;
      bands: number;
    };
    expect(report.cogs).toBe(2 * Math.ceil(bands / chunk));
    expect(report.bands).toBe(2 * bands);
    expect(report.validator).toEqual([]);
    expect(report.values).toEqual([]);
    expect(report.stats).toEqual([]);
    expect(report.embedded).toEqual([]);
    expect(report.descriptions).toEqual([]);
  });

  it('has internal overviews down to one block when the grid is larger than one', () => {
    const info = JSON.parse(
      execFileSync(
        'gdalinfo',
        [
          '-json',
          join(base(), 'releases', ID, 'cogs', 'ppt', `ds--0100--${String(100 + chunk - 1).padStart(4, '0')}.tif`),
        ],
        {
          encoding: 'utf8',
        },
      ),
    ) as {
      bands: { overviews?: { size: number[] }[]; block: number[] }[];
      metadata: Record<string, Record<string, string>>;
    };
    const b = info.bands[0];
    const last = b?.overviews?.at(-1)?.size ?? [width, height];
    expect(Math.max(...last)).toBeLessThanOrEqual(256);
    expect(b?.overviews?.length ?? 0).toBe(
      width > 256 || height > 256 ? Math.ceil(Math.log2(Math.max(width, height) / 256)) : 0,
    );
    expect(info.metadata['IMAGE_STRUCTURE']?.['INTERLEAVE']).toBe('BAND');
    expect(info.metadata['IMAGE_STRUCTURE']?.['COMPRESSION']).toBe(compress);
  });

  it.runIf(requireShared())('every STAC file and document validates against the release-contract schemas', () => {
    const v = loadReleaseValidators();
    if (v) expect(stacProblems(v, join(base(), 'releases', ID))).toEqual([]);
  });

  it('skope release verify: one line per release, full and quick, text and JSON', async () => {
    const dir = join(base(), 'releases', ID);
    const full = capture();
    expect(await runReleaseCommand(['verify', dir, '--json'], {}, full.io)).toBe(0);
    const line = JSON.parse(full.out()) as Record<string, unknown>;
    expect(line).toMatchObject({ release_id: ID, dataset: 'ds', verification: 'full', result: 'passed', problems: [] });
    const quick = capture();
    expect(await runReleaseCommand(['verify', dir, join(base(), 'nope'), '--quick'], {}, quick.io)).toBe(1);
    const lines = quick.out().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^PASS ${ID} \\(quick: ${2 * Math.ceil(bands / chunk) + Math.ceil(bands / chunk) + 2} files`),
    );
    expect(lines[1]).toMatch(/^FAIL nope .*manifest_missing/);
  });
});
