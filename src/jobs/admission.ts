/**
 * A counting gate for work a request runs before it answers (the synchronous extraction routes: `/point` and the
 * v2 timeseries route). The job queue admits jobs; this admits the extractions that skip it, so a burst of
 * synchronous requests is refused with 503 instead of piling onto the worker pool without bound.
 */
import { AppError } from '../errors.js';

/** The sentence of a refused synchronous extraction. */
export const SYNC_AT_CAPACITY_MESSAGE = 'Too many synchronous extractions are running. Retry later.';

/** At most `capacity` holders at once. */
export interface Admission {
  /** Holders allowed at once, ≥ 1. */
  readonly capacity: number;
  /** Holders now. */
  readonly inUse: number;
  /**
   * Takes a slot, synchronously (two concurrent requests cannot both pass the last slot). Returns its release,
   * which may be called more than once.
   * @throws AppError `at_capacity` when every slot is taken.
   */
  enter(): () => void;
}

/** An {@link Admission} of `capacity` slots (an integer ≥ 1). */
export function createAdmission(capacity: number): Admission {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new AppError('internal_error', `Admission capacity must be an integer ≥ 1, not ${capacity}.`);
  }
  let inUse = 0;
  return {
    capacity,
    get inUse() {
      return inUse;
    },
    enter() {
      if (inUse >= capacity) throw new AppError('at_capacity', SYNC_AT_CAPACITY_MESSAGE);
      inUse++;
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        inUse--;
      };
    },
  };
}
