/**
 * Offline JSON-Schema validators for release documents and STAC, from the release-contract schemas in the
 * read-only `shared/` folder beside the clone (never fetched): every schema registered by its `$id` (a vendored
 * schema whose `$id` differs from the URL its path names is registered under that URL too), draft-07 for STAC
 * and its extensions, 2020-12 for the release documents. The GeoJSON Geometry schema that upstream does not
 * vendor comes from `shared/stac-schemas/geojson/Geometry.json`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { SHARED_DIR } from './env.js';

const CONTRACT = 'spec/release-contract/timeseries/ingest/src/skope_release/schemas';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

export interface ReleaseValidators {
  /** Release documents by name: curated, source-manifest, release-ledger, release-manifest, release-overview. */
  document(
    name: 'curated' | 'source-manifest' | 'release-ledger' | 'release-manifest' | 'release-overview',
  ): ValidateFunction;
  /** A STAC schema (or extension schema) by URL, e.g. the Collection or Item schema or an extension's. */
  stac(url: string): ValidateFunction;
}

/** Build the validators (null when `shared/` is not beside the clone). */
export function loadReleaseValidators(): ReleaseValidators | null {
  if (SHARED_DIR === null) return null;
  const root = join(SHARED_DIR, CONTRACT);
  const draft7 = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const d2020 = new Ajv2020({ strict: false, allErrors: true });
  for (const ajv of [draft7, d2020]) {
    addFormats.default(ajv);
    // STAC 1.1 uses the IRI formats, which ajv-formats lacks: an IRI is an absolute URL, a reference any URL or
    // relative reference (no whitespace).
    ajv.addFormat('iri', (s: string) => URL.canParse(s));
    ajv.addFormat('iri-reference', /^\S*$/u);
  }
  const seen = new Set<string>();
  const add = (schema: AnySchemaObject, pathUrl: string | null): void => {
    const id = typeof schema.$id === 'string' ? schema.$id.replace(/#$/, '') : null;
    const ajv = String(schema.$schema).includes('2020-12') ? d2020 : draft7;
    for (const url of [id, pathUrl]) {
      if (url === null || seen.has(url)) continue;
      seen.add(url);
      ajv.addSchema({ ...schema, $id: url }, url);
    }
  };
  for (const f of files(root)) {
    const rel = relative(root, f);
    if (rel.endsWith('draft-07/schema')) continue; // ajv ships the draft-07 meta-schema
    const schema = JSON.parse(readFileSync(f, 'utf8')) as AnySchemaObject;
    const pathUrl = rel.startsWith('vendor/') ? `https://${rel.slice('vendor/'.length)}` : null;
    add(schema, pathUrl);
  }
  add(
    JSON.parse(readFileSync(join(SHARED_DIR, 'stac-schemas/geojson/Geometry.json'), 'utf8')) as AnySchemaObject,
    null,
  );
  const ids = {
    curated: 'https://api.openskope.org/schemas/release/curated/v0.1.0/schema.json',
    'source-manifest': 'https://api.openskope.org/schemas/release/source-manifest/v0.1.0/schema.json',
    'release-ledger': 'https://api.openskope.org/schemas/release/release-ledger/v0.1.0/schema.json',
    'release-manifest': 'https://api.openskope.org/schemas/release/release-manifest/v1.0.0/schema.json',
    'release-overview': 'https://api.openskope.org/schemas/release/release-overview/v1.0.0/schema.json',
  } as const;
  return {
    document: (name) => {
      const v = d2020.getSchema(ids[name]);
      if (!v) throw new Error(`schema ${name} is not registered`);
      return v;
    },
    stac: (url) => {
      const v = draft7.getSchema(url.replace(/#$/, ''));
      if (!v) throw new Error(`schema ${url} is not registered`);
      return v;
    },
  };
}
