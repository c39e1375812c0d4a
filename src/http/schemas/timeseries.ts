/**
 * Request schemas of the timeseries routes (TypeBox), defined once and used both for validation and for the
 * OpenAPI document. Limits come from the configuration, so schemas are built per app. Cross-field rules that JSON
 * Schema cannot express (unique names, gte ≤ lte, odd centered widths) live in `validate.ts`.
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** ASCII identifier: letters, digits, `_` and `-` (dataset and variable ids). */
export const ID_PATTERN = '^[A-Za-z0-9_-]+$';
/** ISO-8601 timestep as the upstream API accepts it (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, datetime); no calendar check. */
export const TIME_PATTERN = '^\\d{4}(?:-\\d{2}(?:-\\d{2}(?:T\\d{2}:\\d{2}:\\d{2}(?:Z|[+-]\\d{2}:\\d{2})?)?)?)?$';
/** Canonical UUID (any version), the only job id shape we accept. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Limits from the configuration that shape the schemas. */
export interface SchemaLimits {
  maxSeriesOptions: number;
  /** ms */
  maxProcessingTime: number;
}

const Id = (description: string): TSchema =>
  Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 128, description });
const TimeKey = Type.String({
  pattern: TIME_PATTERN,
  description: 'ISO-8601 timestep: YYYY, YYYY-MM, YYYY-MM-DD or a datetime.',
});

/** `{gte, lte}` inclusive bounds. */
export const TimeRangeSchema = Type.Object({ gte: TimeKey, lte: TimeKey }, { description: 'Inclusive time range.' });

/** The transform union (docs/API.md, Timeseries). */
export const TransformSchema = Type.Union([
  Type.Object({ type: Type.Literal('NoTransform') }),
  Type.Object({
    type: Type.Literal('ZScoreFixedInterval'),
    time_range: Type.Optional(Type.Union([TimeRangeSchema, Type.Null()])),
  }),
  Type.Object({ type: Type.Literal('ZScoreMovingInterval'), width: Type.Integer({ minimum: 1, maximum: 200 }) }),
]);

/** The smoother union (docs/API.md, Timeseries). */
export const SmootherSchema = Type.Union([
  Type.Object({ type: Type.Literal('NoSmoother') }),
  Type.Object({
    type: Type.Literal('MovingAverageSmoother'),
    method: Type.Union([Type.Literal('centered'), Type.Literal('trailing')]),
    width: Type.Integer({ minimum: 1, maximum: 200 }),
  }),
]);

const SeriesOption = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_ -]+$' }),
  smoother: SmootherSchema,
});

const SeriesOptions = (limits: SchemaLimits): TSchema =>
  Type.Array(SeriesOption, { minItems: 1, maxItems: limits.maxSeriesOptions, description: 'Unique names.' });

/** GeoJSON Point | Polygon | Feature | FeatureCollection (lon/lat, EPSG:4326); fully checked by the geo module. */
export const GeoJsonSchema = Type.Object(
  {
    type: Type.Union([
      Type.Literal('Point'),
      Type.Literal('Polygon'),
      Type.Literal('Feature'),
      Type.Literal('FeatureCollection'),
    ]),
  },
  {
    additionalProperties: true,
    description: 'GeoJSON Point, Polygon, Feature or FeatureCollection in lon/lat (EPSG:4326).',
  },
);

const ZonalStatistic = Type.Union([Type.Literal('mean'), Type.Literal('median')]);
const Coverage = Type.Union([Type.Literal('centre'), Type.Literal('all_touched'), Type.Literal('fractional')], {
  description: 'Cell selection: centre (default, with the all-touched fallback), all_touched, or fractional weights.',
});

/** Body of `POST /timeseries/extract`. `time_range` is required but may be null (= the dataset period). */
export function extractBodySchema(limits: SchemaLimits): TSchema {
  return Type.Object({
    dataset_id: Id('Registry dataset id.'),
    variable_id: Id('Registry variable id.'),
    selected_area: GeoJsonSchema,
    zonal_statistic: ZonalStatistic,
    transform: TransformSchema,
    requested_series_options: SeriesOptions(limits),
    time_range: Type.Union([TimeRangeSchema, Type.Null()]),
    max_processing_time: Type.Optional(
      Type.Integer({ minimum: 0, maximum: limits.maxProcessingTime, description: 'Deadline (ms).' }),
    ),
    coverage: Type.Optional(Coverage),
  });
}

/** Body of the v2 `POST /timeseries`: like extract, but `time_range` and its keys are optional (the UI omits them). */
export function v2BodySchema(limits: SchemaLimits): TSchema {
  return Type.Object({
    dataset_id: Id('Registry dataset id.'),
    variable_id: Id('Registry variable id.'),
    selected_area: GeoJsonSchema,
    zonal_statistic: Type.Optional(ZonalStatistic),
    transform: Type.Optional(TransformSchema),
    requested_series_options: SeriesOptions(limits),
    time_range: Type.Optional(
      Type.Union([
        Type.Object({
          gte: Type.Optional(Type.Union([TimeKey, Type.Null()])),
          lte: Type.Optional(Type.Union([TimeKey, Type.Null()])),
        }),
        Type.Null(),
      ]),
    ),
    max_processing_time: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.maxProcessingTime })),
    coverage: Type.Optional(Coverage),
  });
}

/** Body of `POST /timeseries/analyze` (docs/API.md). */
export function analyzeBodySchema(limits: SchemaLimits): TSchema {
  return Type.Object({
    extraction_id: Type.String({ description: 'The job id of a SUCCESS extraction (a UUID).' }),
    zonal_statistic: Type.Optional(ZonalStatistic),
    transform: TransformSchema,
    requested_series_options: SeriesOptions(limits),
    time_range: Type.Optional(Type.Union([TimeRangeSchema, Type.Null()])),
  });
}

/** `{job_id}` path parameter. */
export const JobIdParams = Type.Object({ job_id: Type.String() });

/** `?format=csv|json` of the export route. */
export const ExportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')])),
});

/** 202 body of extract. */
export const AcceptedSchema = Type.Object({
  job_id: Type.String({ format: 'uuid' }),
  status: Type.Literal('accepted'),
});

/** Body of every domain error. */
export const ErrorSchema = Type.Object(
  { detail: Type.Unknown(), code: Type.String() },
  { description: 'Error: a sentence (or validation items) and a stable code.' },
);
