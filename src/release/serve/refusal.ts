/**
 * A start-up refusal: one failed check of a pinned release or of the display files. Any refusal stops the server
 * before it serves anything; each one is logged as one JSON line with exactly these fields (docs/RELEASES.md lists
 * every check, what it means and how to fix it).
 */

/** One failed check. `dataset` and `release_id` are `-` for checks of the display files alone. */
export interface Refusal {
  /** The requirement the check enforces, e.g. `PIN-001`, `TXN-011`, `API-002`, `DISP-013`. */
  requirement: string;
  dataset: string;
  release_id: string;
  /** Stable name of the check, e.g. `manifest_sha256`. */
  check: string;
  expected: string;
  observed: string;
}

/** The error a failed verification throws: every refusal found, in check order. */
export class ReleaseRefusedError extends Error {
  readonly refusals: readonly Refusal[];
  constructor(refusals: readonly Refusal[]) {
    const first = refusals[0];
    super(
      first === undefined
        ? 'Release verification refused to serve.'
        : `Refusing to serve: ${first.check} failed for ${first.release_id} (${first.requirement}); ` +
            `expected ${first.expected}, observed ${first.observed}` +
            (refusals.length > 1 ? ` (and ${refusals.length - 1} more)` : ''),
    );
    this.name = 'ReleaseRefusedError';
    this.refusals = refusals;
  }
}
