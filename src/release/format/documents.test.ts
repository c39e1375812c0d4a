/**
 * The document parsers: strict YAML, defaults, and agreement with the release-contract JSON Schemas (every
 * accepted document validates; documents the schema refuses are refused too).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { requireShared } from '../../../test/support/env.js';
import { RELEASE_FIXTURES } from '../../../test/support/release.fixtures.js';
import { loadReleaseValidators } from '../../../test/support/release.schemas.js';
import { tinyOverview } from '../../../test/support/release.tiny.js';
import {
  DocumentError,
  parseCurated,
  parseLedger,
  parseOverview,
  parseReleaseManifest,
  parseSourceManifest,
} from './documents.js';
import { emitOverview } from './overview.emit.js';

const dir = join(RELEASE_FIXTURES, 'paleocar_v3');
const text = (name: string): string => readFileSync(join(dir, name), 'utf8');
const problems = (f: () => unknown): string[] => {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof DocumentError) return [...e.problems];
    throw e;
  }
};

describe('YAML rules', () => {
  it('an unquoted 0103 is an integer and fails', () => {
    const p = problems(() => parseCurated(text('curated.yml').replace('origin: "0103"', 'origin: 0103')));
    expect(p.join('\n')).toMatch(/temporal\.origin/);
  });
  it('duplicate keys are an error', () => {
    expect(
      problems(() => parseCurated(text('curated.yml').replace('license: "CC-BY-4.0"', 'license: "a"\nlicense: "b"')))
        .length,
    ).toBeGreaterThan(0);
  });
  it('unknown fields are rejected', () => {
    expect(problems(() => parseCurated(`${text('curated.yml')}colormap: "x"\n`)).join()).toMatch(/colormap/);
  });
  it('timestamps stay strings', () => {
    const s = parseSourceManifest(
      text('source-manifest.yml').replace('"2026-10-07T15:10:00Z"', '2026-10-07T15:10:00Z'),
    );
    expect(s.release.created).toBe('2026-10-07T15:10:00Z');
  });
  it('curated rules beyond the schema', () => {
    const c = text('curated.yml');
    expect(
      problems(() =>
        parseCurated(c.replace('profile: "TemporalCubeDataset"', 'profile: "StaticRasterDataset"')),
      ).join(),
    ).toMatch(/temporal/);
    expect(problems(() => parseCurated(c.replace('license: "CC-BY-4.0"', 'license: "other"'))).join()).toMatch(
      /license_href/,
    );
    expect(
      problems(() => parseCurated(c.replace('  step: "P1Y"', '  step: "P1Y"\n  values: ["0103", "2000"]'))).join(),
    ).toMatch(/exactly one/);
    expect(
      problems(() =>
        parseCurated(
          c.replace(
            'providers:\n',
            'people:\n  - name: "A"\n    orcid: "https://orcid.org/0000-0002-1825-0097"\n  - name: "B"\n    orcid: "https://orcid.org/0000-0002-1825-0097"\nproviders:\n',
          ),
        ),
      ).join(),
    ).toMatch(/two names/);
    expect(
      problems(() =>
        parseCurated(
          c.replace(
            'providers:\n',
            'people:\n  - name: "A"\n    orcid: "https://orcid.org/0000-0002-1825-0098"\nproviders:\n',
          ),
        ),
      ).join(),
    ).toMatch(/check digit/);
    expect(problems(() => parseCurated(c.replace('href: "https://www.ncei', 'href: "http://www.ncei'))).join()).toMatch(
      /https/,
    );
  });
  it('source manifest: exactly one band mapping', () => {
    const s = text('source-manifest.yml').replace(
      '      bands: "descriptions"',
      '      bands: "descriptions"\n      band: 1',
    );
    expect(problems(() => parseSourceManifest(s)).join()).toMatch(/exactly one/);
  });
  it('an empty ledger is an empty list', () => {
    expect(parseLedger('').releases).toEqual([]);
    expect(parseLedger(text('releases.yml')).releases[0]?.withdrawn).toBeNull();
  });
});

describe.runIf(requireShared())('agreement with the release-contract schemas', () => {
  const v = loadReleaseValidators();
  if (v === null) return;
  const check = (name: Parameters<typeof v.document>[0], value: unknown): boolean => {
    const f = v.document(name);
    const ok = f(value);
    if (!ok) console.error(name, f.errors);
    return ok;
  };
  it('the PaleoCAR authoring documents validate, parsed or raw', () => {
    for (const [name, file, parse] of [
      ['curated', 'curated.yml', parseCurated],
      ['source-manifest', 'source-manifest.yml', parseSourceManifest],
      ['release-ledger', 'releases.yml', parseLedger],
    ] as const) {
      expect(check(name, parseYaml(text(file)))).toBe(true);
      expect(check(name, parse(text(file)))).toBe(true);
    }
  });
  it('an emitted overview validates', () => {
    expect(check('release-overview', parseYaml(emitOverview(tinyOverview())))).toBe(true);
  });
  it('documents our parsers refuse are refused by the schemas too', () => {
    const bad = text('curated.yml').replace('origin: "0103"', 'origin: 0103');
    expect(check('curated', parseYaml(bad))).toBe(false);
    const manifest = {
      schema_version: '1.0.0',
      release_id: 'ds-r-2026.10.07-1',
      created: '2026-10-07T15:10:00Z',
      status: 'complete',
      dataset: { id: 'ds', version: '1', stac_entrypoint: 'collection.json' },
      producer: { name: 'x', version: '0', revision: 'abc' },
      declaration: {
        identity_profile: 'openskope-release-declaration-v1',
        digest_algorithm: 'sha256',
        digest: 'd'.repeat(64),
      },
      sources: [{ id: 'v', href: 'x', checksum: `1220${'0'.repeat(64)}` }],
      files: [{ path: 'collection.json', roles: ['stac', 'collection'], size: 1, checksum: `1220${'0'.repeat(64)}` }],
    };
    expect(check('release-manifest', manifest)).toBe(false);
    expect(problems(() => parseReleaseManifest(JSON.stringify(manifest))).join()).toMatch(/release_id/);
    const fixed = { ...manifest, release_id: 'ds-r-2026.10.07-2' };
    expect(check('release-manifest', fixed)).toBe(true);
    expect(parseReleaseManifest(JSON.stringify(fixed)).release_id).toBe('ds-r-2026.10.07-2');
  });
  it('overview: parse(emit(x)) validates and equals x', () => {
    const o = tinyOverview();
    expect(parseOverview(emitOverview(o))).toEqual(o);
  });
});
