/**
 * The time axis of a temporal release and the time-to-band rule. Pure; no I/O.
 *
 * A timestep key is an ISO-8601 string at the dataset's precision (`YYYY`, `YYYY-MM`, `YYYY-MM-DD` or
 * `YYYY-MM-DDTHH:MM:SSZ`), proleptic Gregorian, UTC, years 0001–9999 (there is no year 0).
 *
 *   timestep(i) = key(origin + i × step)     regular axis
 *               = values[i]                  enumerated axis
 *   chunk = index div chunk_size;  band = index mod chunk_size + 1 (1-based)
 *   file  = cogs/<variable>/<dataset>--fname(first key of chunk)--fname(last key of chunk).tif
 */
import { AppError } from '../../errors.js';

/** Precision of an axis: the length of its keys. */
export type Precision = 'year' | 'month' | 'day' | 'datetime';
export const PRECISIONS: readonly Precision[] = ['year', 'month', 'day', 'datetime'];

/** Key length per precision (4, 7, 10, 20 characters). */
export const KEY_LENGTH: Readonly<Record<Precision, number>> = { year: 4, month: 7, day: 10, datetime: 20 };

const KEY_RE: Readonly<Record<Precision, RegExp>> = {
  year: /^(\d{4})$/,
  month: /^(\d{4})-(\d{2})$/,
  day: /^(\d{4})-(\d{2})-(\d{2})$/,
  datetime: /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/,
};

/** Why a key or an axis was refused: `malformed` (a client sends it: HTTP 422), `unknown` (HTTP 404), `axis`. */
export type AxisErrorKind = 'malformed' | 'unknown' | 'axis';

/** A key or axis definition that breaks the axis rules. */
export class AxisError extends Error {
  constructor(
    readonly kind: AxisErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AxisError';
  }

  /** The same problem as an AppError: `timestep_malformed`, `timestep_not_found` or `invalid_request`. */
  toAppError(): AppError {
    const code =
      this.kind === 'malformed'
        ? 'timestep_malformed'
        : this.kind === 'unknown'
          ? 'timestep_not_found'
          : 'invalid_request';
    return new AppError(code, this.message);
  }
}

/** Civil date-time parts (UTC). Months and days are 1-based. */
export interface Instant {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : (DAYS_IN_MONTH[m - 1] ?? 0));

function validInstant(t: Instant): boolean {
  return (
    t.year >= 1 &&
    t.year <= 9999 &&
    t.month >= 1 &&
    t.month <= 12 &&
    t.day >= 1 &&
    t.day <= daysInMonth(t.year, t.month) &&
    t.hour <= 23 &&
    t.minute <= 59 &&
    t.second <= 59
  );
}

/** Days from 1970-01-01 to a proleptic-Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Seconds since 1970-01-01T00:00:00Z (negative before; exact in a double for years 1–9999). */
export function toSeconds(t: Instant): number {
  return daysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

export function fromSeconds(s: number): Instant {
  const days = Math.floor(s / 86400);
  let rest = s - days * 86400;
  const [year, month, day] = civilFromDays(days);
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  return { year, month, day, hour, minute, second: rest - minute * 60 };
}

/** Parse a key at a precision; missing parts are the start of the period (month 1, day 1, 00:00:00). */
export function parseKey(key: string, precision: Precision): Instant {
  const m = KEY_RE[precision].exec(key);
  if (!m) throw new AxisError('malformed', `'${key}' is not a ${precision}-precision timestep key.`);
  const p = m.slice(1).map(Number);
  const t: Instant = {
    year: p[0] ?? 1,
    month: p[1] ?? 1,
    day: p[2] ?? 1,
    hour: p[3] ?? 0,
    minute: p[4] ?? 0,
    second: p[5] ?? 0,
  };
  if (!validInstant(t)) throw new AxisError('malformed', `'${key}' is not a real proleptic-Gregorian date.`);
  return t;
}

/** Whether `key` is a well-formed key at `precision`. */
export function isKey(key: string, precision: Precision): boolean {
  try {
    parseKey(key, precision);
    return true;
  } catch {
    return false;
  }
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** The key of an instant at a precision (finer parts dropped). */
export function formatKey(t: Instant, precision: Precision): string {
  const y = String(t.year).padStart(4, '0');
  if (precision === 'year') return y;
  if (precision === 'month') return `${y}-${p2(t.month)}`;
  const d = `${y}-${p2(t.month)}-${p2(t.day)}`;
  if (precision === 'day') return d;
  return `${d}T${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}Z`;
}

/** RFC 3339 UTC form of an instant, always with a 4-digit year (`0103-01-01T00:00:00Z`). */
export const rfc3339 = (t: Instant): string => formatKey(t, 'datetime');

/** Step unit: years, months, days, hours, minutes, seconds. */
export type StepUnit = 'Y' | 'M' | 'D' | 'H' | 'MIN' | 'S';
export interface Step {
  n: number;
  unit: StepUnit;
}

const STEP_RE = /^P(?:(\d+)([YMD])|T(\d+)([HMS]))$/;
const UNIT_SECONDS: Readonly<Record<'D' | 'H' | 'MIN' | 'S', number>> = { D: 86400, H: 3600, MIN: 60, S: 1 };
const ALLOWED_UNITS: Readonly<Record<Precision, readonly StepUnit[]>> = {
  year: ['Y'],
  month: ['Y', 'M'],
  day: ['Y', 'M', 'D'],
  datetime: ['Y', 'M', 'D', 'H', 'MIN', 'S'],
};

/** Parse a single-unit ISO-8601 duration with an integer count ≥ 1 (`P1Y`, `P3M`, `PT6H`, `PT30M`). */
export function parseStep(step: string): Step {
  const m = STEP_RE.exec(step);
  if (!m) throw new AxisError('axis', `step '${step}' must be a single-unit ISO 8601 duration such as P1Y or PT6H.`);
  const n = Number(m[1] ?? m[3]);
  const unit: StepUnit = m[2] !== undefined ? (m[2] as 'Y' | 'M' | 'D') : m[4] === 'M' ? 'MIN' : (m[4] as 'H' | 'S');
  if (!(n >= 1) || !Number.isSafeInteger(n))
    throw new AxisError('axis', `step '${step}' must have a count of at least 1.`);
  return { n, unit };
}

const monthCounter = (t: Instant): number => t.year * 12 + (t.month - 1);

/** `t + k × step` with calendar arithmetic (Y/M move the month counter keeping day and time). */
export function addSteps(t: Instant, step: Step, k: number): Instant {
  if (step.unit === 'Y' || step.unit === 'M') {
    const months = monthCounter(t) + k * step.n * (step.unit === 'Y' ? 12 : 1);
    const out = { ...t, year: Math.floor(months / 12), month: (((months % 12) + 12) % 12) + 1 };
    if (!validInstant(out))
      throw new AxisError('axis', `${rfc3339(t)} plus ${k * step.n}${step.unit} is not a calendar date.`);
    return out;
  }
  const out = fromSeconds(toSeconds(t) + k * step.n * UNIT_SECONDS[step.unit]);
  if (!validInstant(out)) throw new AxisError('axis', `${rfc3339(t)} plus ${k} steps leaves years 0001–9999.`);
  return out;
}

/** Whole steps from `a` to `b`, rounded down (months for Y/M steps, seconds otherwise). */
function stepsBetween(a: Instant, b: Instant, step: Step): number {
  if (step.unit === 'Y' || step.unit === 'M')
    return Math.floor((monthCounter(b) - monthCounter(a)) / (step.n * (step.unit === 'Y' ? 12 : 1)));
  return Math.floor((toSeconds(b) - toSeconds(a)) / (step.n * UNIT_SECONDS[step.unit]));
}

/** A regular or enumerated time axis with its exact lookup. Immutable. */
export interface TimeAxis {
  readonly kind: 'regular' | 'enumerated';
  readonly precision: Precision;
  /** Number of timesteps, ≥ 1. */
  readonly count: number;
  /** First key. */
  readonly origin: string;
  /** Step (regular only), e.g. `P1Y`. */
  readonly step: string | null;
  /** Every key in order (enumerated: as declared; regular: generated on first use). */
  keys(): readonly string[];
  /** Key of a 0-based index; throws `unknown` outside `[0, count)`. */
  key(index: number): string;
  /** Exact lookup: `malformed` for a bad key, `unknown` for one not on the axis (never rounded). */
  index(key: string): number;
}

class RegularAxis implements TimeAxis {
  readonly kind = 'regular' as const;
  readonly values: null = null;
  private readonly start: Instant;
  private readonly parsed: Step;
  private cache: string[] | null = null;
  constructor(
    readonly precision: Precision,
    readonly origin: string,
    readonly step: string,
    readonly count: number,
  ) {
    this.start = parseKey(origin, precision);
    this.parsed = parseStep(step);
    if (!ALLOWED_UNITS[precision].includes(this.parsed.unit))
      throw new AxisError('axis', `step ${step} is finer than the axis precision ${precision}.`);
    if (!Number.isSafeInteger(count) || count < 1)
      throw new AxisError('axis', `count must be at least 1; got ${count}.`);
  }
  key(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.count)
      throw new AxisError('unknown', `index ${index} is outside the axis [0, ${this.count}).`);
    return formatKey(addSteps(this.start, this.parsed, index), this.precision);
  }
  keys(): readonly string[] {
    this.cache ??= Array.from({ length: this.count }, (_, i) => this.key(i));
    return this.cache;
  }
  index(key: string): number {
    const t = parseKey(key, this.precision);
    const candidate = stepsBetween(this.start, t, this.parsed);
    let ok = candidate >= 0 && candidate < this.count;
    if (ok) {
      try {
        ok = this.key(candidate) === key;
      } catch {
        ok = false;
      }
    }
    if (!ok) throw new AxisError('unknown', `${key} is not on the axis (origin ${this.origin}, step ${this.step}).`);
    return candidate;
  }
}

class EnumeratedAxis implements TimeAxis {
  readonly kind = 'enumerated' as const;
  readonly step: null = null;
  private readonly positions: Map<string, number>;
  constructor(
    readonly precision: Precision,
    readonly values: readonly string[],
  ) {
    if (values.length === 0) throw new AxisError('axis', 'an enumerated axis needs at least one value.');
    let prev = -Infinity;
    for (const v of values) {
      const s = toSeconds(parseKey(v, precision));
      if (s <= prev) throw new AxisError('axis', `enumerated values must be unique and strictly increasing at ${v}.`);
      prev = s;
    }
    this.positions = new Map(values.map((v, i) => [v, i]));
  }
  get count(): number {
    return this.values.length;
  }
  get origin(): string {
    return this.values[0] as string;
  }
  keys(): readonly string[] {
    return this.values;
  }
  key(index: number): string {
    const k = this.values[index];
    if (k === undefined || !Number.isInteger(index))
      throw new AxisError('unknown', `index ${index} is outside the axis [0, ${this.count}).`);
    return k;
  }
  index(key: string): number {
    parseKey(key, this.precision);
    const i = this.positions.get(key);
    if (i === undefined) throw new AxisError('unknown', `${key} is not on the axis.`);
    return i;
  }
}

/** A regular axis from its origin, step and count (as `overview.yml` stores it). */
export function regularAxis(precision: Precision, origin: string, step: string, count: number): TimeAxis {
  return new RegularAxis(precision, origin, step, count);
}

/** An enumerated axis (keys strictly increasing, unique, non-empty). */
export function enumeratedAxis(precision: Precision, values: readonly string[]): TimeAxis {
  return new EnumeratedAxis(precision, [...values]);
}

/**
 * A regular axis from origin, step and end (as `curated.yml` declares it): `end` must not precede `origin` and
 * origin plus whole steps must land exactly on `end`. `0103`/P1Y/`2000` → 1898 timesteps.
 */
export function regularAxisToEnd(precision: Precision, origin: string, step: string, end: string): TimeAxis {
  const a = parseKey(origin, precision);
  const b = parseKey(end, precision);
  const s = parseStep(step);
  if (!ALLOWED_UNITS[precision].includes(s.unit))
    throw new AxisError('axis', `step ${step} is finer than the axis precision ${precision}.`);
  if (toSeconds(b) < toSeconds(a)) throw new AxisError('axis', `end ${end} precedes origin ${origin}.`);
  const steps = stepsBetween(a, b, s);
  if (formatKey(addSteps(a, s, steps), precision) !== end)
    throw new AxisError('axis', `origin ${origin} plus whole steps of ${step} never reaches end ${end}.`);
  const axis = new RegularAxis(precision, origin, step, steps + 1);
  axis.keys(); // every timestep must be a calendar date (e.g. Jan 31 + P1M is an axis error)
  return axis;
}

/** Whether an enumerated key list is exactly what a regular axis from its first key with `step` generates. */
export function isRegular(precision: Precision, values: readonly string[], step: string): boolean {
  const first = values[0];
  const last = values[values.length - 1];
  if (first === undefined || last === undefined) return false;
  try {
    const axis = regularAxisToEnd(precision, first, step, last);
    const keys = axis.keys();
    return keys.length === values.length && keys.every((k, i) => k === values[i]);
  } catch {
    return false;
  }
}

/** Filename form of a key: every `:` replaced by `-` (`2000-01-01T06:00:00Z` → `2000-01-01T06-00-00Z`). */
export const fname = (key: string): string => key.replaceAll(':', '-');

/** Where one timestep lives: chunk (0-based), band inside the chunk's COG (1-based) and the chunk's item id. */
export interface BandLocation {
  index: number;
  chunk: number;
  band: number;
  itemId: string;
}

/** Chunking of an axis in index space, and the time-to-band rule. */
export class ChunkLayout {
  constructor(
    readonly datasetId: string,
    readonly axis: TimeAxis,
    readonly chunkSize: number,
  ) {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
      throw new AxisError('axis', `chunk_size must be an integer of at least 1; got ${chunkSize}.`);
  }
  /** ceil(count / chunk_size). */
  get chunkCount(): number {
    return Math.ceil(this.axis.count / this.chunkSize);
  }
  /** Inclusive first and last index of a chunk (the final chunk may be short). */
  bounds(chunk: number): [number, number] {
    if (!Number.isInteger(chunk) || chunk < 0 || chunk >= this.chunkCount)
      throw new AxisError('axis', `chunk ${chunk} is outside [0, ${this.chunkCount}).`);
    const first = chunk * this.chunkSize;
    return [first, Math.min(first + this.chunkSize, this.axis.count) - 1];
  }
  /** `<dataset>--fname(first key)--fname(last key)`. */
  itemId(chunk: number): string {
    const [first, last] = this.bounds(chunk);
    return `${this.datasetId}--${fname(this.axis.key(first))}--${fname(this.axis.key(last))}`;
  }
  /** Release-relative COG path `cogs/<variable>/<item-id>.tif`. */
  cogPath(variableId: string, chunk: number): string {
    return `cogs/${variableId}/${this.itemId(chunk)}.tif`;
  }
  /** Keys of one chunk, in axis order. */
  chunkKeys(chunk: number): string[] {
    const [first, last] = this.bounds(chunk);
    const out: string[] = [];
    for (let i = first; i <= last; i++) out.push(this.axis.key(i));
    return out;
  }
  /** Chunk and band of an index. */
  locateIndex(index: number): BandLocation {
    if (!Number.isInteger(index) || index < 0 || index >= this.axis.count)
      throw new AxisError('unknown', `index ${index} is outside the axis.`);
    const chunk = Math.floor(index / this.chunkSize);
    return { index, chunk, band: (index % this.chunkSize) + 1, itemId: this.itemId(chunk) };
  }
  /** Exact lookup of a key, then chunk, band and item id. Throws AxisError `malformed` or `unknown`. */
  locate(key: string): BandLocation {
    return this.locateIndex(this.axis.index(key));
  }
  /** Release-relative COG path and 1-based band of one timestep of one variable. */
  resolve(variableId: string, key: string): { path: string; band: number } {
    const loc = this.locate(key);
    return { path: `cogs/${variableId}/${loc.itemId}.tif`, band: loc.band };
  }
  /** Every COG path the rule names for these variables (variables × chunks). */
  cogPaths(variableIds: readonly string[]): string[] {
    const out: string[] = [];
    for (const v of variableIds) for (let c = 0; c < this.chunkCount; c++) out.push(this.cogPath(v, c));
    return out;
  }
}

const PERIOD_START = '0000-01-01T00:00:00Z';

/**
 * Normalise a range bound to a precision (extraction and analysis only; tile paths get none): a bound longer
 * than the precision's key whose extra tail is exactly the start of the period (`0103-01-01T00:00:00Z` at year
 * precision) is cut to the precision; a bound must otherwise be a key at that precision. A coarser bound, a
 * tail that is not the period start, or a length that is no key length (e.g. `0103-01-01T00`) is malformed.
 */
export function normalizeBound(bound: string, precision: Precision): string {
  const len = KEY_LENGTH[precision];
  let key = bound;
  if (bound.length > len) {
    const full = PRECISIONS.find((p) => KEY_LENGTH[p] === bound.length);
    if (full === undefined || bound.slice(len) !== PERIOD_START.slice(len, bound.length))
      throw new AxisError('malformed', `'${bound}' is not a ${precision}-precision timestep or the start of one.`);
    parseKey(bound, full);
    key = bound.slice(0, len);
  }
  parseKey(key, precision);
  return key;
}

/**
 * Indices of the timesteps whose instant lies within `[gte, lte]` (inclusive) after normalising both bounds.
 * Empty when the range selects nothing (the API answers 422). Throws AxisError `malformed`.
 */
export function selectRange(axis: TimeAxis, gte: string, lte: string): number[] {
  const lo = toSeconds(parseKey(normalizeBound(gte, axis.precision), axis.precision));
  const hi = toSeconds(parseKey(normalizeBound(lte, axis.precision), axis.precision));
  const out: number[] = [];
  axis.keys().forEach((k, i) => {
    const s = toSeconds(parseKey(k, axis.precision));
    if (s >= lo && s <= hi) out.push(i);
  });
  return out;
}

/**
 * Instants covered by the timesteps `[first, last]` (STAC extents): for an `aggregation_period` axis with a step,
 * from the first instant of `first` to one second before `last + step`; otherwise `[first, last]` instants.
 * RFC 3339 strings (`0103-01-01T00:00:00Z`, `0202-12-31T23:59:59Z`).
 */
export function interval(
  axis: TimeAxis,
  meaning: 'aggregation_period' | 'instant',
  firstKey: string,
  lastKey: string,
): [string, string] {
  const a = parseKey(firstKey, axis.precision);
  const b = parseKey(lastKey, axis.precision);
  if (meaning === 'aggregation_period' && axis.step !== null) {
    const end = fromSeconds(toSeconds(addSteps(b, parseStep(axis.step), 1)) - 1);
    return [rfc3339(a), rfc3339(end)];
  }
  return [rfc3339(a), rfc3339(b)];
}
