/**
 * The v3 timeseries routes (docs/API.md): extract (202), status, cancel, analyze, export.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { AppDeps } from '../app.deps.js';
import { AppError } from '../../errors.js';
import { isTerminal, type JobRecord } from '../../jobs/job.js';
import { INTERNAL_FAILURE_MESSAGE } from '../../jobs/queue.js';
import { analyzeBaseSeries } from '../../timeseries/analyze.js';
import { toCsv } from '../../timeseries/export.js';
import type { ExtractionPrivate } from '../../timeseries/extraction.js';
import type { AnalyzeRequest, ExtractRequest, TimeseriesResponse } from '../../timeseries/types.js';
import { RETRY_AFTER_SECONDS } from '../errors.js';
import {
  AcceptedSchema,
  ErrorSchema,
  ExportQuery,
  JobIdParams,
  analyzeBodySchema,
  extractBodySchema,
} from '../schemas/timeseries.js';
import { checkTimeseriesBody, isUuid } from '../validate.js';

/** The status route's view of a record (the upstream fields + progress/created/updated; never the private payload). */
export function publicRecord(rec: JobRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { job_id: rec.id, status: rec.status };
  if (rec.status === 'FAILED') {
    out['error'] = rec.error ?? INTERNAL_FAILURE_MESSAGE;
    if (rec.code !== undefined) out['code'] = rec.code;
  }
  if (rec.status === 'SUCCESS') out['result'] = rec.result;
  if (rec.progress) out['progress'] = rec.progress;
  out['created'] = rec.created;
  out['updated'] = rec.updated;
  return out;
}

const JOB_NOT_FOUND = 'Job not found';
const EXTRACTION_NOT_FOUND = 'Extraction not found. It may have expired.';

/** Reads a job by id; non-UUID ids never reach the store. */
async function findJob(deps: AppDeps, id: string, notFound: string): Promise<JobRecord> {
  if (!isUuid(id)) throw new AppError('job_not_found', notFound);
  const rec = await deps.store.get(id);
  if (!rec) throw new AppError('job_not_found', notFound);
  return rec;
}

/** The timeseries route plugin. */
export function timeseriesRoutes(deps: AppDeps): FastifyPluginAsync {
  const limits = { maxSeriesOptions: deps.config.maxSeriesOptions, maxProcessingTime: deps.config.maxProcessingTime };
  return async (app) => {
    app.post(
      '/timeseries/extract',
      {
        schema: {
          tags: ['timeseries'],
          summary: 'Start an extraction job',
          description:
            'Validates the request and the area size, admits the job (503 with Retry-After when at capacity) and returns its id.',
          body: extractBodySchema(limits),
          response: { 202: AcceptedSchema, 404: ErrorSchema, 422: ErrorSchema, 503: ErrorSchema },
        },
      },
      async (request, reply) => {
        const body = request.body as ExtractRequest;
        checkTimeseriesBody(body);
        await deps.extraction.preflight(body);
        const id = randomUUID();
        try {
          await deps.queue.enqueue({ id, deadlineMs: body.max_processing_time ?? deps.config.maxProcessingTime }, body);
        } catch (err) {
          if (err instanceof AppError && err.code === 'at_capacity')
            void reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
          throw err;
        }
        return reply.code(202).send({ job_id: id, status: 'accepted' });
      },
    );

    // Finished records never change: clients polling a SUCCESS record get its body without a store read and a
    // re-serialisation (a PaleoCAR result is ~50 KB). Short TTL so an expired record soon answers 404 again.
    const finished = new LRUCache<string, string>({
      maxSize: 32 * 1024 * 1024,
      sizeCalculation: (s) => s.length || 1,
      ttl: 60_000,
    });
    app.get(
      '/timeseries/status/:job_id',
      {
        schema: {
          tags: ['timeseries'],
          summary: 'Job status (PENDING, PROCESSING, SUCCESS, FAILED)',
          params: JobIdParams,
        },
      },
      async (request, reply) => {
        const { job_id } = request.params as { job_id: string };
        let body = finished.get(job_id);
        if (body === undefined) {
          const rec = await findJob(deps, job_id, JOB_NOT_FOUND);
          body = JSON.stringify(publicRecord(rec));
          if (rec.status === 'SUCCESS' || rec.status === 'FAILED') finished.set(job_id, body);
        }
        return reply.type('application/json; charset=utf-8').send(body);
      },
    );

    app.delete(
      '/timeseries/status/:job_id',
      {
        schema: {
          tags: ['timeseries'],
          summary: 'Cancel a pending or running job (409 when it finished first; a second cancel is a no-op)',
          params: JobIdParams,
        },
      },
      async (request) => {
        const { job_id } = request.params as { job_id: string };
        const rec = await findJob(deps, job_id, JOB_NOT_FOUND);
        // The queue records the cancel with a compare-and-set and stops the work wherever it runs.
        const after = isTerminal(rec)
          ? rec
          : (await deps.queue.cancel(job_id), await findJob(deps, job_id, JOB_NOT_FOUND));
        if (after.status === 'FAILED' && after.code === 'job_cancelled') return publicRecord(after);
        if (!isTerminal(after))
          throw new AppError('internal_error', `Job ${job_id} is still ${after.status} after a cancel.`);
        throw new AppError('job_finished', `Job already finished: ${after.status}.`);
      },
    );

    app.post(
      '/timeseries/analyze',
      {
        schema: {
          tags: ['timeseries'],
          summary: 'Transform, slice and smooth a finished extraction (no raster I/O)',
          body: analyzeBodySchema(limits),
        },
      },
      async (request) => {
        const body = request.body as AnalyzeRequest & { zonal_statistic?: AnalyzeRequest['zonal_statistic'] };
        checkTimeseriesBody(body);
        const rec = await findJob(deps, body.extraction_id, EXTRACTION_NOT_FOUND);
        if (rec.status !== 'SUCCESS') throw new AppError('job_not_complete', `Extraction not complete: ${rec.status}`);
        const base = (rec.private as Partial<ExtractionPrivate> | undefined)?.base_series;
        const result = rec.result as TimeseriesResponse | undefined;
        if (!base || !result || base.timesteps.length === 0)
          throw new AppError('job_no_base_series', 'No base series found. Re-submit /extract.');
        return analyzeBaseSeries(
          base,
          {
            zonal_statistic: body.zonal_statistic ?? 'mean',
            transform: body.transform,
            requested_series_options: body.requested_series_options,
            time_range: body.time_range ?? null,
          },
          {
            dataset_id: result.dataset_id,
            variable_id: result.variable_id,
            area: result.area,
            n_cells: result.n_cells,
          },
        );
      },
    );

    app.get(
      '/timeseries/export/:job_id',
      {
        schema: {
          tags: ['timeseries'],
          summary: 'Download a finished extraction as CSV (timestep,<series>…) or JSON',
          params: JobIdParams,
          querystring: ExportQuery,
        },
      },
      async (request, reply) => {
        const { job_id } = request.params as { job_id: string };
        const { format = 'csv' } = request.query as { format?: 'csv' | 'json' };
        const rec = await findJob(deps, job_id, JOB_NOT_FOUND);
        if (rec.status !== 'SUCCESS') throw new AppError('job_not_complete', `Extraction not complete: ${rec.status}`);
        const result = rec.result as TimeseriesResponse;
        const stem = `skope-${result.dataset_id}-${result.variable_id}-${job_id.slice(0, 8)}`;
        if (format === 'json') {
          void reply.header('Content-Disposition', `attachment; filename="${stem}.json"`);
          return reply.type('application/json; charset=utf-8').send(JSON.stringify(result));
        }
        void reply.header('Content-Disposition', `attachment; filename="${stem}.csv"`);
        return reply.type('text/csv; charset=utf-8').send(toCsv(result));
      },
    );
  };
}
