/**
 * A finished extraction as a download: CSV for `GET /timeseries/export/{id}?format=csv` and `skope extract`.
 */
import type { TimeseriesResponse } from './types.js';

/** CSV of a response: `timestep,<series name>…`, one row per timestep, missing values empty. */
export function toCsv(result: TimeseriesResponse): string {
  const header = ['timestep', ...result.series.map((s) => s.options.name)].map(csvCell).join(',');
  const timesteps = result.series[0]?.timesteps ?? [];
  const rows = timesteps.map((t, i) =>
    [
      csvCell(t),
      ...result.series.map((s) => (s.values[i] === null || s.values[i] === undefined ? '' : String(s.values[i]))),
    ].join(','),
  );
  return [header, ...rows].join('\n') + '\n';
}

/** A cell quoted when it holds a quote, comma or line break (RFC 4180). */
function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
