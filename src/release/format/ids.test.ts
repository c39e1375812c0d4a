/** Release ids: the same-day sequence and the ledger rules. */
import { describe, expect, it } from 'vitest';
import { checkReleaseId, nextReleaseId, parseReleaseId, rolesForPath } from './ids.js';

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const created = '2026-10-07T15:10:00Z';

describe('release ids', () => {
  it('parse', () => {
    expect(parseReleaseId('paleocar_v3-r-2026.10.07')).toEqual({
      dataset: 'paleocar_v3',
      date: '2026.10.07',
      sequence: 1,
    });
    expect(parseReleaseId('paleocar_v3-r-2026.10.07-2')?.sequence).toBe(2);
    expect(parseReleaseId('paleocar_v3-r-2026.10.07-12')?.sequence).toBe(12);
    for (const bad of [
      'paleocar_v3-r-2026.10.07-1',
      'paleocar_v3-r-2026.10.07-02',
      'Paleo-r-2026.10.07',
      'x-r-2026-10-07',
    ])
      expect(parseReleaseId(bad), bad).toBeNull();
  });
  it('sequence: first of a day has no suffix, the next is -2', () => {
    expect(nextReleaseId('paleocar_v3', created, [])).toBe('paleocar_v3-r-2026.10.07');
    const ledger = [{ release_id: 'paleocar_v3-r-2026.10.07', declaration_digest: D1 }];
    expect(nextReleaseId('paleocar_v3', created, ledger)).toBe('paleocar_v3-r-2026.10.07-2');
    ledger.push({ release_id: 'paleocar_v3-r-2026.10.07-2', declaration_digest: D2 });
    ledger.push({ release_id: 'other-r-2026.10.07-5', declaration_digest: 'c'.repeat(64) });
    expect(nextReleaseId('paleocar_v3', created, ledger)).toBe('paleocar_v3-r-2026.10.07-3');
    expect(nextReleaseId('paleocar_v3', '2026-10-08T00:00:00Z', ledger)).toBe('paleocar_v3-r-2026.10.08');
  });
  it('checks against dataset, date and ledger', () => {
    const ledger = [{ release_id: 'ds-r-2026.10.07', declaration_digest: D1, withdrawn: null }];
    const ok = (id: string, digest: string): string[] =>
      checkReleaseId(id, { dataset: 'ds', created, digest, ledger }).map((p) => p.id);
    expect(ok('ds-r-2026.10.07', D1)).toEqual([]); // a retry of the same frozen declaration
    expect(ok('ds-r-2026.10.07', D2)).toEqual(['MAN-011']); // same id, other digest
    expect(ok('ds-r-2026.10.07-2', D2)).toEqual([]);
    expect(ok('ds-r-2026.10.07-3', D2)).toEqual(['REL-006']); // skips -2
    expect(ok('ds-r-2026.10.07-2', D1)).toEqual(['MAN-011']); // digest already released under another id
    expect(ok('ds-r-2026.10.08', D2)).toEqual(['REL-006']); // date ≠ release.created
    expect(ok('other-r-2026.10.07', D2)).toEqual(['REL-006']);
    expect(ok('ds-r-2026.10.07-1', D2)).toEqual(['REL-006']);
    const withdrawn = [{ release_id: 'ds-r-2026.10.07', declaration_digest: D1, withdrawn: 'bad bytes' }];
    expect(
      checkReleaseId('ds-r-2026.10.07', { dataset: 'ds', created, digest: D1, ledger: withdrawn }).map((p) => p.id),
    ).toEqual(['REL-008']);
  });
  it('roles follow the path', () => {
    expect(rolesForPath('collection.json')).toEqual(['stac', 'collection']);
    expect(rolesForPath('items/ds--0103--0202.json')).toEqual(['stac', 'item']);
    expect(rolesForPath('cogs/ppt/ds--0103--0202.tif')).toEqual(['data']);
    expect(rolesForPath('cogs/srtm_elevation.tif')).toEqual(['data']);
    expect(rolesForPath('overview.yml')).toEqual(['derived']);
    expect(rolesForPath('notes.txt')).toBeNull();
    expect(rolesForPath('cogs/ppt/x.tif.aux.xml')).toBeNull();
  });
});
