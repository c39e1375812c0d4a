import { describe, expect, it } from 'vitest';
import { run } from './main.js';
import { takeFlags } from './flags.js';

describe('skope CLI', () => {
  it('takeFlags splits its own options from the settings flags', () => {
    expect(takeFlags(['--dir', 'x', '--if-missing', '--port=1'], ['dir'], ['if-missing'])).toEqual({
      own: new Map([
        ['dir', 'x'],
        ['if-missing', 'true'],
      ]),
      rest: ['--port=1'],
    });
    expect(() => takeFlags(['--dir'], ['dir'])).toThrow('--dir: missing value.');
  });

  it('serve refuses a bad configuration with one line per problem, before opening anything', async () => {
    await expect(run(['serve', '--port', 'x'], { MAX_CONCURRENT_JOBS: '0' })).rejects.toMatchObject({
      code: 'config_invalid',
      message:
        'Invalid configuration:\n  - --port: expected an integer (got "x").\n  - MAX_CONCURRENT_JOBS: must be between 1 and 32 (got "0").',
    });
  });

  it('serve names the missing registry and how to get one', async () => {
    await expect(run(['serve'], { REGISTRY_PATH: '/nonexistent/metadata.yml', JOB_STORE: 'memory' })).rejects.toThrow(
      'Registry file not found: /nonexistent/metadata.yml. Set REGISTRY_PATH, or run `skope demo` to write the demo dataset.',
    );
  });

  it('unknown commands exit 2; extract without ids is a clear error', async () => {
    expect(await run(['frobnicate'], {})).toBe(2);
    await expect(run(['extract', '--point', '1,2'], {})).rejects.toThrow(
      'skope extract needs --dataset and --variable.',
    );
  });
});
