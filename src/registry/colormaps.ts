/**
 * Colormaps: the built-in matplotlib set as rio-tiler ships it (256-entry tables, `_r` reversals) and custom maps
 * from a JSON file of hex stops, interpolated to 256 entries exactly as the upstream TiTiler build did.
 */
import { AppError } from '../errors.js';
import { COLORMAP_TABLES, REVERSED_PATCHES } from './colormaps.data.js';

/** A named 256-entry colour table. */
export interface Colormap {
  /** Name as requested (case-sensitive, built-ins are lower-case like rio-tiler's, e.g. `viridis`, `rdbu_r`). */
  name: string;
  /** 256 × RGBA bytes (1024 bytes); entry i is the colour of index i. Shared: never mutate. */
  lut: Uint8Array;
  /** Stops shown in `/metadata`: built-ins → the 256 table colours as lowercase `#rrggbb`; custom → as written. */
  stops: string[];
}

/** The colormaps known to the service: built-ins plus custom maps (custom names win over built-ins). */
export interface ColormapSet {
  /** The colormap called `name` (exact, case-sensitive), or null when unknown. */
  get(name: string): Colormap | null;
  /** Every name `get` resolves, sorted. */
  names(): string[];
}

const HEX_STOP = /^#[0-9a-fA-F]{6}$/;

/**
 * Interpolates hex stops to a 256 × RGBA table exactly as upstream's `build_colormaps.py`: stop i sits at
 * i/(n−1); entry i (t = i/255) takes the first segment j with pos_j ≤ t ≤ pos_{j+1}, interpolates each channel
 * linearly and rounds half to even (Python `round`); alpha is 255.
 * @example interpolateStops(['#000000', '#ffffff']) // entry 128 = [128, 128, 128, 255] (127.5 → 128, even)
 * @throws AppError `colormap_invalid` for fewer than 2 stops or a stop that is not `#rrggbb`.
 */
export function interpolateStops(stops: readonly string[], name = 'custom'): Uint8Array {
  const rgb = stops.map((stop) => parseHexStop(stop, name));
  const n = rgb.length;
  if (n < 2) throw new AppError('colormap_invalid', `Colormap '${name}' must have at least 2 color stops, got ${n}.`);
  const pos = rgb.map((_, i) => i / (n - 1));
  const lut = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let j = 0;
    // First segment containing t; pos[n-1] is exactly 1, so the loop always stops at or before n-2.
    while (j < n - 2 && !((pos[j] as number) <= t && t <= (pos[j + 1] as number))) j++;
    const p0 = pos[j] as number;
    const f = (t - p0) / ((pos[j + 1] as number) - p0);
    const c0 = rgb[j] as RGB;
    const c1 = rgb[j + 1] as RGB;
    lut[i * 4] = roundHalfEven(c0[0] + (c1[0] - c0[0]) * f);
    lut[i * 4 + 1] = roundHalfEven(c0[1] + (c1[1] - c0[1]) * f);
    lut[i * 4 + 2] = roundHalfEven(c0[2] + (c1[2] - c0[2]) * f);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/**
 * The table of a categorical `set` palette: entry i is colour i (alpha 255), entries past the last colour stay
 * transparent black (they are never drawn: category codes stop at the number of categories).
 * @throws AppError `colormap_invalid` for no colour, more than 256, or a colour that is not `#rrggbb`.
 */
export function setLut(colors: readonly string[], name = 'custom'): Uint8Array {
  if (colors.length < 1 || colors.length > 256) {
    throw new AppError('colormap_invalid', `Palette '${name}' must have 1 to 256 colours, got ${colors.length}.`);
  }
  const lut = new Uint8Array(256 * 4);
  colors.forEach((c, i) => {
    lut.set([...parseHexStop(c, name), 255], i * 4);
  });
  return lut;
}

/**
 * Parses a custom colormaps JSON file (`COLORMAPS_PATH`): an object of name → array of at least 2 `#rrggbb` stops.
 * @param source where the text came from (file path or URL), for messages.
 * @throws AppError `colormap_invalid` with the upstream sentence for short maps, or a sentence naming the problem.
 */
export function parseCustomColormaps(jsonText: string, source: string): Record<string, string[]> {
  let data: unknown;
  try {
    data = JSON.parse(jsonText);
  } catch (err) {
    throw new AppError('colormap_invalid', `Failed to parse colormaps JSON ${source}: ${(err as Error).message}`, {
      cause: err,
      details: { source },
    });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new AppError('colormap_invalid', `Colormaps file ${source} must hold a JSON object of name → color stops.`, {
      details: { source },
    });
  }
  const out: [string, string[]][] = [];
  for (const [name, stops] of Object.entries(data)) {
    if (name.trim() === '')
      throw new AppError('colormap_invalid', `Colormaps file ${source} has an empty colormap name.`);
    if (!Array.isArray(stops)) {
      throw new AppError('colormap_invalid', `Colormap '${name}' in ${source} must be an array of '#rrggbb' strings.`);
    }
    const list = stops.map((s: unknown) => {
      if (typeof s !== 'string') throw invalidStop(name, s);
      return s;
    });
    // Validates every stop and the count now, so a bad file fails at startup, not at the first tile.
    interpolateStops(list, name);
    out.push([name, list]);
  }
  // fromEntries defines own properties, so even a map called "__proto__" survives.
  return Object.fromEntries(out);
}

/**
 * Builds the colormap set: every built-in (`COLORMAP_TABLES`) and its `_r` reversal, plus `custom` maps
 * (interpolated with `interpolateStops`; each also gets a `<name>_r` unless the file defines that name).
 * Tables are decoded lazily and memoised per set.
 * @throws AppError `colormap_invalid` for an invalid custom map.
 */
export function createColormapSet(custom: Record<string, string[]> = {}): ColormapSet {
  const customLuts = new Map<string, { lut: Uint8Array; stops: string[] }>();
  for (const [name, stops] of Object.entries(custom)) {
    customLuts.set(name, { lut: interpolateStops(stops, name), stops: [...stops] });
  }
  for (const [name, { lut, stops }] of [...customLuts]) {
    if (!customLuts.has(`${name}_r`))
      customLuts.set(`${name}_r`, { lut: reverseLut(lut), stops: [...stops].reverse() });
  }
  const cache = new Map<string, Colormap | null>();
  const builtins = Object.keys(COLORMAP_TABLES).flatMap((n) => [n, `${n}_r`]);
  const names = [...new Set([...builtins, ...customLuts.keys()])].sort();

  const build = (name: string): Colormap | null => {
    const own = customLuts.get(name);
    if (own) return { name, lut: own.lut, stops: own.stops };
    const lut = builtinLut(name);
    return lut ? { name, lut, stops: lutStops(lut) } : null;
  };

  return {
    get(name: string): Colormap | null {
      if (!cache.has(name)) cache.set(name, build(name));
      return cache.get(name) ?? null;
    },
    names(): string[] {
      return [...names];
    },
  };
}

/** The 256 table colours as lowercase `#rrggbb` (alpha dropped), as upstream built `colormap_stops`. */
export function lutStops(lut: Uint8Array): string[] {
  const stops: string[] = [];
  for (let i = 0; i < lut.length; i += 4) {
    stops.push(`#${hex2(lut[i] as number)}${hex2(lut[i + 1] as number)}${hex2(lut[i + 2] as number)}`);
  }
  return stops;
}

type RGB = [number, number, number];

function parseHexStop(stop: string, name: string): RGB {
  if (!HEX_STOP.test(stop)) throw invalidStop(name, stop);
  return [1, 3, 5].map((i) => Number.parseInt(stop.slice(i, i + 2), 16)) as RGB;
}

function invalidStop(name: string, stop: unknown): AppError {
  return new AppError(
    'colormap_invalid',
    `Colormap '${name}' has an invalid color stop ${JSON.stringify(stop)}; expected '#rrggbb'.`,
  );
}

/** Python's `round` for a non-negative float: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, '0');
}

/** Decodes a built-in table; `<name>_r` is the reversed table with matplotlib's own `_r` differences applied. */
function builtinLut(name: string): Uint8Array | null {
  const reversed = name.endsWith('_r');
  const base = reversed ? name.slice(0, -2) : name;
  if (!Object.hasOwn(COLORMAP_TABLES, base)) return null;
  const table = decodeTable(COLORMAP_TABLES[base] as string);
  if (!reversed) return table;
  const lut = reverseLut(table);
  const patches = Object.hasOwn(REVERSED_PATCHES, base) ? (REVERSED_PATCHES[base] as string) : '';
  for (let p = 0; p < patches.length; p += 8) {
    const i = Number.parseInt(patches.slice(p, p + 2), 16);
    for (let k = 0; k < 3; k++) lut[i * 4 + k] = Number.parseInt(patches.slice(p + 2 + 2 * k, p + 4 + 2 * k), 16);
  }
  return lut;
}

function decodeTable(hex: string): Uint8Array {
  const lut = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    for (let k = 0; k < 3; k++) lut[i * 4 + k] = Number.parseInt(hex.slice(i * 6 + 2 * k, i * 6 + 2 * k + 2), 16);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

function reverseLut(lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(lut.length);
  const n = lut.length / 4;
  for (let i = 0; i < n; i++) out.set(lut.subarray((n - 1 - i) * 4, (n - i) * 4), i * 4);
  return out;
}
