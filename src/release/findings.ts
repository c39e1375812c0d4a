/**
 * Findings of `skope release preflight` and `build`: every problem found, at once, each with a rule id, a
 * severity, a message and where (dataset, variable, band, chunk, path). Any error fails the dataset.
 */

/** Every rule a finding can name (docs/RELEASES.md lists them with their meaning). */
export const RULES = {
  'DOC-001': 'an authoring document is missing, is not YAML, or breaks its schema',
  'ORG-007': 'the dataset id equals its directory name in both documents',
  'VAL-003': 'curated.yml and source-manifest.yml declare the same variables',
  'OBS-004': 'the temporal axis builds (origin, step or values, end)',
  'REL-004': 'release.chunk_size is given for a temporal dataset and omitted for a static one',
  'OBS-007': 'empty timesteps are ordered, non-overlapping runs of axis keys, and exactly the bands without data',
  'ENC-001': 'the band mapping suits the profile (bands: descriptions for temporal, band: N for static)',
  'ENC-002': 'scale is finite and non-zero, offset finite',
  'ENC-003': 'nodata is a value of the data type',
  'ENC-004': 'categorical variables use MODE or NEAREST overviews',
  'ENC-005': 'a categorical nodata is not a category value',
  'ENC-006': 'the predictor suits the data type (2 for integers, 3 for floats, or 1)',
  'ENC-007': 'the COG writer supports the requested options',
  'SRC-001': 'the source opens as a GeoTIFF our reader reads',
  'SRC-002': "the source's scale and offset are uniform across bands and equal the declared encoding",
  'SRC-003': 'the source checksum is declared (else the build computes it; the digest waits for it)',
  'SRC-004': 'the source bytes match the declared checksum',
  'COG-016':
    "the output data type and nodata equal the source's, or an approved narrowing holds every valid value exactly",
  'OBS-005': 'the source has one band per timestep (temporal) or the declared band (static)',
  'OBS-006': 'band descriptions equal the axis keys, in order',
  'GRID-001': 'every variable has the same grid (shape, CRS, origin and pixel size within 0.001 pixel, AREA_OR_POINT)',
  'GRID-002': 'the grid has an EPSG code and no rotation',
  'REL-006': 'the release id names the dataset, the date of release.created and the next same-day sequence',
  'MAN-011': 'a release id is bound to one declaration digest, and a digest to one release id',
  'REL-008': 'a withdrawn release id is never reused',
  'REL-009': 'a release id is requested for a dataset that exists',
  'TXN-002': 'the release does not exist yet under the release root',
  'TXN-003': 'the producer revision is a clean commit',
  'TXN-004': 'the staging directory is on the release root filesystem',
  'BLD-001': 'the written COGs, STAC and overview agree with the source and each other',
} as const;

export type RuleId = keyof typeof RULES;

/** One finding. */
export interface Finding {
  id: RuleId;
  severity: 'error' | 'warning';
  message: string;
  dataset?: string;
  variable?: string;
  /** 1-based source band. */
  band?: number;
  chunk?: number;
  /** Document or file the finding is about. */
  path?: string;
}

/** Collects findings for one dataset. */
export class Report {
  readonly findings: Finding[] = [];
  constructor(readonly dataset: string) {}
  error(id: RuleId, message: string, where: Omit<Finding, 'id' | 'severity' | 'message' | 'dataset'> = {}): void {
    this.findings.push({ id, severity: 'error', message, dataset: this.dataset, ...where });
  }
  warning(id: RuleId, message: string, where: Omit<Finding, 'id' | 'severity' | 'message' | 'dataset'> = {}): void {
    this.findings.push({ id, severity: 'warning', message, dataset: this.dataset, ...where });
  }
  get ok(): boolean {
    return !this.findings.some((f) => f.severity === 'error');
  }
}

/** One line of text for a finding: `ERROR OBS-006 ds/var band 5: message`. */
export function formatFinding(f: Finding): string {
  const where = [f.dataset, f.variable].filter((x) => x !== undefined).join('/');
  const extra = [
    f.band !== undefined ? `band ${f.band}` : '',
    f.chunk !== undefined ? `chunk ${f.chunk}` : '',
    f.path !== undefined ? `(${f.path})` : '',
  ]
    .filter((x) => x !== '')
    .join(' ');
  return `${f.severity.toUpperCase()} ${f.id} ${where}${extra ? ` ${extra}` : ''}: ${f.message}`;
}
