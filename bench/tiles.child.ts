/**
 * One process of the tile benchmark's two-core run:
 * `tsx bench/tiles.child.ts <root> <timestep> <reps> [blockCacheBytes]`.
 * Renders the tile set once (warm-up), prints `ready`, waits for a line on stdin, renders the set `reps` times and
 * prints `{"tiles": n}`.
 */
import { once } from 'node:events';
import { createBenchService, renderOne, tileSet } from './tiles.setup.js';

async function main(): Promise<void> {
  const [root, timestep, repsText, cacheText] = process.argv.slice(2);
  if (!root || !timestep || !repsText) throw new Error('usage: tiles.child.ts <root> <timestep> <reps>');
  const { service } = await createBenchService(root, Number(cacheText ?? 0));
  const tiles = tileSet();
  for (const t of tiles) await renderOne(service, t, timestep);
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  let n = 0;
  for (let r = 0; r < Number(repsText); r++) {
    for (const t of tiles) {
      await renderOne(service, t, timestep);
      n++;
    }
  }
  process.stdout.write(`${JSON.stringify({ tiles: n })}\n`);
  process.stdin.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
