/**
 * Cross-field request rules JSON Schema cannot express, with the upstream API's sentences (clients show them). Each failure is
 * a 422 in the FastAPI validation shape.
 */
import type { SeriesOptions, Transform } from '../timeseries/types.js';
import { RequestValidationError, type ValidationItem } from './errors.js';
import { UUID_PATTERN } from './schemas/timeseries.js';

/** Checks series names, smoother widths and time ranges of an extract/analyze body. */
export function checkTimeseriesBody(body: {
  requested_series_options: SeriesOptions[];
  transform?: Transform;
  time_range?: { gte?: string | null; lte?: string | null } | null;
}): void {
  const items: ValidationItem[] = [];
  const names = body.requested_series_options.map((o) => o.name);
  if (new Set(names).size !== names.length)
    items.push({
      loc: ['body', 'requested_series_options'],
      msg: 'Series option names must be unique.',
      type: 'value_error',
    });
  body.requested_series_options.forEach((o, i) => {
    if (o.smoother.type === 'MovingAverageSmoother' && o.smoother.method === 'centered' && o.smoother.width % 2 === 0)
      items.push({
        loc: ['body', 'requested_series_options', i, 'smoother'],
        msg: 'Window width must be odd for centered windows',
        type: 'value_error',
      });
  });
  checkRange(body.time_range, ['body', 'time_range'], items);
  if (body.transform?.type === 'ZScoreFixedInterval')
    checkRange(body.transform.time_range, ['body', 'transform', 'time_range'], items);
  if (items.length > 0) throw new RequestValidationError(items);
}

function checkRange(
  range: { gte?: string | null; lte?: string | null } | null | undefined,
  loc: (string | number)[],
  items: ValidationItem[],
): void {
  // Plain string comparison, as upstream: bounds of different precision compare as text.
  if (range?.gte != null && range.lte != null && range.gte > range.lte)
    items.push({ loc, msg: 'Start date cannot be after end date.', type: 'value_error' });
}

/** True for a canonical UUID: anything else is answered 404 without touching the store (no id can be a path). */
export function isUuid(id: string): boolean {
  return UUID_PATTERN.test(id);
}
