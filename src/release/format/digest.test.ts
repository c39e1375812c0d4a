/** The three digests: the PaleoCAR v3 prototype's declaration digest, multihash and JCS examples. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RELEASE_FIXTURES } from '../../../test/support/release.fixtures.js';
import { canonicalJson, declarationDigest, declarationProjection, multihash, sha256Hex } from './digest.js';
import { parseCurated, parseSourceManifest } from './documents.js';

const dir = join(RELEASE_FIXTURES, 'paleocar_v3');
const curated = parseCurated(readFileSync(join(dir, 'curated.yml'), 'utf8'));
const source = parseSourceManifest(readFileSync(join(dir, 'source-manifest.yml'), 'utf8'));

describe('declaration digest', () => {
  it('reproduces the PaleoCAR v3 prototype digest recorded in its ledger', () => {
    expect(declarationDigest(curated, source)).toBe('fa5b29a944289e7677f1bff46216a2222f20f5eb73d7237e9d453e0c2e1f059e');
  });
  it('projection keys variables by id, with every default filled in', () => {
    const p = declarationProjection(curated, source) as Record<string, Record<string, unknown>>;
    expect(Object.keys(p['curated']?.['variables'] as object)).toEqual(['gdd_cotton_annual', 'ppt_annual']);
    expect((p['curated']?.['variables'] as Record<string, Record<string, unknown>>)['ppt_annual']).toEqual({
      title: 'Annual (Jan–Dec) Precipitation',
      description:
        'Calendar-year (January–December) total precipitation, reconstructed by PaleoCAR (the prediction_scaled product).',
      unit: 'mm',
      category: 'Precipitation',
      categories: null,
      valid_range: null,
    });
    expect(p['curated']?.['people']).toEqual([]);
    expect((p['source_manifest']?.['release'] as Record<string, Record<string, unknown>>)['cog']?.['sparse_ok']).toBe(
      false,
    );
  });
  it('any change to either document changes the digest', () => {
    const typo = { ...curated, description: `${curated.description}.` };
    expect(declarationDigest(typo, source)).not.toBe(declarationDigest(curated, source));
    const chunk = { ...source, release: { ...source.release, chunk_size: 50 } };
    expect(declarationDigest(curated, chunk)).not.toBe(declarationDigest(curated, source));
  });
  it('needs resolved checksums', () => {
    const unresolved = {
      ...source,
      variables: source.variables.map((v) => ({ ...v, source: { ...v.source, checksum: null } })),
    };
    expect(() => declarationDigest(curated, unresolved)).toThrow(/checksum/);
  });
});

describe('checksums', () => {
  it('sha256 and multihash of "abc" (FIPS 180-2 example)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(multihash('abc')).toBe('1220ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it("RFC 8785 canonical JSON (the RFC's number and ordering examples)", () => {
    expect(canonicalJson({ b: 1.0, a: [1e21, 1e-7, 333333333.3333333, -0], c: '€' })).toBe(
      '{"a":[1e+21,1e-7,333333333.3333333,0],"b":1,"c":"€"}',
    );
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4 })).toBe('{"\\r":2,"1":4,"€":1,"😀":3}');
  });
});
