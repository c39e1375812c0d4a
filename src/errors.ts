/**
 * Domain errors. Each carries a stable `code` (part of the API: clients and tests match on it) and no HTTP
 * status: `src/http/errors.ts` holds the single code → status table.
 *
 * Add a code here, then a row in the HTTP table and in docs/ERRORS.md.
 */
export type ErrorCode =
  // storage
  | 'source_not_found' // object/file does not exist
  | 'source_unavailable' // remote store failed after retries (5xx, timeouts, resets)
  | 'source_read_error' // short read, truncated body, range not satisfiable
  | 'aborted' // an AbortSignal fired
  // raster
  | 'raster_invalid' // not a TIFF, corrupt or truncated structure or block
  | 'raster_unsupported' // valid TIFF using a feature we do not read (e.g. JPEG compression)
  | 'band_out_of_range'
  // registry / lookup
  | 'registry_invalid'
  | 'dataset_not_found'
  | 'variable_not_found'
  | 'lookup_invalid'
  | 'lookup_unavailable'
  | 'colormap_not_found'
  | 'colormap_invalid'
  // time
  | 'timestep_malformed'
  | 'timestep_not_found'
  | 'time_range_empty'
  // geometry / extraction
  | 'invalid_geometry'
  | 'geometry_too_complex'
  | 'area_too_large'
  | 'area_outside_dataset'
  | 'extraction_failed'
  | 'deadline_exceeded'
  // jobs
  | 'job_not_found'
  | 'job_not_complete'
  | 'job_no_base_series'
  | 'job_cancelled'
  | 'job_finished' // cancel of a job that finished first (its record is final)
  | 'at_capacity'
  | 'store_unavailable'
  // generic request problems detected inside the domain
  | 'invalid_request'
  | 'config_invalid'
  | 'internal_error';

/** Base class of every error the domain throws on purpose. `message` is the client-facing sentence. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable context (never secrets, never stack traces). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `err` is an AppError (optionally with the given code). */
export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/** The error to throw when an AbortSignal fired; keeps the signal's reason as the cause. */
export function abortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  return new AppError('aborted', 'The operation was aborted.', { cause: reason });
}

/**
 * Settles as `work` does, or rejects with {@link abortError} as soon as `signal` fires, whichever comes first.
 * `work` itself is not cancelled (pass the signal to it too where it can stop); its later rejection is always
 * observed, so it is never reported as unhandled. The listener is removed once either side settles.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
