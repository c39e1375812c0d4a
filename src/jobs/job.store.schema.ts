/**
 * Shared by the job stores: the id rule and the check applied to every record read back from storage.
 *
 * Corrupt records (bad JSON, wrong shape, unknown schema version, or an id that does not match its key) are
 * treated as ABSENT: `get` returns null and `listUnfinished` skips them, so one damaged file or value can never
 * crash the server or wedge start-up recovery; the store reports each one through its `onCorrupt` callback so it is
 * logged. Clients then see 404 for that id, the same as for an expired job.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { JobRecord } from './job.js';

/** A canonical UUID (any version), the only id shape a store accepts. */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws AppError `invalid_request` unless `id` is a UUID (routes validate first; stores refuse anyway). */
export function checkJobId(id: string): void {
  if (!JOB_ID_PATTERN.test(id))
    throw new AppError('invalid_request', `Invalid job id: ${JSON.stringify(id)} is not a UUID.`);
}

/** Called with the id and the reason when a stored record cannot be read back. */
export type CorruptRecordHandler = (id: string, reason: string) => void;

const JobRecordSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  status: z.enum(['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED']),
  created: z.string(),
  updated: z.string(),
  progress: z.object({ done: z.number(), total: z.number() }).optional(),
  error: z.string().optional(),
  code: z.string().optional(),
  result: z.unknown().optional(),
  private: z.unknown().optional(),
  owner: z.string().optional(),
});

/**
 * Parses a stored record of job `id`. Returns the record, or a reason string when it is corrupt.
 */
export function parseJobRecord(id: string, text: string): JobRecord | { corrupt: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { corrupt: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const parsed = JobRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      corrupt: `not a v1 job record (${issue ? `${issue.path.join('.') || '<root>'}: ${issue.message}` : 'invalid'})`,
    };
  }
  if (parsed.data.id !== id) return { corrupt: `record id ${parsed.data.id} does not match its key` };
  return parsed.data as JobRecord;
}

/** Serialises a record for storage after checking its id. */
export function serializeJobRecord(record: JobRecord): string {
  checkJobId(record.id);
  return JSON.stringify(record);
}

/** The error for `create` on an id that already exists. */
export function jobExistsError(id: string): AppError {
  return new AppError('internal_error', `Job ${id} already exists.`, { details: { id } });
}
