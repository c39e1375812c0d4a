/**
 * Approved narrowings over the tiny committed sources: `a` (uint16, nodata 65535, values 0–83) published as uint8
 * with nodata 255 — rasterio reads every band back equal to the source, nodata mapped; and the refusals: a valid
 * value equal to the new nodata, a fraction into an integer type, a narrowing without a nodata for the source's
 * nodata cells, a different type without an approval. A refused build leaves nothing under ROOT/<release-id>.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_RASTERIO, PYTHON, requireTool } from '../../../test/support/env.js';
import { sourceManifest, tinySource, writeDataset } from '../../../test/support/release.datasets.js';
import { useTempDir } from '../../../test/support/temp.dir.js';
import { createSourceResolver } from '../../storage/resolver.js';
import { preflightDataset } from '../preflight.js';
import { buildReleases } from './build.js';
import type { BuildOutcome } from './build.js';

const tmp = useTempDir('skope-narrow-');
const resolver = createSourceResolver();
const ID = 'ds-r-2026.10.07';
const APPROVAL = `
      narrowing:
        approved_by: "Data steward"
        evidence: "Values are 0–83 mm; scanned."`;
let n = 0;

/** The tiny manifest with `a`'s (or `b`'s) encoding rewritten. */
function manifest(variable: 'a' | 'b', dataType: string, nodata: string, approved: boolean): string {
  const base = sourceManifest();
  const [head, tail] = base.split(`  - id: "${variable === 'a' ? 'b' : 'zz'}"`);
  const from =
    variable === 'a' ? 'data_type: "uint16"\n      nodata: 65535' : 'data_type: "float32"\n      nodata: -9999';
  const to = `data_type: "${dataType}"\n      nodata: ${nodata}`;
  const predictor = variable === 'b' && !dataType.startsWith('float') ? 'predictor: 2' : null;
  let edited = (head ?? '').replace(from, to);
  if (variable === 'b') edited = base.replace(from, to);
  if (predictor) edited = edited.replace(/(id: "b"[\s\S]*?)predictor: 3/, `$1${predictor}`);
  const withApproval = approved
    ? edited.replace(new RegExp(`(id: "${variable}"[\\s\\S]*?overview_resampling: "AVERAGE")`), `$1${APPROVAL}`)
    : edited;
  return variable === 'a' && tail !== undefined ? `${withApproval}  - id: "b"${tail}` : withApproval;
}

async function build(text: string): Promise<{ outcome: BuildOutcome; root: string; datasets: string }> {
  const base = join(tmp(), `n${n++}`);
  const datasets = await writeDataset(join(base, 'datasets'), { manifest: text });
  const root = join(base, 'releases');
  const [outcome] = await buildReleases({
    datasetsDir: datasets,
    releaseRoot: root,
    releases: new Map([['ds', ID]]),
    resolver,
    revision: 'test',
    jobs: 2,
  });
  return { outcome: outcome as BuildOutcome, root, datasets };
}
const errors = (o: BuildOutcome): string[] => o.findings.filter((f) => f.severity === 'error').map((f) => f.id);

describe('approved narrowing', () => {
  it('uint16 → uint8 (nodata 65535 → 255): built, and rasterio reads the source values back', async () => {
    const { outcome, root } = await build(manifest('a', 'uint8', '255', true));
    expect(outcome.findings).toEqual([]);
    expect(outcome.ok).toBe(true);
    if (!requireTool('rasterio', HAS_RASTERIO())) return;
    // rasterio: every band of every chunk of `a` equals the source's band with 65535 → 255, dtype uint8.
    const script = `
import json, sys, rasterio, numpy as np
src = rasterio.open(sys.argv[1]).read()
out = []
for path, first in ((sys.argv[2], 0), (sys.argv[3], 2), (sys.argv[4], 4)):
    with rasterio.open(path) as d:
        a = d.read()
        want = src[first:first + d.count].copy()
        want[want == 65535] = 255
        out.append([d.dtypes[0], d.nodata, bool(np.array_equal(a, want.astype(np.uint8)))])
print(json.dumps(out))
`;
    const cogs = ['ds--0100--0101', 'ds--0102--0103', 'ds--0104--0104'].map((c) =>
      join(root, ID, 'cogs', 'a', `${c}.tif`),
    );
    const seen = JSON.parse(execFileSync(PYTHON, ['-c', script, tinySource('u16.tif'), ...cogs]).toString()) as unknown;
    expect(seen).toEqual([
      ['uint8', 255, true],
      ['uint8', 255, true],
      ['uint8', 255, true],
    ]);
  });

  it('refuses (COG-016) a valid value equal to the new nodata; nothing is published', async () => {
    // `a` holds the value 5.
    const { outcome, root } = await build(manifest('a', 'uint8', '5', true));
    expect(errors(outcome)).toEqual(['COG-016']);
    expect(outcome.findings[0]?.message).toMatch(/valid value 5 equals the new nodata 5/);
    expect(existsSync(join(root, ID))).toBe(false);
  });

  it('refuses (COG-016) float32 → int16 when a value has a fraction', async () => {
    const { outcome, root } = await build(manifest('b', 'int16', '-9999', true));
    expect(errors(outcome)).toEqual(['COG-016']);
    expect(outcome.findings[0]?.message).toMatch(/is not an integer/);
    expect(existsSync(join(root, ID))).toBe(false);
  });

  it('preflight: a different type without approval, and a narrowing without nodata, are COG-016 errors', async () => {
    for (const text of [manifest('a', 'uint8', '255', false), manifest('a', 'uint8', 'null', true)]) {
      const datasets = await writeDataset(join(tmp(), `p${n++}`), { manifest: text });
      const r = await preflightDataset(datasets, 'ds', { resolver });
      expect([...new Set(r.findings.filter((f) => f.severity === 'error').map((f) => f.id))]).toEqual(['COG-016']);
    }
  });
});
