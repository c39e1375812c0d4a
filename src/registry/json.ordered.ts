/**
 * A strict JSON parser that keeps object members in file order.
 *
 * Why: `JSON.parse` enumerates integer-like keys (`"1000"`, `"2000"`) before the others, so a lookup whose years
 * cross 1000 (`"0999"`, `"1000"`) would come back out of file order and the "keys are sorted" check could neither
 * pass nor catch a real disorder. Strings and numbers are still decoded by `JSON.parse` (exact same semantics).
 */

/** A parsed JSON value; objects are arrays of `[key, value]` members in file order (duplicates kept). */
export type OrderedJson = null | boolean | number | string | OrderedJson[] | OrderedObject;

/** A JSON object with its members in file order. */
export interface OrderedObject {
  readonly kind: 'object';
  readonly members: [key: string, value: OrderedJson][];
}

/** True when `v` is a JSON object. */
export function isOrderedObject(v: OrderedJson): v is OrderedObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Parses JSON text.
 * @throws SyntaxError with the offending character offset.
 */
export function parseOrderedJson(text: string): OrderedJson {
  const p = new Parser(text);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.i !== text.length) p.fail('unexpected trailing characters');
  return value;
}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// JSON forbids raw control characters inside strings.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Parser {
  i = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`Invalid JSON at offset ${this.i}: ${what}`);
  }

  ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  value(depth: number): OrderedJson {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    switch (this.text.charCodeAt(this.i)) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail('unexpected character');
    this.i += word.length;
    return v;
  }

  string(): string {
    const t = this.text;
    const start = this.i + 1;
    const end = t.indexOf('"', start);
    // Fast path: no escapes and no control characters (the common case for keys and file names).
    if (end !== -1) {
      let plain = true;
      for (let k = start; k < end; k++) {
        const c = t.charCodeAt(k);
        if (c < 0x20 || c === 0x5c) {
          plain = false;
          break;
        }
      }
      if (plain) {
        this.i = end + 1;
        return t.slice(start, end);
      }
    }
    STRING.lastIndex = this.i;
    const m = STRING.exec(t);
    if (!m) this.fail('bad string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('unexpected character');
    this.i += m[0].length;
    return Number(m[0]);
  }

  array(depth: number): OrderedJson[] {
    const out: OrderedJson[] = [];
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  object(depth: number): OrderedObject {
    const members: [string, OrderedJson][] = [];
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.text[this.i++] !== ':') this.fail("expected ':'");
      this.ws();
      members.push([key, this.value(depth + 1)]);
      this.ws();
      const c = this.text[this.i++];
      if (c === '}') return { kind: 'object', members };
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }
}
