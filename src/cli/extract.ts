/**
 * `skope extract`: one extraction from the shell, on this thread (no server, no job store). Progress goes to
 * stderr, the result (CSV `timestep,<stat>` or the JSON response) to stdout.
 */
import { loadConfig } from '../config/config.js';
import { openData } from '../deps.js';
import { AppError } from '../errors.js';
import { toCsv } from '../timeseries/export.js';
import { createExtraction } from '../timeseries/extraction.js';
import type { ExtractRequest, ZonalStatistic } from '../timeseries/types.js';
import { takeFlags } from './flags.js';
import { boxPolygon } from '../geo/box.js';
import { loadGeometryEngine } from '../geo/geos.js';

/** Where the command writes. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  readText(path: string): Promise<string>;
}

const OWN = ['dataset', 'variable', 'geojson', 'bbox', 'point', 'stat', 'from', 'to', 'format', 'coverage'];

function numbers(text: string, n: number, flag: string): number[] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== n || parts.some((x) => !Number.isFinite(x)))
    throw new AppError('invalid_request', `--${flag}: expected ${n} comma-separated numbers, got '${text}'.`);
  return parts;
}

/** Runs `skope extract …`; resolves with the exit code. */
export async function runExtractCommand(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  const { own, rest } = takeFlags(argv, OWN);
  const config = loadConfig(env, rest);
  const dataset = own.get('dataset');
  const variable = own.get('variable');
  if (!dataset || !variable) throw new AppError('invalid_request', 'skope extract needs --dataset and --variable.');
  let area: Record<string, unknown>;
  const geojson = own.get('geojson');
  const bbox = own.get('bbox');
  const point = own.get('point');
  if (geojson !== undefined) area = JSON.parse(await io.readText(geojson)) as Record<string, unknown>;
  else if (bbox !== undefined) {
    const [w, s, e, n] = numbers(bbox, 4, 'bbox') as [number, number, number, number];
    area = boxPolygon(w, s, e, n);
  } else if (point !== undefined) area = { type: 'Point', coordinates: numbers(point, 2, 'point') };
  else throw new AppError('invalid_request', 'skope extract needs --geojson FILE, --bbox W,S,E,N or --point LON,LAT.');
  const stat = (own.get('stat') ?? 'mean') as ZonalStatistic;
  if (stat !== 'mean' && stat !== 'median') throw new AppError('invalid_request', '--stat must be mean or median.');
  const format = own.get('format') ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new AppError('invalid_request', '--format must be csv or json.');
  const from = own.get('from');
  const to = own.get('to');
  const coverage = own.get('coverage');
  if (coverage !== undefined && !['centre', 'all_touched', 'fractional'].includes(coverage))
    throw new AppError('invalid_request', '--coverage must be centre, all_touched or fractional.');

  const request: ExtractRequest = {
    dataset_id: dataset,
    variable_id: variable,
    selected_area: area,
    zonal_statistic: stat,
    transform: { type: 'NoTransform' },
    requested_series_options: [{ name: stat, smoother: { type: 'NoSmoother' } }],
    time_range: null,
    ...(coverage ? { coverage: coverage as NonNullable<ExtractRequest['coverage']> } : {}),
  };
  const { cogs, datasets } = await openData(config);
  if (from !== undefined || to !== undefined) {
    // One open end: the variable's first or last timestep.
    const keys = [...((await datasets.lookups.get(dataset)).get(variable)?.keys() ?? [])];
    request.time_range = { gte: from ?? keys[0] ?? '', lte: to ?? keys[keys.length - 1] ?? '' };
  }
  const extraction = createExtraction(config, datasets, cogs, await loadGeometryEngine(), { inline: true }).service;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new AppError('aborted', 'Interrupted.'));
  process.once('SIGINT', onSigint);
  try {
    const started = Date.now();
    const { result } = await extraction.run(request, {
      signal: controller.signal,
      onProgress(done, total) {
        const pct = total === 0 ? 100 : Math.round((100 * done) / total);
        const bar = '#'.repeat(Math.round(pct / 5)).padEnd(20, '.');
        io.stderr.write(`\r[${bar}] ${pct}% ${done}/${total} timesteps`);
      },
    });
    io.stderr.write(`\nDone in ${((Date.now() - started) / 1000).toFixed(2)} s: ${result.n_cells} cells.\n`);
    io.stdout.write(format === 'json' ? JSON.stringify(result, null, 2) + '\n' : toCsv(result));
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await cogs.close();
  }
}
