/**
 * The dataset registry (`metadata.yml`): validated, colormaps resolved, every other key kept in file order for
 * `/metadata`.
 */
import { parse as parseYaml } from 'yaml';
import { AppError } from '../errors.js';
import type { Affine } from '../geo/affine.js';
import type { ColormapSet } from './colormaps.js';
import { TIMESTEP_PATTERN } from './timestep.js';
import type { DatasetEntry, Registry, VariableEntry } from './types.js';

/** The colormap a variable gets when its `colormap` is missing or empty (upstream's startup default). */
export const DEFAULT_COLORMAP = 'viridis';

type Json = Record<string, unknown>;

/**
 * Parses and validates a registry YAML document: a list of datasets, each with `id`, `crs` (string) and a 6- or
 * 9-element numeric `transform`; optional `timespan.period.{gte,lte}` ISO strings and `variables[]` with unique
 * `id`s. Every variable gets `colormap` (default `viridis`) and `colormap_stops` from `colormaps`.
 * @param source where the text came from (path or URL), kept in error details.
 * @throws AppError `registry_invalid` (the upstream API's sentences where it had one) | `colormap_not_found`.
 */
export function parseRegistry(yamlText: string, colormaps: ColormapSet, source: string): Registry {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (err) {
    throw invalid(`Failed to parse registry YAML: ${(err as Error).message}`, source, err);
  }
  if (!Array.isArray(doc)) throw invalid('Registry must be a YAML list of datasets.', source);
  const datasets = new Map<string, DatasetEntry>();
  for (const item of doc) {
    const entry = parseDataset(item, colormaps, source);
    if (datasets.has(entry.id)) throw invalid(`Registry contains more than one dataset with id '${entry.id}'.`, source);
    datasets.set(entry.id, entry);
  }
  const list = Object.freeze([...datasets.values()]);
  return {
    list: () => list,
    get: (datasetId) => datasets.get(datasetId) ?? null,
    getVariable: (datasetId, variableId) => datasets.get(datasetId)?.variables.find((v) => v.id === variableId) ?? null,
  };
}

/**
 * The dataset and variable a request names: the one check every route that takes a dataset and a variable runs first.
 * @throws AppError `dataset_not_found` | `variable_not_found` (both 404).
 */
export function requireVariable(
  registry: Registry,
  datasetId: string,
  variableId: string,
): { dataset: DatasetEntry; variable: VariableEntry } {
  const dataset = registry.get(datasetId);
  if (dataset === null) throw new AppError('dataset_not_found', `Dataset '${datasetId}' not found.`);
  const variable = registry.getVariable(datasetId, variableId);
  if (variable === null) {
    throw new AppError('variable_not_found', `Variable '${variableId}' not found in dataset '${datasetId}'.`);
  }
  return { dataset, variable };
}

function parseDataset(item: unknown, colormaps: ColormapSet, source: string): DatasetEntry {
  if (!isMapping(item) || !isNonEmptyString(item['id'])) {
    throw invalid("Registry contains a dataset entry without an 'id'.", source);
  }
  const id = item['id'];
  if (item['crs'] === undefined || item['crs'] === null || item['crs'] === '') {
    throw invalid(`Dataset '${id}' is missing required 'crs'.`, source);
  }
  if (typeof item['crs'] !== 'string') throw invalid(`Dataset '${id}' has a 'crs' that is not a string.`, source);
  const transform = parseTransform(id, item['transform'], source);
  const period = parsePeriod(id, item['timespan'], source);

  const rawVariables = item['variables'] ?? [];
  if (!Array.isArray(rawVariables)) throw invalid(`Dataset '${id}' has 'variables' that is not a list.`, source);
  const variables: VariableEntry[] = [];
  for (const v of rawVariables) {
    const variable = parseVariable(id, v, colormaps, source);
    if (variables.some((other) => other.id === variable.id)) {
      throw invalid(`Dataset '${id}' has more than one variable with id '${variable.id}'.`, source);
    }
    variables.push(variable);
  }
  const raw: Json = { ...item };
  if ('variables' in item) raw['variables'] = variables.map((v) => v.raw);
  return deepFreeze({ id, crs: item['crs'], transform, period, variables, raw });
}

function parseTransform(id: string, value: unknown, source: string): Affine {
  if (
    !Array.isArray(value) ||
    (value.length !== 6 && value.length !== 9) ||
    !value.every((n) => typeof n === 'number')
  ) {
    throw invalid(`Dataset '${id}' is missing a valid 6- or 9-element 'transform' array.`, source);
  }
  const numbers = value as number[];
  if (!numbers.every(Number.isFinite)) throw invalid(`Dataset '${id}' has a non-finite number in 'transform'.`, source);
  const [a, b, c, d, e, f] = numbers as [number, number, number, number, number, number];
  if (a * e - b * d === 0) throw invalid(`Dataset '${id}' has a singular 'transform' (zero pixel size).`, source);
  return [a, b, c, d, e, f];
}

function parsePeriod(id: string, timespan: unknown, source: string): DatasetEntry['period'] {
  const period = isMapping(timespan) ? timespan['period'] : undefined;
  if (!isMapping(period) || (period['gte'] === undefined && period['lte'] === undefined)) return null;
  const bounds = [period['gte'], period['lte']];
  for (const [name, bound] of [
    ['gte', bounds[0]],
    ['lte', bounds[1]],
  ] as const) {
    if (typeof bound !== 'string' || !TIMESTEP_PATTERN.test(bound)) {
      // Unquoted YAML years are numbers (0103 → 103), so insist on strings.
      throw invalid(
        `Dataset '${id}' has an invalid 'timespan.period.${name}' ${JSON.stringify(bound)}: expected a quoted ` +
          `ISO-8601 string such as '0103'.`,
        source,
      );
    }
  }
  return { gte: bounds[0] as string, lte: bounds[1] as string };
}

function parseVariable(datasetId: string, value: unknown, colormaps: ColormapSet, source: string): VariableEntry {
  if (!isMapping(value) || !isNonEmptyString(value['id'])) {
    throw invalid(`Dataset '${datasetId}' has a variable without an 'id'.`, source);
  }
  const id = value['id'];
  const requested = value['colormap'];
  if (requested !== undefined && requested !== null && typeof requested !== 'string') {
    throw invalid(`Variable '${id}' of dataset '${datasetId}' has a 'colormap' that is not a string.`, source);
  }
  // Upstream gives every variable without a truthy colormap the default.
  const name = requested ? requested : DEFAULT_COLORMAP;
  const colormap = colormaps.get(name);
  if (!colormap) {
    throw new AppError(
      'colormap_not_found',
      `Colormap '${name}' (used by variable '${id}') is not in the custom colormaps and is not a built-in colormap.`,
      { details: { source, dataset: datasetId, variable: id, colormap: name } },
    );
  }
  const stops = [...colormap.stops];
  // Assigning keeps an existing `colormap` key in place and appends missing keys, as upstream's dict did.
  const raw: Json = { ...value, colormap: name, colormap_stops: stops };
  return { id, colormap: name, colormapStops: stops, raw };
}

function invalid(message: string, source: string, cause?: unknown): AppError {
  return new AppError('registry_invalid', message, { cause, details: { source } });
}

function isMapping(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
