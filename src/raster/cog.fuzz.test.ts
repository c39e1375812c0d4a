import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AppError } from '../errors.js';
import type { ByteSource, FetchOptions } from '../storage/source.js';
import { openCog } from './cog.js';
import { COGS } from '../../test/support/cog.fixtures.js';

/** An in-memory ByteSource over a (damaged) copy of a fixture; with `sync`, it also reads synchronously. */
function memorySource(bytes: Uint8Array, name: string, sync = false): ByteSource {
  const source: ByteSource = {
    url: new URL(`memory://fuzz/${name}`),
    fetch(offset: number, length?: number, _o?: FetchOptions): Promise<ArrayBuffer> {
      const end = length === undefined ? bytes.length : Math.min(bytes.length, offset + length);
      return Promise.resolve(bytes.slice(Math.min(offset, bytes.length), end).buffer);
    },
    head: () => Promise.resolve({ size: bytes.length, etag: 'fuzz' }),
  };
  if (sync) {
    source.readSync = (offset, length, dst) => {
      const part = bytes.subarray(Math.min(offset, bytes.length), Math.min(bytes.length, offset + length));
      dst.set(part);
      return part.length;
    };
  }
  return source;
}

const FILES = [
  'uint16_deflate_pixel.tif',
  'float32_lzw_band.tif',
  'int16_mask_cog.tif',
  'float32_zstd_pixel.tif',
  'uint8_packbits_pixel.tif',
  'uint16_bigtiff.tif',
  'int16_bigendian.tif',
  'uint16_strip_band.tif',
];
const originals = new Map(FILES.map((f) => [f, new Uint8Array(readFileSync(join(COGS, f)))]));

describe('damaged files never crash or hang', () => {
  it('random byte damage → a result or an AppError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FILES),
        // Damage in the header area (IFDs, tag values) or anywhere, and optionally a truncation.
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 }), fc.boolean()), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.option(fc.double({ min: 0.05, max: 1, noNaN: true })),
        fc.boolean(),
        async (name, damage, cut, sync) => {
          const original = originals.get(name)!;
          const bytes = original.slice(0, cut === null ? original.length : Math.ceil(original.length * cut));
          for (const [where, value, inHeader] of damage) {
            const span = inHeader ? Math.min(bytes.length, 600) : bytes.length;
            bytes[Math.floor(where * (span - 1))] = value;
          }
          try {
            const cog = await openCog(memorySource(bytes, name, sync));
            const { width, height, bands, levels } = cog.metadata;
            const all = Array.from({ length: bands }, (_, i) => i + 1);
            const window = { col: -1, row: -1, width: width + 2, height: height + 2 };
            await cog.read({ bands: all, window });
            await cog.scan({ bands: all, window, acceptDeltas: true }, () => undefined);
            if (levels.length > 1)
              await cog.read({ bands: [1], window: { col: 0, row: 0, width: 4, height: 4 }, level: 1 });
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(AppError);
            expect(['raster_invalid', 'raster_unsupported', 'band_out_of_range', 'invalid_request']).toContain(
              (err as AppError).code,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
