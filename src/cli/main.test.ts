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

describe('skope extract', () => {
  it('prints the CSV of one extraction and progress on stderr', async () => {
    const { makeTestData } = await import('../../test/support/testdata.js');
    const { runExtractCommand } = await import('./extract.js');
    const data = await makeTestData();
    try {
      let out = '';
      let err = '';
      const io = {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s) },
        readText: () => Promise.reject(new Error('unused')),
      };
      const code = await runExtractCommand(
        ['--dataset', 'test-annual', '--variable', 'ppt', '--point', '-123,45', '--from', '0002'],
        data.env,
        io,
      );
      expect(code).toBe(0);
      expect(out).toBe('timestep,mean\n0002,200\n0003,300\n0004,400\n0005,500\n');
      expect(err).toContain('100% 4/4 timesteps');
      out = '';
      await runExtractCommand(
        [
          '--dataset',
          'test-annual',
          '--variable',
          'ppt',
          '--bbox',
          '-123,40,-118,45',
          '--stat',
          'median',
          '--format',
          'json',
        ],
        data.env,
        io,
      );
      const json = JSON.parse(out) as { n_cells: number; series: { values: number[] }[] };
      expect(json.n_cells).toBe(25);
      expect(json.series[0]?.values.map((v) => Math.round(v * 100) / 100)).toEqual([
        121.65, 221.65, 321.1, 421.65, 521.65,
      ]);
    } finally {
      await data.remove();
    }
  });
});
