/** `skope release verify-pin [--full]`: one JSON line per release, refusals named, exit status for promotion. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestSha256, pinText, rewriteFile, writePinnedTiny } from '../../test/support/release.pinned.js';
import { TINY_DIGEST, TINY_ID } from '../../test/support/release.tiny.js';
import { runVerifyPin } from './verify.pin.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

async function run(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  let out = '';
  const code = await runVerifyPin(args, env, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
  });
  return {
    code,
    lines: out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('skope release verify-pin', () => {
  it('passes a sound pin (quick and --full), refuses a tampered COG only under --full', async () => {
    const base = await mkdtemp(join(tmpdir(), 'skope-verify-pin-'));
    made.push(base);
    const t = await writePinnedTiny(base);
    const quick = await run(t.env, []);
    expect(quick.code).toBe(0);
    expect(quick.lines).toEqual([
      {
        dataset: 'ds',
        release_id: TINY_ID,
        declaration_digest: TINY_DIGEST,
        manifest_sha256: await manifestSha256(t.dir),
        path: join(t.root, TINY_ID),
        verification: 'quick',
        files: 8,
        bytes: expect.any(Number) as number,
        result: 'passed',
      },
    ]);
    expect((await run(t.env, ['--full'])).lines[0]).toMatchObject({ verification: 'full', result: 'passed' });

    await rewriteFile(
      t,
      'cogs/v/ds--0104--0104.tif',
      (b) => Buffer.from(b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x))),
      false,
    );
    expect((await run(t.env, [])).code).toBe(0);
    const full = await run(t.env, ['--full']);
    expect(full.code).toBe(1);
    expect(full.lines[0]).toMatchObject({ release_id: TINY_ID, result: 'refused' });
    expect(full.lines[1]).toMatchObject({
      refused: true,
      requirement: 'TXN-011',
      dataset: 'ds',
      release_id: TINY_ID,
      check: 'file_checksums',
      observed: 'cogs/v/ds--0104--0104.tif: checksum differs',
    });
  });
});

describe('skope serve with a refused pin', () => {
  it('logs one JSON line per failed check and exits non-zero without listening', async () => {
    const base = await mkdtemp(join(tmpdir(), 'skope-refuse-'));
    made.push(base);
    const t = await writePinnedTiny(base);
    await writeFile(t.pinPath, pinText({ manifestSha: 'c'.repeat(64) }));
    const bin = new URL('../../bin/skope.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
      env: { PATH: process.env['PATH'] ?? '', ...t.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(out).not.toMatch(/listening/);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'start-up check failed');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        requirement: 'PIN-001',
        dataset: 'ds',
        release_id: TINY_ID,
        check: 'manifest_sha256',
        expected: 'c'.repeat(64),
        observed: await manifestSha256(t.dir),
      }),
    ]);
  }, 60_000);
});
