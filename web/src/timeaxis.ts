/**
 * Timestep keys of a regular axis, as the server names them: `YYYY` for years, `YYYY-MM` for months (zero-padded),
 * and where a key sits on the chart's x axis (decimal years).
 */

/** Precision of a timestep key, by its form: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, datetime. */
export type Precision = 'year' | 'month' | 'day' | 'datetime';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Step in units of the precision: `P5Y` → 5 (years), `P1M` → 1 (months); null or unreadable → 1. */
function stepOf(step: string | null, precision: Precision): number {
  const m = step === null ? null : /^P(\d+)([YM])$/.exec(step);
  if (m === null) return 1;
  const n = Number(m[1]);
  return precision === 'month' && m[2] === 'Y' ? n * 12 : n;
}

/**
 * Every key from `origin` to `end` inclusive. Years and months only; any other precision gives the two ends (the
 * viewer then steps between them alone). A malformed end gives `[origin]`; at most 100 000 keys.
 */
export function timeAxis(origin: string, end: string, precision: Precision, step: string | null): string[] {
  const n = stepOf(step, precision);
  if (precision === 'year' && /^\d{4}$/.test(origin) && /^\d{4}$/.test(end)) {
    const out: string[] = [];
    for (let y = Number(origin); y <= Number(end) && out.length < 100_000; y += n) out.push(pad(y, 4));
    return out;
  }
  const mo = /^(\d{4})-(\d{2})$/.exec(origin);
  const me = /^(\d{4})-(\d{2})$/.exec(end);
  if (precision === 'month' && mo && me) {
    const out: string[] = [];
    const last = Number(me[1]) * 12 + Number(me[2]) - 1;
    for (let i = Number(mo[1]) * 12 + Number(mo[2]) - 1; i <= last && out.length < 100_000; i += n) {
      out.push(`${pad(Math.floor(i / 12), 4)}-${pad((i % 12) + 1, 2)}`);
    }
    return out;
  }
  if (!origin) return [];
  return origin === end || !end ? [origin] : [origin, end];
}

/** A key as decimal years for the chart's x axis: `0103` → 103, `1981-07` → 1981.5; NaN when unreadable. */
export function keyToYear(key: string): number {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(key);
  if (m === null) return Number.NaN;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 0 : Number(m[2]) - 1;
  const day = m[3] === undefined ? 0 : Number(m[3]) - 1;
  return year + month / 12 + day / 365.25;
}

/** The label of a decimal year on the chart: the year, or `YYYY-MM` when `precision` is month. */
export function yearLabel(x: number, precision: Precision): string {
  if (precision !== 'month') return String(Math.round(x));
  const i = Math.round(x * 12);
  return `${pad(Math.floor(i / 12), 4)}-${pad((i % 12) + 1, 2)}`;
}
