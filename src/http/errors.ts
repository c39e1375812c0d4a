/**
 * The one table ErrorCode → HTTP status, and the Fastify error/404 handlers that render every error in the
 * FastAPI body shapes clients of the upstream API already parse (docs/ERRORS.md):
 * - domain errors: `{"detail": "<sentence>", "code": "<code>"}`;
 * - request validation: 422 `{"detail": [{"loc": [...], "msg": "...", "type": "..."}], "code": "validation_error"}`;
 * - routes flagged `config.errorShape = 'array'` (the v2 `POST /timeseries`): always `{"detail": [{"msg": ...}], "code"}`.
 * Never a stack trace, plain text or NaN in a body.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError, type ErrorCode } from '../errors.js';

/** HTTP status of every domain error code (docs/ERRORS.md mirrors this table). */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  source_not_found: 404,
  source_unavailable: 503,
  source_read_error: 502,
  aborted: 503,
  raster_invalid: 500,
  raster_unsupported: 500,
  band_out_of_range: 500,
  registry_invalid: 500,
  dataset_not_found: 404,
  variable_not_found: 404,
  lookup_invalid: 500,
  lookup_unavailable: 503,
  colormap_not_found: 422,
  colormap_invalid: 422,
  timestep_malformed: 422,
  timestep_not_found: 404,
  time_range_empty: 422,
  invalid_geometry: 422,
  geometry_too_complex: 422,
  area_too_large: 422,
  area_outside_dataset: 422,
  extraction_failed: 500,
  deadline_exceeded: 504,
  job_not_found: 404,
  job_not_complete: 409,
  job_no_base_series: 422,
  job_cancelled: 409,
  job_finished: 409,
  at_capacity: 503,
  store_unavailable: 503,
  invalid_request: 422,
  config_invalid: 500,
  internal_error: 500,
};

/** Seconds a client should wait before retrying a 503 `at_capacity` (the upstream API's `Retry-After`). */
export const RETRY_AFTER_SECONDS = 5;

/** One FastAPI-style validation item. `loc` starts with `body`, `query` or `path`. */
export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A request that failed validation after the schema (cross-field rules): rendered as a 422 detail array. */
export class RequestValidationError extends Error {
  readonly items: ValidationItem[];
  constructor(items: ValidationItem[]) {
    super(items.map((i) => i.msg).join(' '));
    this.name = 'RequestValidationError';
    this.items = items;
  }
}

/** Shorthand for a single-item validation failure. */
export function invalid(loc: (string | number)[], msg: string, type = 'value_error'): RequestValidationError {
  return new RequestValidationError([{ loc, msg, type }]);
}

/** The status for an error code (500 for codes not in the table, e.g. added without a row yet). */
export function statusOf(code: string): number {
  return (STATUS_BY_CODE as Record<string, number | undefined>)[code] ?? 500;
}

const INTERNAL_DETAIL = 'An internal error occurred.';

/**
 * Codes whose messages carry infrastructure detail (server paths, URLs, buckets, storage errors): their sentence
 * goes to the server log with the request id, never to the client (as `JobRunner` does for stored records).
 */
const INFRASTRUCTURE = new Set<string>([
  'source_not_found',
  'source_unavailable',
  'source_read_error',
  'raster_invalid',
  'raster_unsupported',
  'band_out_of_range',
  'registry_invalid',
  'lookup_invalid',
  'lookup_unavailable',
  'extraction_failed',
  'store_unavailable',
  'config_invalid',
  'internal_error',
]);

/** `dataset 'a', variable 'b', timestep 'c'` from the route's path or body (what the client itself named). */
function dataContext(request?: FastifyRequest): string {
  const from = { ...(request?.body as Record<string, unknown> | undefined), ...(request?.params as object) };
  const pick = (k: string): string | null => {
    const v = (from as Record<string, unknown>)[k];
    return typeof v === 'string' && /^[\w.:-]{1,64}$/.test(v) ? v : null;
  };
  const parts: string[] = [];
  const ds = pick('dataset_id');
  const v = pick('variable_id');
  const t = pick('timestep') ?? pick('file')?.replace(/\.json$/, '') ?? null;
  if (ds) parts.push(`dataset '${ds}'`);
  if (v) parts.push(`variable '${v}'`);
  if (t) parts.push(`timestep '${t}'`);
  return parts.length > 0 ? parts.join(', ') : 'the request';
}

/** The client's sentence for an infrastructure error below 500 (the data missing, storage unavailable). */
function infrastructureDetail(err: AppError, request?: FastifyRequest): string {
  if (err.code === 'source_not_found') return `The data of ${dataContext(request)} is not available.`;
  if (err.code === 'store_unavailable') return 'The job store is temporarily unavailable. Retry later.';
  return `The data storage is temporarily unavailable for ${dataContext(request)}. Retry later.`;
}

interface RouteErrorConfig {
  errorShape?: 'array';
}

/** Installs the error handler and the 404 handler on `app`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const arrayShape = (request.routeOptions.config as RouteErrorConfig | undefined)?.errorShape === 'array';
    const { status, body } = renderError(err, request);
    // 500/502 bodies point here by request id: the full error is logged at error level.
    if (status === 500 || status === 502)
      request.log.error({ err }, isAppError(err) ? 'internal error' : 'unhandled error');
    else if (status >= 500 || (isAppError(err) && INFRASTRUCTURE.has(err.code)))
      request.log.warn({ err }, 'server-side domain error');
    // Both pass by themselves: a slot frees, Redis comes back (its clients reconnect on their own).
    if (isAppError(err, 'at_capacity') || isAppError(err, 'store_unavailable'))
      void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    if (arrayShape && typeof body.detail === 'string') body.detail = [{ loc: [], msg: body.detail, type: body.code }];
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    return reply
      .status(404)
      .send({ detail: `Not Found: ${request.method} ${request.url.split('?')[0] ?? ''}`, code: 'not_found' });
  });
}

interface ErrorBody {
  detail: string | ValidationItem[];
  code: string;
  /** On 500 and 502: the id under which the server log holds the full error. */
  request_id?: string;
}

/**
 * A 500/502 body: that an internal error happened (or the domain's client sentence for it, `details.public`, which
 * names only what the client asked for) and the request id of the log entry, nothing more.
 */
function internalBody(code: string, request?: FastifyRequest, err?: AppError): ErrorBody {
  const sentence = err?.details?.['public'];
  const detail = typeof sentence === 'string' ? sentence : INTERNAL_DETAIL;
  if (request === undefined) return { detail, code };
  return { detail: `${detail} Request id: ${request.id}.`, code, request_id: request.id };
}

/** Maps any thrown value to a status and a body. */
export function renderError(err: unknown, request?: FastifyRequest): { status: number; body: ErrorBody } {
  if (err instanceof RequestValidationError)
    return { status: 422, body: { detail: err.items, code: 'validation_error' } };
  if (err instanceof AppError) {
    const status = statusOf(err.code);
    if (status === 500 || status === 502) return { status, body: internalBody(err.code, request, err) };
    if (INFRASTRUCTURE.has(err.code))
      return { status, body: { detail: infrastructureDetail(err, request), code: err.code } };
    return { status, body: { detail: err.message, code: err.code } };
  }
  const fe = err as Partial<FastifyError> | null;
  if (fe && Array.isArray(fe.validation)) {
    const context = fe.validationContext ?? 'body';
    return {
      status: 422,
      body: { detail: fe.validation.map((v) => validationItem(v, context)), code: 'validation_error' },
    };
  }
  // Fastify's own client errors (bad JSON, unsupported media type, body too large…): keep their 4xx.
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const msg = typeof fe.message === 'string' && fe.message !== '' ? fe.message : 'Bad request.';
    const code =
      fe.statusCode === 413 ? 'payload_too_large' : fe.statusCode === 415 ? 'unsupported_media_type' : 'bad_request';
    // A body that is not JSON is a validation problem in FastAPI terms (422 json_invalid).
    if (
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (err instanceof SyntaxError && request?.method !== 'GET')
    )
      return {
        status: 422,
        body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }], code: 'validation_error' },
      };
    return { status: fe.statusCode, body: { detail: msg, code } };
  }
  return { status: 500, body: internalBody('internal_error', request) };
}

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const CONTEXT_LOC: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function validationItem(v: AjvLikeError, context: string): ValidationItem {
  const loc: (string | number)[] = [CONTEXT_LOC[context] ?? context];
  for (const part of (v.instancePath ?? '').split('/').filter((p) => p !== '')) {
    const unescaped = part.replaceAll('~1', '/').replaceAll('~0', '~');
    loc.push(/^\d+$/.test(unescaped) ? Number(unescaped) : unescaped);
  }
  const keyword = v.keyword ?? 'invalid';
  if (keyword === 'required' && typeof v.params?.['missingProperty'] === 'string') {
    loc.push(v.params['missingProperty']);
    return { loc, msg: 'Field required', type: 'missing' };
  }
  const msg = v.message ? v.message.charAt(0).toUpperCase() + v.message.slice(1) : 'Invalid value';
  return { loc, msg, type: keyword };
}
