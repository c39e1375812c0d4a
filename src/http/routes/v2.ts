/**
 * The legacy v2 route the SKOPE UI calls in production: `POST /timeseries`, answered synchronously within
 * `max_processing_time` (504 after it). Body tolerance: dates may be `YYYY-MM-DD` (truncated to the dataset's
 * precision), unknown fields are ignored, `time_range` and its keys are optional (the dataset period fills them).
 * Transforms and smoothers see data outside the range: the extraction reads the extra timesteps they need, then the
 * response is cut to the range; an "Original" summary entry comes first when a transform is requested.
 * Every 4xx/5xx uses the array error form (the UI calls `detail.map`).
 */
import { setMaxListeners } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.deps.js';
import { AppError, raceAbort } from '../../errors.js';
import { analyzeBaseSeries } from '../../timeseries/analyze.js';
import type { ExtractRequest, SeriesOptions, TimeRange, Transform, ZonalStatistic } from '../../timeseries/types.js';
import { v2BodySchema } from '../schemas/timeseries.js';
import { checkTimeseriesBody } from '../validate.js';

interface V2Body {
  dataset_id: string;
  variable_id: string;
  selected_area: Record<string, unknown>;
  zonal_statistic?: ZonalStatistic;
  transform?: Transform;
  requested_series_options: SeriesOptions[];
  time_range?: { gte?: string | null; lte?: string | null } | null;
  max_processing_time?: number;
  coverage?: ExtractRequest['coverage'];
}

/** Timesteps before/after the range that the transform and smoothers look at. */
export function edgeMargins(
  transform: Transform,
  options: readonly SeriesOptions[],
): { before: number; after: number } {
  let before = transform.type === 'ZScoreMovingInterval' ? transform.width : 0;
  let after = 0;
  for (const o of options) {
    if (o.smoother.type !== 'MovingAverageSmoother') continue;
    const w = o.smoother.width;
    if (o.smoother.method === 'trailing') before = Math.max(before, w - 1);
    else {
      before = Math.max(before, (w - 1) / 2);
      after = Math.max(after, (w - 1) / 2);
    }
  }
  return { before, after };
}

/** The v2 route plugin. */
export function v2Routes(deps: AppDeps): FastifyPluginAsync {
  const limits = { maxSeriesOptions: deps.config.maxSeriesOptions, maxProcessingTime: deps.config.maxProcessingTime };
  return async (app) => {
    app.post(
      '/timeseries',
      {
        config: { errorShape: 'array' },
        schema: {
          tags: ['timeseries'],
          summary: 'Synchronous extraction (legacy v2 route used by the SKOPE UI)',
          body: v2BodySchema(limits),
        },
      },
      async (request) => {
        const body = request.body as V2Body;
        checkTimeseriesBody(body);
        const transform: Transform = body.transform ?? { type: 'NoTransform' };
        const keys = await deps.extraction.timesteps(body.dataset_id, body.variable_id);
        const first = keys[0];
        const last = keys[keys.length - 1];
        if (first === undefined || last === undefined)
          throw new AppError('time_range_empty', `Variable '${body.variable_id}' has no timesteps.`);
        const dataset = deps.registry.get(body.dataset_id);
        const period = dataset?.period ?? null;
        // A static release has one timestep, `static`: the UI's dates do not apply to it.
        const precision = dataset?.release?.precision === 'static' ? Infinity : first.length;
        // v2 dates: cut finer dates to the dataset's precision (e.g. 0001-01-01 → 0001 on annual data).
        const cut = (k: string | null | undefined, fallback: string): string =>
          k == null ? fallback : k.length > precision ? k.slice(0, precision) : k;
        const range: TimeRange =
          precision === Infinity
            ? { gte: first, lte: last }
            : {
                gte: cut(body.time_range?.gte, period?.gte ?? first),
                lte: cut(body.time_range?.lte, period?.lte ?? last),
              };
        if (range.gte > range.lte) throw new AppError('invalid_request', 'Start date cannot be after end date.');

        const { before, after } = edgeMargins(transform, body.requested_series_options);
        const from = keys.findIndex((k) => k >= range.gte);
        let to = keys.length - 1;
        while (to >= 0 && (keys[to] as string) > range.lte) to--;
        const extended: TimeRange =
          from === -1 || to < from
            ? range
            : {
                gte: keys[Math.max(0, from - before)] as string,
                lte: keys[Math.min(keys.length - 1, to + after)] as string,
              };

        const deadlineMs = body.max_processing_time ?? deps.config.maxProcessingTime;
        const controller = new AbortController();
        // Many block reads listen to this one signal at once; that is not a leak.
        setMaxListeners(0, controller.signal);
        const timer = setTimeout(
          () => controller.abort(new AppError('deadline_exceeded', `Processing exceeded ${deadlineMs} ms.`)),
          deadlineMs,
        );
        try {
          const request3: ExtractRequest = {
            dataset_id: body.dataset_id,
            variable_id: body.variable_id,
            selected_area: body.selected_area,
            zonal_statistic: body.zonal_statistic ?? 'mean',
            transform: { type: 'NoTransform' },
            requested_series_options: [{ name: 'raw', smoother: { type: 'NoSmoother' } }],
            time_range: extended,
            ...(body.coverage ? { coverage: body.coverage } : {}),
          };
          await deps.extraction.preflight(request3);
          const release = deps.syncAdmission.enter();
          if (deadlineMs === 0)
            controller.abort(new AppError('deadline_exceeded', `Processing exceeded ${deadlineMs} ms.`));
          const running = deps.extraction.run(request3, { signal: controller.signal });
          // The slot is held until the extraction itself ends (after a deadline the answer may come first).
          void running.then(release, release);
          const out = await raceAbort(running, controller.signal);
          // A fixed z-score without its own reference uses the requested range, not the extra edge timesteps.
          const effective: Transform =
            transform.type === 'ZScoreFixedInterval' && !transform.time_range
              ? { type: 'ZScoreFixedInterval', time_range: range }
              : transform;
          const response = analyzeBaseSeries(
            out.base_series,
            {
              zonal_statistic: body.zonal_statistic ?? 'mean',
              transform: effective,
              requested_series_options: body.requested_series_options,
              time_range: range,
            },
            {
              dataset_id: body.dataset_id,
              variable_id: body.variable_id,
              area: out.result.area,
              n_cells: out.result.n_cells,
            },
            { originalEntry: true, smoothBeforeSlice: true },
          );
          return { ...response, transform };
        } finally {
          clearTimeout(timer);
        }
      },
    );
  };
}
