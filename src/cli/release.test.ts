/** `skope release` from the command line: exit codes, text and JSON output, pins, usage errors, progress output. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CURATED, writeDataset } from '../../test/support/release.datasets.js';
import { useTempDir } from '../../test/support/temp.dir.js';
import { createProgress } from '../release/build/progress.js';
import { runReleaseCommand } from './release.js';

const tmp = useTempDir('skope-release-cli-');
const ID = 'ds-r-2026.10.07';

async function cli(args: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runReleaseCommand(
    args,
    {},
    {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t), isTTY: tty, columns: 200 },
    },
  );
  return { code, out, err };
}

describe('skope release', () => {
  it('preflight: PASS with the digest, or FAIL with one line per finding; --json', async () => {
    const good = await writeDataset(join(tmp(), 'good'));
    const ok = await cli(['preflight', '--datasets', good, '--release', `ds=${ID}`]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^PASS ds declaration_digest=[0-9a-f]{64}\n$/);
    const bad = await writeDataset(join(tmp(), 'bad'), { curated: CURATED.replace('id: "ds"', 'id: "x"') });
    const fail = await cli(['preflight', '--datasets', bad]);
    expect(fail.code).toBe(1);
    expect(fail.out).toContain('FAIL ds\n  ERROR ORG-007 ds (curated.yml): ');
    const json = await cli(['preflight', '--datasets', bad, '--json']);
    const doc = JSON.parse(json.out) as { ok: boolean; datasets: { findings: { id: string; severity: string }[] }[] };
    expect(doc.ok).toBe(false);
    expect(doc.datasets[0]?.findings[0]).toMatchObject({ id: 'ORG-007', severity: 'error', dataset: 'ds' });
  });

  it('build: prints the three pin values and the ledger entry; refuses the same id again; --json', async () => {
    const datasets = await writeDataset(join(tmp(), 'b'));
    const root = join(tmp(), 'b-releases');
    const args = [
      'build',
      '--datasets',
      datasets,
      '--release-root',
      root,
      '--release',
      `ds=${ID}`,
      '--revision',
      'abc',
    ];
    const r = await cli(args);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `^BUILT ${ID} → .*\\n {2}release_id: ${ID}\\n {2}declaration_digest: [0-9a-f]{64}\\n {2}manifest_sha256: [0-9a-f]{64}\\n`,
      ),
    );
    expect(r.out).toContain(`    - release_id: "${ID}"\n      declaration_digest: "`);
    expect(r.err).toContain(`${ID}: cogs/a/ds--0100--0101.tif (`); // plain progress lines when not a terminal
    const again = await cli([...args, '--json']);
    expect(again.code).toBe(1);
    const doc = JSON.parse(again.out) as { ok: boolean; releases: { findings: { id: string }[] }[] };
    expect(doc.releases[0]?.findings.map((f) => f.id)).toEqual(['TXN-002']);
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['build', '--datasets', 'x', '--release-root', 'y'])).code).toBe(2); // no --release
    expect((await cli(['build', '--datasets', 'x', '--release-root', 'y', '--release', 'nope'])).code).toBe(2);
    expect(
      (await cli(['build', '--datasets', 'x', '--release-root', 'y', '--release', 'a=b', '--jobs', '0'])).code,
    ).toBe(2);
    expect((await cli(['verify'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });
});

describe('progress', () => {
  const base = {
    dataset: 'ds',
    releaseId: ID,
    timestepsTotal: 100,
    bytesWritten: 5e6,
    sourceBytesRead: 0,
    sourceBytesTotal: 0,
  };
  it('a bar with timesteps, MB and ETA on a terminal', () => {
    let text = '';
    let t = 0;
    const p = createProgress({ write: (s: string) => (text += s), isTTY: true, columns: 200 }, () => t);
    t = 10_000;
    p.onProgress({ ...base, stage: 'cogs', timestepsDone: 25, file: 'cogs/a/x.tif' });
    p.end();
    expect(text).toBe(
      `\r${ID} [########......................] cogs: 25/100 timesteps, 5.0 MB written ETA 0m30s\x1b[K\n`,
    );
  });
  it('plain lines otherwise', () => {
    let text = '';
    const p = createProgress({ write: (s: string) => (text += s) });
    p.onProgress({ ...base, stage: 'cogs', timestepsDone: 0 });
    p.onProgress({ ...base, stage: 'cogs', timestepsDone: 25, file: 'cogs/a/x.tif' });
    p.end();
    expect(text).toBe(`${ID}: cogs\n${ID}: cogs/a/x.tif (25/100 timesteps, 5.0 MB written)\n`);
  });
});
