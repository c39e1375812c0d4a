/** Validate a built release's STAC and documents against the release-contract schemas (offline, ajv). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ReleaseValidators } from './release.schemas.js';

const SKOPE = 'https://api.openskope.org/schemas/stac/v0.1.0/schema.json';
const CORE = {
  Collection: 'https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json',
  Feature: 'https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json',
};

/** Every schema failure of a release directory, as `file: schema: errors` lines (empty when all validate). */
export function stacProblems(v: ReleaseValidators, dir: string): string[] {
  const problems: string[] = [];
  const check = (file: string, url: string, value: unknown): void => {
    const f = v.stac(url);
    if (!f(value))
      problems.push(
        `${file}: ${url}: ${JSON.stringify(f.errors?.filter((e) => !e.schemaPath.includes('oneOf/0')).slice(0, 6))}`,
      );
  };
  const files = ['collection.json', ...readdirSync(join(dir, 'items')).map((f) => `items/${f}`)];
  for (const file of files) {
    const value = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    check(file, CORE[value['type'] as 'Collection' | 'Feature'], value);
    for (const ext of value['stac_extensions'] as string[]) check(file, ext, value);
    if (value['type'] === 'Collection') check(file, SKOPE, value);
  }
  const doc = (name: Parameters<ReleaseValidators['document']>[0], value: unknown, file: string): void => {
    const f = v.document(name);
    if (!f(value)) problems.push(`${file}: ${name}: ${JSON.stringify(f.errors?.slice(0, 3))}`);
  };
  doc(
    'release-manifest',
    JSON.parse(readFileSync(join(dir, 'release-manifest.json'), 'utf8')),
    'release-manifest.json',
  );
  doc('release-overview', parseYaml(readFileSync(join(dir, 'overview.yml'), 'utf8')), 'overview.yml');
  return problems;
}
