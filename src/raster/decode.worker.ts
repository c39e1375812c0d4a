/**
 * Worker-thread entry of the decode pool (`decode.pool.ts`): decodes a batch of compressed blocks (inflate, then
 * byte order and predictor over the rows the read needs) and transfers the decoded buffers back without copying.
 */
import { parentPort } from 'node:worker_threads';

import { finishRows, inflateBlock, rowBytes } from './decode.js';
import type { DecodeReply, DecodeRequest, DecodeResult } from './decode.pool.js';

const port = parentPort;
if (!port) throw new Error('decode.worker must run in a worker thread');

port.on('message', (req: DecodeRequest) => {
  void handle(req).then((reply) => {
    const transfer: ArrayBuffer[] = [];
    for (const r of reply.results) if (r.ok) transfer.push(r.buffer);
    port.postMessage(reply, transfer);
  });
});

async function handle(req: DecodeRequest): Promise<DecodeReply> {
  const results: DecodeResult[] = [];
  for (const item of req.items) {
    try {
      const raw = new Uint8Array(item.raw, item.rawOffset, item.rawLength);
      const out = await inflateBlock(raw, item.coding, null, item.needRows);
      const rows = Math.floor(out.length / rowBytes(item.coding));
      finishRows(out, item.coding, Math.max(0, item.finish[0]), Math.min(rows, item.finish[1]));
      // zlib's output buffer is the block plus a small margin: move it whole. Anything else (a small block, a view
      // into a shared buffer) is copied so the transfer never takes memory that other code still uses.
      const whole = out.byteLength >= 8192 && out.buffer.byteLength - out.byteLength <= 4096;
      const own = whole ? out : out.slice();
      results.push({ ok: true, buffer: own.buffer as ArrayBuffer, offset: own.byteOffset, length: own.byteLength });
    } catch (err) {
      results.push({ ok: false, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { id: req.id, results };
}
