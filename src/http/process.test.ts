/**
 * `skope serve` as a real process (bin/skope.js → tsx → src/cli/main.ts) on a random port, answering the README's
 * example requests over real HTTP, then shutting down cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataForFile } from '../../test/support/http.js';
import { extractPayload } from '../../test/support/testdata.js';

const BIN = new URL('../../bin/skope.js', import.meta.url).pathname;

const files = dataForFile();
let child: ChildProcess;
let base: string;
let exited: Promise<[number | null, string | null]>;
let stderr = '';

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env['PATH'] ?? '', ...files.data.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${stderr}`)), 45_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /SKOPE API listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('skope serve (a real process)', () => {
  it('answers the README requests: metadata, extract → status SUCCESS, analyze, export, health', async () => {
    const meta = await fetch(`${base}/metadata`);
    expect(meta.status).toBe(200);
    expect((await meta.json()) as unknown[]).toHaveLength(2);

    const post = await fetch(`${base}/timeseries/extract`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(extractPayload()),
    });
    expect(post.status).toBe(202);
    const { job_id, status } = (await post.json()) as { job_id: string; status: string };
    expect(status).toBe('accepted');
    let record: { status: string; result?: { series: { values: number[] }[] } } = { status: 'PENDING' };
    for (let i = 0; i < 300 && (record.status === 'PENDING' || record.status === 'PROCESSING'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      record = (await (await fetch(`${base}/timeseries/status/${job_id}`)).json()) as typeof record;
    }
    expect(record.status).toBe('SUCCESS');
    expect(record.result?.series[0]?.values[0]).toBeCloseTo(111.1, 4);

    const csv = await fetch(`${base}/timeseries/export/${job_id}?format=csv`);
    expect((await csv.text()).split('\n')[0]).toBe('timestep,raw');
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
