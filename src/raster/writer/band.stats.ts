/**
 * Per-band statistics as GDAL computes and stores them (`gdalinfo -stats`, the COG driver's STATISTICS=YES):
 * over the valid cells of the full-resolution band (nodata and NaN excluded), minimum, maximum, mean, population
 * standard deviation and the share of valid cells. Pure kernels over typed arrays, merged strip by strip
 * (Chan et al.'s pairwise update), so a band is never held whole and the result does not depend on strip sizes
 * beyond float rounding.
 */
import type { TypedArray } from '../types.js';

/**
 * Running moments of the valid cells seen so far (value units of the stored data). Integer bands keep exact sums
 * (`sumBig`, `sqBig`), so their statistics do not depend on how the band was cut into strips; float bands keep a
 * compensated sum and the sum of squared deviations (exact to the last few bits).
 */
export interface Moments {
  /** Cells seen, valid or not. */
  total: number;
  /** Valid cells. */
  n: number;
  /** Integers: exact Σv and Σv². */
  sumBig: bigint;
  sqBig: bigint;
  /** Floats: Σv as an unevaluated pair `sum + comp` (Neumaier's compensated summation). */
  sum: number;
  comp: number;
  /** Floats: sum of squared deviations from the mean. */
  m2: number;
  /** Smallest and largest valid value (+∞ / −∞ when n = 0). */
  min: number;
  max: number;
}

/** Statistics of one band in stored (native) value space. */
export interface BandStatistics {
  /** Valid (not nodata, not NaN) cells and all cells of the full-resolution band. */
  validCount: number;
  totalCount: number;
  /** 100 · validCount / totalCount. */
  validPercent: number;
  /** null when the band has no valid cell. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Population standard deviation (divides by validCount, as GDAL does). */
  stddev: number | null;
}

/** Moments of nothing. */
export function emptyMoments(): Moments {
  return { total: 0, n: 0, sumBig: 0n, sqBig: 0n, sum: 0, comp: 0, m2: 0, min: Infinity, max: -Infinity };
}

/** Adds `v` to the compensated pair (s, c); returns the new pair. */
function neumaier(s: number, c: number, v: number): [number, number] {
  const t = s + v;
  return [t, c + (Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s)];
}

/** Cells per exact pass: 2^21 values below 2^32 sum to less than 2^53, so double sums stay exact. */
const EXACT_RUN = 1 << 21;

/**
 * Exact Σv and Σv² of the valid integer cells of `data[from, to)` (at most EXACT_RUN cells): 32-bit values are
 * split as v = hi·2^16 + lo so that every partial sum stays an exact double.
 */
function integerRun(
  data: TypedArray,
  from: number,
  to: number,
  checkNodata: boolean,
  nodata: number,
  acc: { n: number; min: number; max: number },
): [bigint, bigint] {
  let s = 0;
  let hh = 0;
  let hl = 0;
  let ll = 0;
  let { n, min, max } = acc;
  const wide = data.BYTES_PER_ELEMENT === 4;
  for (let i = from; i < to; i++) {
    const v = data[i] as number;
    if (checkNodata && v === nodata) continue;
    n++;
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (wide) {
      const hi = Math.floor(v / 65536);
      const lo = v - hi * 65536;
      hh += hi * hi;
      hl += hi * lo;
      ll += lo * lo;
    } else {
      ll += v * v;
    }
  }
  acc.n = n;
  acc.min = min;
  acc.max = max;
  return [BigInt(s), (BigInt(hh) << 32n) + (BigInt(hl) << 17n) + BigInt(ll)];
}

/**
 * Moments of one strip's valid cells. Integers: exact sums. Floats: a compensated sum, then the squared deviations
 * from that mean (the corrected two-pass algorithm), accurate even when the mean is small next to the values.
 */
export function stripMoments(data: TypedArray, nodata: number | null): Moments {
  const checkNodata = nodata !== null && !Number.isNaN(nodata);
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  const m = emptyMoments();
  m.total = data.length;
  if (!isFloat) {
    const acc = { n: 0, min: Infinity, max: -Infinity };
    for (let from = 0; from < data.length; from += EXACT_RUN) {
      const [s, q] = integerRun(data, from, Math.min(data.length, from + EXACT_RUN), checkNodata, nodata ?? 0, acc);
      m.sumBig += s;
      m.sqBig += q;
    }
    return { ...m, n: acc.n, min: acc.min, max: acc.max };
  }
  let n = 0;
  let sum = 0;
  let comp = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if ((checkNodata && v === nodata) || v !== v) continue;
    n++;
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return m;
  const mean = (sum + comp) / n;
  let m2 = 0;
  let dev = 0; // sum of deviations: corrects for the rounding of `mean`
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if ((checkNodata && v === nodata) || v !== v) continue;
    const d = v - mean;
    m2 += d * d;
    dev += d;
  }
  return { ...m, n, sum, comp, m2: m2 - (dev * dev) / n, min, max };
}

/** Mean of the float cells of `m` (0 when there is none). */
function floatMean(m: Moments): number {
  return m.n === 0 ? 0 : (m.sum + m.comp) / m.n;
}

/** The moments of two disjoint sets of cells (of the same band, so of the same kind) together. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  const n = a.n + b.n;
  const total = a.total + b.total;
  if (a.n === 0) return { ...b, total };
  if (b.n === 0) return { ...a, total };
  const delta = floatMean(b) - floatMean(a);
  const [sum, comp] = neumaier(a.sum, a.comp + b.comp, b.sum);
  return {
    total,
    n,
    sumBig: a.sumBig + b.sumBig,
    sqBig: a.sqBig + b.sqBig,
    sum,
    comp,
    m2: a.m2 + b.m2 + ((delta * delta * a.n) / n) * b.n,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** The statistics GDAL would report for these moments. */
export function finishStatistics(m: Moments): BandStatistics {
  const validPercent = m.total === 0 ? 0 : (100 * m.n) / m.total;
  if (m.n === 0) {
    return { validCount: 0, totalCount: m.total, validPercent, min: null, max: null, mean: null, stddev: null };
  }
  let mean: number;
  let stddev: number;
  if (m.sumBig !== 0n || m.sqBig !== 0n) {
    // Integers: mean = S/n and variance = (n·Q − S²)/n², each rounded once from exact integers.
    const n = BigInt(m.n);
    mean = exactRatio(m.sumBig, n);
    stddev = Math.sqrt(exactRatio(n * m.sqBig - m.sumBig * m.sumBig, n * n));
  } else {
    mean = floatMean(m);
    stddev = Math.sqrt(Math.max(0, m.m2 / m.n));
  }
  return {
    validCount: m.n,
    totalCount: m.total,
    validPercent,
    min: m.min,
    max: m.max,
    mean,
    stddev,
  };
}

/** p/q (q > 0) as the nearest double (to a few ulps: exact integer part, then the scaled remainder). */
function exactRatio(p: bigint, q: bigint): number {
  const whole = p / q;
  const rest = p - whole * q;
  // rest/q < 1: scale by 2^64 before dividing so the fraction keeps full precision.
  return Number(whole) + Number((rest << 64n) / q) / 2 ** 64;
}

/**
 * C's `printf("%.<precision>g", v)`, which GDAL uses for metadata numbers: `precision` significant digits,
 * trailing zeros dropped, exponent form (`1.5e+20`, at least two exponent digits) when the exponent is < −4 or
 * ≥ precision.
 */
export function formatG(v: number, precision: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expText] = v.toExponential(precision - 1).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= precision) {
    const e = Math.abs(exp);
    return `${strip(mant)}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return strip(v.toFixed(precision - 1 - exp));
}

/**
 * The band's metadata items as GDAL stores them, sorted by name as GDAL writes them: min/max/mean/stddev with
 * `%.14g`, valid percent with `%.4g`; a band without a valid cell carries only `STATISTICS_VALID_PERCENT=0`.
 */
export function statisticsItems(s: BandStatistics): [string, string][] {
  const items: [string, string][] = [];
  if (s.validCount > 0) {
    items.push(['STATISTICS_MAXIMUM', formatG(s.max as number, 14)]);
    items.push(['STATISTICS_MEAN', formatG(s.mean as number, 14)]);
    items.push(['STATISTICS_MINIMUM', formatG(s.min as number, 14)]);
    items.push(['STATISTICS_STDDEV', formatG(s.stddev as number, 14)]);
  }
  items.push(['STATISTICS_VALID_PERCENT', formatG(s.validPercent, 4)]);
  return items;
}
