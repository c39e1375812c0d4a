/** The README and docs/API.md document every setting (their tables are written by hand). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from './config.js';

const ROOT = new URL('../../', import.meta.url);

/** The settings rows of a Markdown file: `| \`ENV\` | \`key\` | meaning | default |`, cells trimmed. */
function settingRows(file: string): string[][] {
  const text = readFileSync(new URL(file, ROOT), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

describe.each(['README.md', 'docs/API.md'])('%s', (file) => {
  it('has a row for every setting: its environment variable and YAML key', () => {
    const rows = settingRows(file);
    const missing = SETTINGS.filter(
      (s) => !rows.some((row) => row.includes(`\`${s.key.toUpperCase()}\``) && row.includes(`\`${s.key}\``)),
    ).map((s) => s.key);
    expect(missing).toEqual([]);
  });
});

describe('README.md', () => {
  it('says what `skope help` says: the same meaning and default for every setting', () => {
    const rows = new Map(settingRows('README.md').map((row) => [row[1], row]));
    for (const s of SETTINGS) {
      const row = rows.get(`\`${s.key}\``);
      expect(row?.[2], s.key).toBe(s.doc);
      const range = s.kind === 'int' ? ` (${s.min ?? ''}…${s.max ?? ''})` : '';
      expect(row?.[3], s.key).toBe(`${s.defaultText}${range}`);
    }
  });
});
