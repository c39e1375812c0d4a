/**
 * Typed documents of a release and their strict parsers (unknown fields rejected everywhere):
 * the authoring inputs `curated.yml`, `source-manifest.yml` and the ledger `releases.yml`, and the outputs
 * `release-manifest.json` and `overview.yml`. Optional fields get their defaults on parse, so a parsed document
 * is also the "every default filled in" form the declaration digest is computed over.
 *
 * YAML rules: YAML 1.2 core schema (no implicit timestamps), duplicate keys are an error, and values are then
 * checked strictly (an unquoted `0103` is the integer 103 and fails where a key string is required).
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { IDENTIFIER_RE, MULTIHASH_RE, RELEASE_ID_RE, RFC3339_UTC_RE, SHA256_HEX_RE } from './ids.js';

const TIMESTEP_RE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}Z)?)?)?$/;
const DOI_RE = /^10\.\d{4,9}\/\S+$/;
const HTTPS_RE = /^https:\/\/[^\s/]+(\/\S*)?$/;
const ORCID_RE = /^https:\/\/orcid\.org\/(\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX])$/;
const ROR_RE = /^https:\/\/ror\.org\/0[a-hj-km-np-tv-z0-9]{6}\d{2}$/;

/** Whether an ORCID URI is canonical with a valid ISO 7064 11,2 check digit. */
export function isOrcid(value: string): boolean {
  const m = ORCID_RE.exec(value);
  if (!m) return false;
  const digits = m.slice(1).join('');
  let total = 0;
  for (const ch of digits.slice(0, -1)) total = (total + Number(ch)) * 2;
  const check = (12 - (total % 11)) % 11;
  return digits.at(-1) === (check === 10 ? 'X' : String(check));
}

const nonEmpty = z.string().min(1);
const identifier = z.string().regex(IDENTIFIER_RE, 'must match ^[a-z][a-z0-9_]*$');
const timestepKey = z.string().regex(TIMESTEP_RE, 'must be a quoted ISO timestep key');
const rfc3339 = z.string().regex(RFC3339_UTC_RE, 'must be RFC 3339 UTC YYYY-MM-DDTHH:MM:SSZ');
const multihash = z.string().regex(MULTIHASH_RE, 'must be a sha2-256 multihash 1220<64 hex>');
const sha256Hex = z.string().regex(SHA256_HEX_RE, 'must be 64 lower-case hex digits');
const doi = z.string().regex(DOI_RE, 'must be a DOI 10.NNNN/…');
const https = z.string().regex(HTTPS_RE, 'must be an absolute https:// URL');
const releaseId = z.string().regex(RELEASE_ID_RE, 'must be <dataset>-r-YYYY.MM.DD[-N]');
const orcid = z
  .string()
  .refine(isOrcid, 'must be a canonical ORCID https://orcid.org/NNNN-NNNN-NNNN-NNNX with a valid check digit');
const ror = z.string().regex(ROR_RE, 'must be a canonical ROR URI https://ror.org/0xxxxxxNN');
const int = z.number().int();
/** Integer-valued category keys, normalised to their decimal string. */
const categories = z
  .record(z.string().regex(/^-?\d+$/, 'category values must be integers'), nonEmpty)
  .transform((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [String(Number(k)), v])));

export const ProviderRoleSchema = z.enum(['producer', 'licensor', 'processor', 'host']);
export const ProfileSchema = z.enum(['TemporalCubeDataset', 'StaticRasterDataset']);
export const PrecisionSchema = z.enum(['year', 'month', 'day', 'datetime']);
export const DataTypeSchema = z.enum(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64']);
export const ResamplingSchema = z.enum(['AVERAGE', 'MODE', 'NEAREST', 'BILINEAR', 'CUBIC', 'LANCZOS']);

const ProviderSchema = z
  .strictObject({
    name: nonEmpty,
    roles: z.array(ProviderRoleSchema).min(1),
    url: https.nullable().default(null),
    ror: ror.nullable().default(null),
    description: z.string().nullable().default(null),
  })
  .refine((p) => new Set(p.roles).size === p.roles.length, 'provider roles must be unique');

const PublicationSchema = z.strictObject({ citation: nonEmpty, doi: doi.nullable().default(null) });

const TemporalSchema = z
  .strictObject({
    calendar: z.literal('proleptic_gregorian'),
    precision: PrecisionSchema,
    origin: timestepKey,
    end: timestepKey,
    step: z.string().nullable().default(null),
    values: z.array(timestepKey).nullable().default(null),
    endpoint_inclusion: z.literal('inclusive'),
    timestep_meaning: z.enum(['aggregation_period', 'instant']),
    description: nonEmpty,
  })
  .superRefine((t, ctx) => {
    if ((t.step === null) === (t.values === null))
      ctx.addIssue({ code: 'custom', message: 'declare exactly one of `step` (regular) or `values` (enumerated)' });
    if (t.values !== null && (t.values.length === 0 || t.values[0] !== t.origin || t.values.at(-1) !== t.end))
      ctx.addIssue({ code: 'custom', message: '`values` must start at `origin` and end at `end`', path: ['values'] });
  });

const CuratedVariableSchema = z
  .strictObject({
    id: identifier,
    title: nonEmpty,
    description: nonEmpty,
    unit: nonEmpty,
    category: nonEmpty.nullable().default(null),
    categories: categories.nullable().default(null),
    valid_range: z.tuple([z.number(), z.number()]).nullable().default(null),
  })
  .refine((v) => v.valid_range === null || v.valid_range[0] < v.valid_range[1], {
    message: 'valid_range must be [lower, upper] with lower < upper',
    path: ['valid_range'],
  });

/** `curated.yml`: the human-curated meaning of a dataset (schema_version 0.1.0). */
export const CuratedSchema = z
  .strictObject({
    schema_version: z.literal('0.1.0'),
    id: identifier,
    version: nonEmpty,
    profile: ProfileSchema,
    title: nonEmpty,
    description: nonEmpty,
    license: nonEmpty,
    license_href: https.nullable().default(null),
    region_name: nonEmpty,
    providers: z.array(ProviderSchema).min(1),
    people: z.array(z.strictObject({ name: nonEmpty, orcid: orcid.nullable().default(null) })).default([]),
    citation: nonEmpty.nullable().default(null),
    doi: doi.nullable().default(null),
    publications: z.array(PublicationSchema).default([]),
    contact_href: https.nullable().default(null),
    lineage: nonEmpty.nullable().default(null),
    uncertainty: z
      .strictObject({ summary: nonEmpty, methodology_href: https.nullable().default(null) })
      .nullable()
      .default(null),
    links: z
      .array(
        z.strictObject({
          rel: nonEmpty,
          href: https,
          title: z.string().nullable().default(null),
          type: z.string().nullable().default(null),
        }),
      )
      .default([]),
    temporal: TemporalSchema.nullable().default(null),
    temporal_extent: z.tuple([rfc3339.nullable(), rfc3339.nullable()]).nullable().default(null),
    empty_timesteps: z.array(z.strictObject({ first: timestepKey, last: timestepKey, reason: nonEmpty })).default([]),
    variables: z.array(CuratedVariableSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string, path: string[] = []): void => ctx.addIssue({ code: 'custom', message, path });
    if (c.profile === 'TemporalCubeDataset') {
      if (c.temporal === null) issue('a TemporalCubeDataset requires `temporal`', ['temporal']);
      if (c.temporal_extent !== null) issue('`temporal_extent` is for a StaticRasterDataset', ['temporal_extent']);
    } else {
      if (c.temporal !== null) issue('a StaticRasterDataset has no `temporal` axis', ['temporal']);
      if (c.empty_timesteps.length > 0) issue('`empty_timesteps` is for a TemporalCubeDataset', ['empty_timesteps']);
    }
    if (c.license === 'other' && c.license_href === null)
      issue('license `other` requires `license_href`', ['license_href']);
    const ids = c.variables.map((v) => v.id);
    if (new Set(ids).size !== ids.length) issue('variable ids must be unique', ['variables']);
    const names = new Map<string, string>();
    for (const p of c.people) {
      if (p.orcid === null) continue;
      const seen = names.get(p.orcid);
      if (seen !== undefined && seen !== p.name) issue(`ORCID ${p.orcid} carries two names`, ['people']);
      names.set(p.orcid, p.name);
    }
  });
export type Curated = z.output<typeof CuratedSchema>;
export type CuratedVariable = Curated['variables'][number];
export type CuratedTemporal = NonNullable<Curated['temporal']>;

export const CogOptionsSchema = z.strictObject({
  blocksize: z.union([z.literal(256), z.literal(512)]),
  interleave: z.enum(['BAND', 'TILE', 'PIXEL']),
  compress: z.enum(['ZSTD', 'DEFLATE', 'LZW']),
  level: int.nullable().default(null),
  bigtiff: z.enum(['IF_SAFER', 'IF_NEEDED', 'YES', 'NO']),
  sparse_ok: z.literal(false).default(false),
});
export type CogOptions = z.output<typeof CogOptionsSchema>;

const SourceSchema = z
  .strictObject({
    uri: nonEmpty,
    checksum: multihash.nullable().default(null),
    bands: z.literal('descriptions').nullable().default(null),
    band: int.min(1).nullable().default(null),
  })
  .refine((s) => (s.bands === null) !== (s.band === null), 'declare exactly one of `bands: descriptions` or `band: N`');

const EncodingSchema = z.strictObject({
  data_type: DataTypeSchema,
  nodata: z.number().nullable(),
  scale: z.number().default(1),
  offset: z.number().default(0),
  predictor: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  overview_resampling: ResamplingSchema,
  narrowing: z.strictObject({ approved_by: nonEmpty, evidence: nonEmpty }).nullable().default(null),
});
export type Encoding = z.output<typeof EncodingSchema>;

/** `source-manifest.yml`: where each variable's bytes come from and how to encode them (schema_version 0.1.0). */
export const SourceManifestSchema = z
  .strictObject({
    schema_version: z.literal('0.1.0'),
    dataset: identifier,
    release: z.strictObject({
      created: rfc3339,
      chunk_size: int.min(1).nullable().default(null),
      cog: CogOptionsSchema,
    }),
    variables: z.array(z.strictObject({ id: identifier, source: SourceSchema, encoding: EncodingSchema })).min(1),
  })
  .refine((s) => new Set(s.variables.map((v) => v.id)).size === s.variables.length, {
    message: 'variable ids must be unique',
    path: ['variables'],
  });
export type SourceManifest = z.output<typeof SourceManifestSchema>;
export type SourceVariable = SourceManifest['variables'][number];

/** `releases.yml`: one entry per assigned release id, never deleted. */
export const LedgerSchema = z.strictObject({
  releases: z
    .array(
      z.strictObject({
        release_id: releaseId,
        declaration_digest: sha256Hex,
        withdrawn: nonEmpty.nullable().default(null),
      }),
    )
    .default([]),
});
export type Ledger = z.output<typeof LedgerSchema>;

export const FileRoleSchema = z.enum(['stac', 'collection', 'item', 'data', 'derived']);

/** `release-manifest.json` (schema_version 1.0.0): integrity and completion of a release. */
export const ReleaseManifestSchema = z.strictObject({
  schema_version: z.literal('1.0.0'),
  release_id: releaseId,
  created: rfc3339,
  status: z.literal('complete'),
  dataset: z.strictObject({ id: identifier, version: nonEmpty, stac_entrypoint: z.literal('collection.json') }),
  producer: z.strictObject({ name: nonEmpty, version: nonEmpty, revision: nonEmpty }),
  declaration: z.strictObject({
    identity_profile: z.literal('openskope-release-declaration-v1'),
    digest_algorithm: z.literal('sha256'),
    digest: sha256Hex,
  }),
  sources: z.array(z.strictObject({ id: identifier, href: nonEmpty, checksum: multihash })).min(1),
  files: z
    .array(
      z.strictObject({
        path: nonEmpty,
        roles: z.array(FileRoleSchema).min(1),
        size: int.min(0),
        checksum: multihash,
      }),
    )
    .min(1),
});
export type ReleaseManifest = z.output<typeof ReleaseManifestSchema>;
export type ManifestFile = ReleaseManifest['files'][number];

const TimeBase = {
  count: int.min(1),
  chunk_size: int.min(1),
  precision: PrecisionSchema,
  calendar: z.literal('proleptic_gregorian'),
  timestep_meaning: z.enum(['aggregation_period', 'instant']),
  endpoint_inclusion: z.literal('inclusive'),
};
const OverviewTimeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('regular'), origin: timestepKey, step: nonEmpty, ...TimeBase }),
  z
    .strictObject({ kind: z.literal('enumerated'), values: z.array(timestepKey).min(1), ...TimeBase })
    .refine((t) => t.values.length === t.count, 'count must equal the number of values'),
]);
export type OverviewTime = z.output<typeof OverviewTimeSchema>;

const finite = z.number().refine(Number.isFinite, 'must be finite');

/** `overview.yml` (schema_version 1.0.0): the summary the API reads, derived from the release's STAC. */
export const OverviewSchema = z
  .strictObject({
    schema_version: z.literal('1.0.0'),
    release_id: releaseId,
    declaration_digest: sha256Hex,
    dataset: z.strictObject({
      id: identifier,
      version: nonEmpty,
      title: nonEmpty,
      description: nonEmpty,
      profile: ProfileSchema,
      license: nonEmpty,
      region_name: nonEmpty,
      extent: z.strictObject({ bbox: z.tuple([finite, finite, finite, finite]) }),
      grid: z.strictObject({
        code: nonEmpty,
        shape: z.tuple([int, int]),
        transform: z.tuple([finite, finite, finite, finite, finite, finite]),
      }),
      time: OverviewTimeSchema.nullable().default(null),
      providers: z.array(
        z.strictObject({ name: nonEmpty, roles: z.array(ProviderRoleSchema), url: https.nullable().default(null) }),
      ),
      citation: z.string().nullable().default(null),
      doi: doi.nullable().default(null),
      publications: z.array(PublicationSchema).default([]),
      lineage: z.string().nullable().default(null),
      uncertainty: z.strictObject({ summary: nonEmpty, methodology_href: https.nullable() }).nullable().default(null),
      links: z
        .array(z.strictObject({ rel: nonEmpty, href: https, title: z.string().nullable().default(null) }))
        .default([]),
    }),
    variables: z.record(
      identifier,
      z.strictObject({
        title: nonEmpty,
        description: nonEmpty,
        unit: nonEmpty,
        category: z.string().nullable().default(null),
        categories: categories.nullable().default(null),
        data_type: DataTypeSchema,
        nodata: z.number().nullable(),
        scale: z.number(),
        offset: z.number(),
        asset_href: z.string().nullable().default(null),
        band_name: z.string().nullable().default(null),
      }),
    ),
  })
  .superRefine((o, ctx) => {
    const temporal = o.dataset.profile === 'TemporalCubeDataset';
    if (temporal !== (o.dataset.time !== null))
      ctx.addIssue({
        code: 'custom',
        message: '`time` is required for a temporal dataset and absent for a static one',
      });
    for (const [id, v] of Object.entries(o.variables)) {
      const has = v.asset_href !== null || v.band_name !== null;
      if (temporal && has)
        ctx.addIssue({ code: 'custom', message: `${id}: asset_href/band_name are for static datasets only` });
      if (!temporal && (v.asset_href === null || v.band_name === null))
        ctx.addIssue({ code: 'custom', message: `${id}: a static dataset names its asset_href and band_name` });
    }
  });
export type Overview = z.output<typeof OverviewSchema>;
export type OverviewVariable = Overview['variables'][string];

/** A document that failed to parse or validate: one line per problem, each naming its path in the document. */
export class DocumentError extends Error {
  constructor(
    readonly document: string,
    readonly problems: readonly string[],
  ) {
    super(`${document}: ${problems.join('; ')}`);
    this.name = 'DocumentError';
  }
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/**
 * Parse YAML text strictly: YAML 1.2 core schema (timestamps stay strings), duplicate keys an error, one
 * document. Throws DocumentError.
 */
export function parseYamlText(text: string, name: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, version: '1.2', schema: 'core', prettyErrors: false });
  if (doc.errors.length > 0)
    throw new DocumentError(
      name,
      doc.errors.map((e) => e.message),
    );
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/** Validate a parsed value against a schema, or throw DocumentError listing every problem. */
export function validateDocument<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new DocumentError(name, problemsOf(r.error));
  return r.data;
}

export const parseCurated = (text: string, name = 'curated.yml'): Curated =>
  validateDocument(CuratedSchema, parseYamlText(text, name), name);
export const parseSourceManifest = (text: string, name = 'source-manifest.yml'): SourceManifest =>
  validateDocument(SourceManifestSchema, parseYamlText(text, name), name);
export const parseLedger = (text: string, name = 'releases.yml'): Ledger =>
  validateDocument(LedgerSchema, parseYamlText(text, name) ?? {}, name);
export const parseOverview = (text: string, name = 'overview.yml'): Overview =>
  validateDocument(OverviewSchema, parseYamlText(text, name), name);

/** Parse `release-manifest.json` text (JSON, unknown fields rejected). Throws DocumentError. */
export function parseReleaseManifest(text: string, name = 'release-manifest.json'): ReleaseManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DocumentError(name, [`not JSON: ${(e as Error).message}`]);
  }
  return validateDocument(ReleaseManifestSchema, value, name);
}
