/**
 * Build progress on stderr: a bar (timesteps and MB written, ETA) redrawn in place when stderr is a terminal,
 * plain lines otherwise (one per finished COG and per stage).
 */
import type { BuildProgress } from './build.js';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

function eta(done: number, total: number, startedMs: number, nowMs: number): string {
  if (done <= 0 || done >= total) return '';
  const s = Math.round((((nowMs - startedMs) / done) * (total - done)) / 1000);
  return ` ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A progress sink for `buildReleases`; call `end()` when the build returns. */
export function createProgress(
  out: ProgressOutput,
  now: () => number = Date.now,
): { onProgress: (p: BuildProgress) => void; end: () => void } {
  const started = now();
  let lastStage = '';
  let lastDraw = 0;
  let drawn = false;
  return {
    onProgress(p) {
      if (out.isTTY === true) {
        const t = now();
        if (t - lastDraw < 100 && p.stage === lastStage && p.file === undefined) return;
        lastDraw = t;
        lastStage = p.stage;
        const width = 30;
        const frac =
          p.stage === 'checksums'
            ? p.sourceBytesTotal > 0
              ? p.sourceBytesRead / p.sourceBytesTotal
              : 0
            : p.timestepsTotal > 0
              ? p.timestepsDone / p.timestepsTotal
              : 1;
        const filled = Math.round(frac * width);
        const detail =
          p.stage === 'checksums'
            ? `checksums ${mb(p.sourceBytesRead)}/${mb(p.sourceBytesTotal)} MB`
            : `${p.timestepsDone}/${p.timestepsTotal} timesteps, ${mb(p.bytesWritten)} MB written`;
        const e = p.stage === 'cogs' ? eta(p.timestepsDone, p.timestepsTotal, started, t) : '';
        const line = `${p.releaseId} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.stage}: ${detail}${e}`;
        out.write(`\r${line.slice(0, (out.columns ?? 120) - 1)}\x1b[K`);
        drawn = true;
        return;
      }
      if (p.file !== undefined)
        out.write(
          `${p.releaseId}: ${p.file} (${p.timestepsDone}/${p.timestepsTotal} timesteps, ${mb(p.bytesWritten)} MB written)\n`,
        );
      else if (p.stage !== lastStage) {
        lastStage = p.stage;
        out.write(`${p.releaseId}: ${p.stage}\n`);
      }
    },
    end() {
      if (drawn) out.write('\n');
    },
  };
}
