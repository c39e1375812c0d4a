import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Tiff, TiffTag } from '@cogeotiff/core';
import { afterAll, describe, expect, it } from 'vitest';

import { AppError } from '../errors.js';
import { TestFileSource } from '../../test/support/file.source.js';
import { openCog } from './cog.js';
import { COGS } from '../../test/support/cog.fixtures.js';
import { openWithoutBlocksInHeader } from '../../test/support/cog.blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'cog-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `bytes` to a temp file and returns a source for it. */
function source(name: string, bytes: Uint8Array): TestFileSource {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return new TestFileSource(path);
}

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(COGS, name)));
}

/** Expects `p` to reject with an AppError of `code` whose message names `src`'s URL. */
async function expectCode(p: Promise<unknown>, code: string, src?: TestFileSource): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const app = err as AppError;
  expect(app.code).toBe(code);
  if (src) expect(app.message).toContain(src.url.href);
  return app;
}

/** File offset and byte count of block `index` of IFD 0. */
async function blockAt(name: string, index: number): Promise<[number, number]> {
  const src = new TestFileSource(join(COGS, name));
  await src.head();
  const tiff = await Tiff.create(src);
  const img = tiff.images[0]!;
  const offsets = (await img.fetch(TiffTag.TileOffsets))!;
  const counts = (await img.fetch(TiffTag.TileByteCounts))!;
  await src.close();
  return [offsets[index]!, counts[index]!];
}

const FULL = { col: 0, row: 0, width: 37, height: 29 };

describe('corrupt and truncated files → raster_invalid naming the file', () => {
  it('bad magic bytes', async () => {
    const src = source('magic.tif', new TextEncoder().encode('this is not a tiff file, just text'));
    await expectCode(openCog(src), 'raster_invalid', src);
  });

  it('an empty file and a 3-byte file', async () => {
    const a = source('empty.tif', new Uint8Array(0));
    await expectCode(openCog(a), 'raster_invalid', a);
    const b = source('three.tif', Uint8Array.from([0x49, 0x49, 0x2a]));
    await expectCode(openCog(b), 'raster_invalid', b);
  });

  it('a header cut short (IFD past EOF)', async () => {
    const src = source('cut.tif', fixture('uint16_deflate_pixel.tif').subarray(0, 60));
    await expectCode(openCog(src), 'raster_invalid', src);
  });

  it('an IFD offset pointing past the end of the file', async () => {
    const bytes = fixture('uint16_deflate_pixel.tif').slice();
    new DataView(bytes.buffer).setUint32(4, bytes.length + 5000, true);
    const src = source('ifd.tif', bytes);
    await expectCode(openCog(src), 'raster_invalid', src);
  });

  it('an IFD chain that loops back on itself (no hang)', async () => {
    const bytes = fixture('uint16_deflate_pixel.tif').slice();
    const dv = new DataView(bytes.buffer);
    const ifd = dv.getUint32(4, true);
    const count = dv.getUint16(ifd, true);
    dv.setUint32(ifd + 2 + count * 12, ifd, true);
    const src = source('loop.tif', bytes);
    const err = await expectCode(openCog(src), 'raster_invalid', src);
    expect(err.message).toMatch(/loops/);
  });

  it('a BigTIFF header cut inside its IFD', async () => {
    const bytes = fixture('uint16_bigtiff.tif');
    const src = source('bigcut.tif', bytes.subarray(0, 40));
    await expectCode(openCog(src), 'raster_invalid', src);
  });

  it('an absurd tile size in the header', async () => {
    const bytes = fixture('uint16_deflate_pixel.tif').slice();
    const dv = new DataView(bytes.buffer);
    const ifd = dv.getUint32(4, true);
    const count = dv.getUint16(ifd, true);
    for (let k = 0; k < count; k++) {
      const at = ifd + 2 + k * 12;
      const tag = dv.getUint16(at, true);
      // TileWidth / TileLength (SHORT or LONG, inline): 65 520 × 65 520 pixels × 3 × 2 bytes.
      if (tag === 322 || tag === 323) {
        if (dv.getUint16(at + 2, true) === 3) dv.setUint16(at + 8, 65520, true);
        else dv.setUint32(at + 8, 65520, true);
      }
    }
    const src = source('tile.tif', bytes);
    const err = await expectCode(openCog(src), 'raster_invalid', src);
    expect(err.message).toMatch(/1 GiB/);
  });

  it('a block whose byte count runs past EOF (file truncated after the header)', async () => {
    const bytes = fixture('float32_nodata_cog.tif');
    const src = source('trunc.tif', bytes.subarray(0, bytes.length - 100));
    const cog = await openCog(src);
    const err = await expectCode(cog.read({ bands: [1], window: FULL }), 'raster_invalid', src);
    expect(err.message).toMatch(/past the end|truncated/);
    await cog.close();
  });

  it('a DEFLATE block with garbage inside (inflate failure)', async () => {
    const [offset, count] = await blockAt('uint16_deflate_pixel.tif', 0);
    const bytes = fixture('uint16_deflate_pixel.tif').slice();
    bytes.fill(0xff, offset + 2, offset + count);
    const src = source('inflate.tif', bytes);
    const cog = await openCog(src);
    const err = await expectCode(
      cog.read({ bands: [1], window: { col: 0, row: 0, width: 4, height: 4 } }),
      'raster_invalid',
      src,
    );
    expect(err.message).toMatch(/cannot be decoded/);
    // Other blocks still read.
    const ok = await cog.read({ bands: [1], window: { col: 20, row: 20, width: 2, height: 2 } });
    expect(ok.data.length).toBe(4);
    await cog.close();
  });

  it('an LZW and a ZSTD block with garbage inside', async () => {
    for (const name of ['uint16_lzw_pixel.tif', 'float32_zstd_pixel.tif']) {
      const [offset, count] = await blockAt(name, 1);
      const bytes = fixture(name).slice();
      bytes.fill(0xfe, offset, offset + count);
      const src = source(`bad-${name}`, bytes);
      const cog = await openCog(src);
      await expectCode(cog.read({ bands: [1, 2], window: FULL }), 'raster_invalid', src);
      await cog.close();
    }
  });
});

describe('unsupported and invalid requests', () => {
  it('JPEG compression → raster_unsupported', async () => {
    const src = new TestFileSource(join(COGS, 'uint8_jpeg.tif'));
    const err = await expectCode(openCog(src), 'raster_unsupported', src);
    expect(err.message).toMatch(/compression 7/);
  });

  it('bands outside 1..bands → band_out_of_range', async () => {
    const cog = await openCog(new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif')));
    for (const bands of [[0], [4], [1, 4], [1.5], [-1]]) {
      const err = await expectCode(cog.read({ bands, window: FULL }), 'band_out_of_range');
      expect(err.message).toContain('1..3');
    }
    await cog.close();
  });

  it('a missing level or a malformed window → invalid_request', async () => {
    const cog = await openCog(new TestFileSource(join(COGS, 'uint16_ovr_pixel.tif')));
    expect(cog.metadata.levels).toHaveLength(3);
    await expectCode(cog.read({ bands: [1], window: FULL, level: 3 }), 'invalid_request');
    await expectCode(cog.read({ bands: [1], window: { col: 0.5, row: 0, width: 2, height: 2 } }), 'invalid_request');
    await expectCode(cog.read({ bands: [1], window: { col: 0, row: 0, width: -1, height: 2 } }), 'invalid_request');
    const huge = { col: 0, row: 0, width: 100_000, height: 100_000 };
    await expectCode(cog.read({ bands: [1], window: huge }), 'invalid_request');
    await cog.close();
  });

  it('an aborted signal → aborted, for open and read', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectCode(
      openCog(new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif')), { signal: ac.signal }),
      'aborted',
    );
    const cog = await openCog(new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif')));
    await expectCode(cog.read({ bands: [1], window: FULL, signal: ac.signal }), 'aborted');
    await cog.close();
  });

  it('a signal aborted while a read is under way → aborted', async () => {
    const cog = await openWithoutBlocksInHeader(new TestFileSource(join(COGS, 'float32_zstd_band.tif')));
    const ac = new AbortController();
    const pending = cog.read({ bands: [1, 2, 3], window: FULL, signal: ac.signal });
    ac.abort();
    await expectCode(pending, 'aborted');
    // The Cog stays usable.
    const ok = await cog.read({ bands: [1], window: { col: 0, row: 0, width: 2, height: 1 } });
    expect(ok.data.length).toBe(2);
    await cog.close();
  });

  it('a missing file → the source error (source_not_found)', async () => {
    await expectCode(openCog(new TestFileSource(join(dir, 'nope.tif'))), 'source_not_found');
  });
});

describe('fetches only the blocks a window needs', () => {
  it('pixel- and band-interleaved', async () => {
    const src = new TestFileSource(join(COGS, 'uint16_deflate_pixel.tif'));
    const cog = await openWithoutBlocksInHeader(src);
    const before = src.fetches.length;
    await cog.read({ bands: [1, 2, 3], window: { col: 1, row: 1, width: 5, height: 5 } });
    expect(src.fetches.length - before).toBe(1);
    await cog.read({ bands: [2], window: { col: 10, row: 10, width: 10, height: 10 } });
    expect(src.fetches.length - before).toBe(1 + 4);
    await cog.read({ bands: [2], window: { col: 40, row: -20, width: 10, height: 10 } });
    expect(src.fetches.length - before).toBe(1 + 4);
    await cog.close();

    const band = new TestFileSource(join(COGS, 'uint16_deflate_band.tif'));
    const cog2 = await openWithoutBlocksInHeader(band);
    const b0 = band.fetches.length;
    await cog2.read({ bands: [3], window: { col: 1, row: 1, width: 5, height: 5 } });
    expect(band.fetches.length - b0).toBe(1);
    await cog2.read({ bands: [3, 1, 3], window: { col: 0, row: 0, width: 37, height: 29 } });
    expect(band.fetches.length - b0).toBe(1 + 2 * 6);
    await cog2.close();
  });
});
