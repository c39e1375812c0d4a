/**
 * Exact serialisations written by the release builder.
 *
 * JSON (`release-manifest.json`, STAC): UTF-8, keys sorted by code point, 2-space indent with one item per line,
 * `": "` after keys, `,` at line ends, non-ASCII as-is, no NaN/Infinity, `{}`/`[]` for empty containers, one
 * trailing newline — the layout of Python's `json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)`.
 * Floats are written in Python's shortest round-trip `repr` (`1.0`, `0.008333333332949996`, `1e-05`); since a
 * JS number does not say whether it is a float, numbers boxed with `float(x)`, numbers under the keys named in
 * `floatKeys` and non-integers are written as floats, other integers plainly. `undefined` members are left out.
 */

/** A number to be written as a float (`1.0`) even when it is integral. */
export class FloatNumber {
  constructor(readonly value: number) {}
}

/** Box a number as a float. */
export const float = (x: number): FloatNumber => new FloatNumber(x);

/** A value the JSON writer accepts. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | FloatNumber
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue | undefined };

/** Python's `repr(float)`: shortest round-trip digits; exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`${x} cannot be written as JSON`);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const e = Number(expText);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/** Compare strings by Unicode code point (Python's string order), not UTF-16 code unit. */
export function codePointCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}

function writeNumber(x: number, asFloat: boolean): string {
  if (!Number.isFinite(x)) throw new Error(`${x} cannot be written as JSON`);
  if (Number.isInteger(x) && !asFloat) return Object.is(x, -0) ? '0' : String(x);
  return pyFloat(x);
}

/** The JSON text of a value in the release layout (see the module comment), ending in one newline. */
export function releaseJson(value: JsonValue, floatKeys: ReadonlySet<string> = new Set()): string {
  const out: string[] = [];
  const write = (v: JsonValue, indent: string, asFloat: boolean): void => {
    if (v === null) out.push('null');
    else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
    else if (typeof v === 'number') out.push(writeNumber(v, asFloat));
    else if (typeof v === 'string') out.push(JSON.stringify(v));
    else if (v instanceof FloatNumber) out.push(writeNumber(v.value, true));
    else if (Array.isArray(v)) {
      const list = v as readonly JsonValue[];
      if (list.length === 0) return void out.push('[]');
      const inner = `${indent}  `;
      out.push('[\n');
      list.forEach((item, i) => {
        out.push(inner);
        write(item, inner, asFloat);
        out.push(i < list.length - 1 ? ',\n' : '\n');
      });
      out.push(`${indent}]`);
    } else {
      const obj = v as { readonly [k: string]: JsonValue | undefined };
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort(codePointCompare);
      if (keys.length === 0) return void out.push('{}');
      const inner = `${indent}  `;
      out.push('{\n');
      keys.forEach((k, i) => {
        out.push(`${inner}${JSON.stringify(k)}: `);
        write(obj[k] as JsonValue, inner, floatKeys.has(k));
        out.push(i < keys.length - 1 ? ',\n' : '\n');
      });
      out.push(`${indent}}`);
    }
  };
  write(value, '', false);
  out.push('\n');
  return out.join('');
}
