/**
 * `GET /point/{dataset}/{variable}/{lon},{lat}`: the value of the cell under a point (lon/lat, EPSG:4326) for every
 * timestep of the variable, synchronously (no job), within `max_processing_time`.
 */
import { setMaxListeners } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../app.deps.js';
import { AppError } from '../../errors.js';
import { invalid } from '../errors.js';

const NUMBER = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** The point route plugin. */
export function pointRoutes(deps: AppDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/point/:dataset_id/:variable_id/:coords',
      {
        schema: {
          tags: ['timeseries'],
          summary: "One cell's full series at lon,lat",
          params: Type.Object({
            dataset_id: Type.String(),
            variable_id: Type.String(),
            coords: Type.String({ description: '`lon,lat` in degrees (EPSG:4326).' }),
          }),
        },
      },
      async (request) => {
        const { dataset_id, variable_id, coords } = request.params as {
          dataset_id: string;
          variable_id: string;
          coords: string;
        };
        const parts = coords.split(',');
        if (parts.length !== 2 || !parts.every((p) => NUMBER.test(p)))
          throw invalid(['path', 'coords'], 'Expected `lon,lat` as two decimal numbers.');
        const lon = Number(parts[0]);
        const lat = Number(parts[1]);
        if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
          throw invalid(['path', 'coords'], 'Longitude must be within [-180, 180] and latitude within [-90, 90].');
        const deadlineMs = deps.config.maxProcessingTime;
        const controller = new AbortController();
        // Many block reads listen to this one signal at once; that is not a leak.
        setMaxListeners(0, controller.signal);
        const timer = setTimeout(
          () => controller.abort(new AppError('deadline_exceeded', `Processing exceeded ${deadlineMs} ms.`)),
          deadlineMs,
        );
        let release: (() => void) | undefined;
        try {
          const req = {
            dataset_id,
            variable_id,
            selected_area: { type: 'Point', coordinates: [lon, lat] },
            zonal_statistic: 'mean' as const,
            transform: { type: 'NoTransform' as const },
            requested_series_options: [{ name: 'value', smoother: { type: 'NoSmoother' as const } }],
            time_range: null,
          };
          await deps.extraction.preflight(req);
          release = deps.syncAdmission.enter();
          const out = await deps.extraction.run(req, { signal: controller.signal });
          return {
            dataset_id,
            variable_id,
            lon,
            lat,
            timesteps: out.base_series.timesteps,
            values: out.base_series.mean,
          };
        } finally {
          release?.();
          clearTimeout(timer);
        }
      },
    );
  };
}
