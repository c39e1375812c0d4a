/**
 * The pin file of an environment (`RELEASE_PIN_PATH`, docs/RELEASES.md "Pin file"): which release of each dataset it
 * serves, the declaration digest it was approved with, and the SHA-256 of the manifest bytes it was verified with.
 */
import { z } from 'zod';
import { IDENTIFIER_RE, RELEASE_ID_RE, SHA256_HEX_RE } from '../format/ids.js';
import { DocumentError, parseYamlText } from '../format/documents.js';
import type { Refusal } from './refusal.js';

const PinEntrySchema = z.strictObject({
  dataset: z.string().regex(IDENTIFIER_RE, 'a dataset id ([a-z][a-z0-9_]*)'),
  release_id: z.string().regex(RELEASE_ID_RE, 'a release id (<dataset>-r-YYYY.MM.DD[-N])'),
  declaration_digest: z.string().regex(SHA256_HEX_RE, '64 lowercase hex digits'),
  manifest_sha256: z.string().regex(SHA256_HEX_RE, '64 lowercase hex digits'),
});

const PinSchema = z.strictObject({
  release_root: z.string().min(1),
  releases: z.array(PinEntrySchema).min(1, 'at least one release (an environment that pins nothing serves nothing)'),
});

/** One pinned release. */
export type PinEntry = z.output<typeof PinEntrySchema>;
/** A pin file: the storage root of every pinned release and the releases. */
export type Pin = z.output<typeof PinSchema>;

/**
 * Parses a pin file: YAML (strict: duplicate keys refused, timestamps stay strings), unknown fields refused, at least
 * one release (PIN-001); then at most one entry per dataset (PIN-005).
 * @param source the file name, for messages.
 */
export function parsePin(text: string, source: string): { pin: Pin | null; refusals: Refusal[] } {
  const refuse = (requirement: string, check: string, expected: string, observed: string, dataset = '-'): Refusal => ({
    requirement,
    dataset,
    release_id: '-',
    check,
    expected,
    observed,
  });
  let doc: unknown;
  try {
    doc = parseYamlText(text, source);
  } catch (err) {
    const why = err instanceof DocumentError ? err.problems.join('; ') : (err as Error).message;
    return { pin: null, refusals: [refuse('PIN-001', 'pin_parses', `${source} parses as YAML`, why)] };
  }
  const parsed = PinSchema.safeParse(doc);
  if (!parsed.success) {
    return {
      pin: null,
      refusals: parsed.error.issues.map((i) =>
        refuse('PIN-001', 'pin_schema', `${source}: ${i.message}`, `at ${i.path.join('.') || '(root)'}`),
      ),
    };
  }
  const seen = new Set<string>();
  const refusals: Refusal[] = [];
  for (const entry of parsed.data.releases) {
    if (seen.has(entry.dataset)) {
      refusals.push(refuse('PIN-005', 'pin_unique_dataset', 'one entry per dataset', 'a second entry', entry.dataset));
    }
    seen.add(entry.dataset);
  }
  return { pin: refusals.length === 0 ? parsed.data : null, refusals };
}
