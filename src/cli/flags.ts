/** Flag parsing shared by the sub-commands. */
import { AppError } from '../errors.js';

/** Splits `--name value` / `--name=value` pairs for the sub-commands' own options. */
export function takeFlags(
  argv: readonly string[],
  names: readonly string[],
  booleans: readonly string[] = [],
): { own: Map<string, string>; rest: string[] } {
  const own = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)) : '';
    if (booleans.includes(name)) own.set(name, 'true');
    else if (names.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new AppError('invalid_request', `--${name}: missing value.`);
      own.set(name, value);
    } else rest.push(arg);
  }
  return { own, rest };
}
