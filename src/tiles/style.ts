/**
 * Tile style query validation exactly as upstream's `validate_tile_style`: colormap name fallback and
 * pattern, rescale parsing with Python `float()` rules, the three 422 sentences, and `%g` re-serialisation.
 */
import { AppError } from '../errors.js';
import type { VariableDisplay } from '../registry/types.js';
import type { Rescale } from './colorize.js';

/** Upstream's default rescale when the query has none. */
export const DEFAULT_RESCALE = '0,100';
const COLORMAP_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// Python float(): optional sign, digits with single underscores between them, optional fraction/exponent, or inf/nan.
const DIGITS = '\\d(?:_?\\d)*';
const PY_FLOAT = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  'i',
);

/** A validated tile style. */
export interface TileStyle {
  /** Colormap name to render with (the registry's when the query gave none). */
  colormap: string;
  /** Parsed rescale range. */
  rescale: Rescale;
  /** The rescale re-serialised as upstream sends it (`"{lo:g},{hi:g}"`), e.g. `0,100`. */
  rescaleText: string;
  /** Categorical release variables: category values (ascending, physical); codes index them, not the rescale. */
  categories?: readonly number[];
  /** Release variables: physical = stored × scale + offset before colouring (absent = 1 and 0). */
  scale?: number;
  offset?: number;
}

/**
 * The style of a pinned release variable, from its display preferences alone (tile queries have no effect): a
 * continuous variable rescales its `range` written as upstream's `%g` text (`0,1807.5`; 1234567 → `1.23457e+06`) and
 * parsed back, so tile and legend agree; a categorical one colours its categories by value order.
 */
export function displayTileStyle(
  display: VariableDisplay,
  encoding: { scale?: number | undefined; offset?: number | undefined },
): TileStyle {
  const enc = { scale: encoding.scale ?? 1, offset: encoding.offset ?? 0 };
  if (display.type === 'categorical') {
    return {
      colormap: display.palette,
      rescale: { lo: 0, hi: 1 },
      rescaleText: '',
      categories: display.categories,
      ...enc,
    };
  }
  const [lo, hi] = display.range;
  const rescaleText = `${formatG(lo)},${formatG(hi)}`;
  return {
    colormap: display.palette,
    rescale: { lo: Number(formatG(lo)), hi: Number(formatG(hi)) },
    rescaleText,
    ...enc,
  };
}

/** Python `float(text)`, or null when Python would raise ValueError. */
export function parsePythonFloat(text: string): number | null {
  const s = text.trim();
  if (!PY_FLOAT.test(s)) return null;
  const lower = s.toLowerCase().replace(/^[+-]/, '');
  const sign = s.startsWith('-') ? -1 : 1;
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  return Number(s.replaceAll('_', ''));
}

/**
 * Python's `format(x, 'g')`: 6 significant digits (ties to even on the exact binary value), fixed notation for
 * exponents −4…5, otherwise `d.ddddde±XX`; trailing zeros dropped.
 * @example formatG(1234567) → '1.23457e+06'; formatG(100) → '100'; formatG(0.0001) → '0.0001'
 */
export function formatG(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const neg = x < 0;
  const exact = Math.abs(x).toExponential(60); // d.ddd…e±E, enough digits to see exact ties
  const [mant, expText] = exact.split('e') as [string, string];
  let exp = Number(expText);
  const all = mant.replace('.', '');
  let digits = all.slice(0, 6);
  const rest = all.slice(6);
  const roundUp =
    rest[0] !== undefined &&
    (rest[0] > '5' ||
      (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(digits[digits.length - 1]) % 2 === 1)));
  if (roundUp) {
    const n = (BigInt(digits) + 1n).toString();
    if (n.length > 6) {
      digits = n.slice(0, 6);
      exp += 1;
    } else digits = n;
  }
  let out: string;
  if (exp >= -4 && exp < 6) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1);
      const frac = digits.slice(exp + 1).replace(/0+$/, '');
      out = frac === '' ? intPart : `${intPart}.${frac}`;
    } else {
      const frac = ('0'.repeat(-exp - 1) + digits).replace(/0+$/, '');
      out = `0.${frac}`;
    }
  } else {
    const frac = digits.slice(1).replace(/0+$/, '');
    const e = Math.abs(exp).toString().padStart(2, '0');
    out = `${digits[0] as string}${frac === '' ? '' : `.${frac}`}e${exp < 0 ? '-' : '+'}${e}`;
  }
  return neg ? `-${out}` : out;
}

/**
 * Validates the `colormap` and `rescale` query values (a tile request checks them right after the dataset and
 * variable ids, before the tile address).
 * @param registryColormap the variable's colormap, used when `colormap` is absent, blank, `undefined` or `null`
 * @throws AppError `invalid_request` with upstream's sentence: `Invalid colormap name.`,
 *   `Rescale must contain exactly two numeric values.`, `Rescale values must be finite.`,
 *   `Rescale minimum must be less than maximum.`
 */
export function validateTileStyle(
  colormap: string | undefined,
  rescale: string | undefined,
  registryColormap: string,
): TileStyle {
  const cm = (colormap ?? '').trim();
  const name = cm === '' || ['undefined', 'null'].includes(cm.toLowerCase()) ? registryColormap : cm;
  if (!COLORMAP_NAME.test(name)) throw new AppError('invalid_request', 'Invalid colormap name.');
  const parts = (rescale ?? DEFAULT_RESCALE).split(',');
  const nums = parts.length === 2 ? parts.map(parsePythonFloat) : [];
  if (nums.length !== 2 || nums.some((n) => n === null)) {
    throw new AppError('invalid_request', 'Rescale must contain exactly two numeric values.');
  }
  const [lo, hi] = nums as [number, number];
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw new AppError('invalid_request', 'Rescale values must be finite.');
  if (!(lo < hi)) throw new AppError('invalid_request', 'Rescale minimum must be less than maximum.');
  // Upstream sends the %g text to TiTiler, which parses it again: render with those numbers.
  const loText = formatG(lo);
  const hiText = formatG(hi);
  return { colormap: name, rescale: { lo: Number(loText), hi: Number(hiText) }, rescaleText: `${loText},${hiText}` };
}
