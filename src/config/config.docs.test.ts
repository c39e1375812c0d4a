/** The README and docs/API.md document every setting (their tables are written by hand). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from './config.js';

const ROOT = new URL('../../', import.meta.url);

describe.each(['README.md', 'docs/API.md'])('%s', (file) => {
  it('has a row for every setting: its environment variable and YAML key', () => {
    const text = readFileSync(new URL(file, ROOT), 'utf8');
    const rows = text.split('\n').filter((line) => line.startsWith('| `'));
    const missing = SETTINGS.filter(
      (s) => !rows.some((row) => row.includes(`\`${s.key.toUpperCase()}\``) && row.includes(`\`${s.key}\``)),
    ).map((s) => s.key);
    expect(missing).toEqual([]);
  });
});
