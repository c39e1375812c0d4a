/** Preflight: the tiny dataset passes; every rule has a failing case that names its finding id. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CURATED, sourceManifest, tinySource, writeDataset } from '../../test/support/release.datasets.js';
import { useTempDir } from '../../test/support/temp.dir.js';
import { createSourceResolver } from '../storage/resolver.js';
import { preflightDataset } from './preflight.js';

const tmp = useTempDir('skope-preflight-');
const resolver = createSourceResolver();
let n = 0;

async function run(
  docs: Parameters<typeof writeDataset>[1] = {},
  options: { releaseId?: string; dataset?: string } = {},
): Promise<Awaited<ReturnType<typeof preflightDataset>>> {
  const root = await writeDataset(join(tmp(), `d${n++}`), docs);
  return preflightDataset(
    root,
    options.dataset ?? docs.name ?? 'ds',
    { resolver },
    options.releaseId ? { releaseId: options.releaseId } : {},
  );
}
const ids = (r: Awaited<ReturnType<typeof run>>, severity = 'error'): string[] =>
  [...new Set(r.findings.filter((f) => f.severity === severity).map((f) => f.id))].sort();
const M = sourceManifest();
const LEDGER = (digest: string, extra = ''): string =>
  `releases:\n  - release_id: "ds-r-2026.10.07"\n    declaration_digest: "${digest}"\n${extra}`;

describe('preflight', () => {
  it('passes the tiny dataset with its digest and no finding', async () => {
    const r = await run({}, { releaseId: 'ds-r-2026.10.07' });
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.plan?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(r.plan?.sources.get('a')?.publish).toEqual([1, 2, 3, 4, 5]);
    expect(r.plan?.layout?.chunkCount).toBe(3);
  });

  it.each([
    ['DOC-001', { curated: 'id: [unclosed' }],
    ['DOC-001', { manifest: `${M}extra: 1\n` }],
    ['ORG-007', { curated: CURATED.replace('id: "ds"', 'id: "other"') }],
    ['VAL-003', { curated: CURATED.replace(/ {2}- id: "b"[\s\S]*$/, '') }],
    ['OBS-004', { curated: CURATED.replace('end: "0104"', 'end: "0099"') }],
    ['REL-004', { manifest: M.replace('  chunk_size: 2\n', '') }],
    ['OBS-007', { curated: CURATED.replace('first: "0102"', 'first: "0099"') }],
    ['ENC-001', { manifest: M.replace('bands: "descriptions"', 'band: 1') }],
    ['ENC-002', { manifest: M.replace('      predictor: 2', '      scale: 0\n      predictor: 2') }],
    ['ENC-003', { manifest: M.replace('nodata: 65535', 'nodata: 70000') }],
    ['ENC-004', { curated: CURATED.replace('    unit: "mm"', '    unit: "mm"\n    categories:\n      1: "one"') }],
    [
      'ENC-005',
      {
        curated: CURATED.replace('    unit: "mm"', '    unit: "mm"\n    categories:\n      65535: "none"'),
        manifest: M.replace('overview_resampling: "AVERAGE"', 'overview_resampling: "NEAREST"'),
      },
    ],
    ['ENC-006', { manifest: M.replace('predictor: 2', 'predictor: 3') }],
    ['ENC-007', { manifest: M.replace('interleave: "BAND"', 'interleave: "TILE"') }],
    ['SRC-001', { manifest: sourceManifest(tinySource('u16.tif'), tinySource('make.py')) }],
    ['SRC-002', { manifest: M.replace('      predictor: 2', '      scale: 2\n      predictor: 2') }],
    ['COG-016', { manifest: M.replace('data_type: "uint16"', 'data_type: "int16"') }],
    ['OBS-005', { curated: CURATED.replace('end: "0104"', 'end: "0105"') }],
    ['OBS-006', { curated: CURATED.replace('origin: "0100"', 'origin: "0101"').replace('end: "0104"', 'end: "0105"') }],
    [
      'GRID-001',
      {
        manifest: sourceManifest(tinySource('u16.tif'), tinySource('shifted.tif')).replace(
          /data_type: "float32"\n {6}nodata: -9999\n {6}predictor: 3/,
          'data_type: "uint16"\n      nodata: 65535\n      predictor: 2',
        ),
      },
    ],
    ['GRID-002', { manifest: sourceManifest(tinySource('nocrs.tif'), tinySource('f32.tif')) }],
  ] as const)('%s', async (id, docs) => {
    const r = await run(docs);
    expect(r.ok).toBe(false);
    expect(ids(r)).toContain(id);
    for (const f of r.findings) expect(f.message.length).toBeGreaterThan(0);
  });

  it.each(['BILINEAR', 'CUBIC', 'LANCZOS'])(
    '%s overviews pass (the writer builds them; ENC-007 no more)',
    async (r) => {
      const res = await run({ manifest: M.replace('overview_resampling: "AVERAGE"', `overview_resampling: "${r}"`) });
      expect(ids(res)).toEqual([]);
      expect(res.ok).toBe(true);
    },
  );

  it('a categorical variable with BILINEAR overviews is still refused (ENC-004: MODE or NEAREST only)', async () => {
    const r = await run({
      curated: CURATED.replace('    unit: "mm"', '    unit: "mm"\n    categories:\n      1: "one"'),
      manifest: M.replace('overview_resampling: "AVERAGE"', 'overview_resampling: "BILINEAR"'),
    });
    expect(ids(r)).toContain('ENC-004');
    expect(ids(r)).not.toContain('ENC-007');
  });

  it('SRC-003 (warning): no checksum declared; the dataset still passes without a digest', async () => {
    const r = await run({ manifest: M.replace(/ {6}checksum: "[0-9a-f]+"\n/g, '') });
    expect(ids(r, 'warning')).toEqual(['SRC-003']);
    expect(r.ok).toBe(true);
    expect(r.plan?.digest).toBeNull();
  });

  it('REL-006: the date must be that of release.created, the sequence the next one', async () => {
    expect(ids(await run({}, { releaseId: 'ds-r-2026.10.08' }))).toEqual(['REL-006']);
    expect(ids(await run({}, { releaseId: 'ds-r-2026.10.07-2' }))).toEqual(['REL-006']);
  });

  it('MAN-011: an id of the ledger with another digest', async () => {
    expect(ids(await run({ ledger: LEDGER('e'.repeat(64)) }, { releaseId: 'ds-r-2026.10.07' }))).toEqual(['MAN-011']);
  });

  it('REL-008: a withdrawn id', async () => {
    const first = await run({}, { releaseId: 'ds-r-2026.10.07' });
    const digest = first.plan?.digest ?? '';
    const r = await run({ ledger: LEDGER(digest, '    withdrawn: "bad bytes"\n') }, { releaseId: 'ds-r-2026.10.07' });
    expect(ids(r)).toEqual(['REL-008']);
  });

  it('REL-009: a release id for a dataset that does not exist', async () => {
    expect(ids(await run({}, { releaseId: 'nope-r-2026.10.07', dataset: 'nope' }))).toEqual(['REL-009']);
  });

  it('reports every finding at once', async () => {
    const r = await run({
      curated: CURATED.replace('id: "ds"', 'id: "other"'),
      manifest: M.replace('predictor: 2', 'predictor: 3').replace('nodata: -9999', 'nodata: -1'),
    });
    expect(ids(r)).toEqual(['COG-016', 'ENC-006', 'ORG-007']);
  });
});
