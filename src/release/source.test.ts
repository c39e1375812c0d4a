/**
 * Sources: GDAL metadata parsing (a 2000-band cube's XML, escapes), a build from `http://` sources read with
 * ranged requests, and the streamed checksum.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceManifest, tinySource, writeDataset } from '../../test/support/release.datasets.js';
import { startRangeServer } from '../../test/support/http.range.server.js';
import { useTempDir } from '../../test/support/temp.dir.js';
import { createSourceResolver } from '../storage/resolver.js';
import { buildReleases } from './build/build.js';
import { verifyRelease } from './format/verify.js';
import { parseGdalMetadata, sha256Source } from './source.js';

const tmp = useTempDir('skope-release-src-');

describe('parseGdalMetadata', () => {
  it('reads descriptions, scale, offset, unit-less items and dataset items; unescapes XML', () => {
    const xml = `<GDALMetadata>
  <Item name="AREA">x</Item>
  <Item name="DESCRIPTION" sample="0" role="description">a &amp; &lt;b&gt;</Item>
  <Item name="SCALE" sample="1" role="scale">0.5</Item>
  <Item name="OFFSET" sample="1" role="offset">-3</Item>
  <Item name="STATISTICS_MEAN" sample="1">2.5</Item>
  <Item name="DESCRIPTION" sample="9" role="description">out of range</Item>
</GDALMetadata>`;
    const m = parseGdalMetadata(xml, 2);
    expect(m.descriptions).toEqual(['a & <b>', '']);
    expect(m.scales).toEqual([null, 0.5]);
    expect(m.offsets).toEqual([null, -3]);
    expect(m.bandItems[1]?.get('STATISTICS_MEAN')).toBe('2.5');
    expect(m.items.get('AREA')).toBe('x');
  });
  it('copes with the XML of a 2000-band cube (hundreds of KB)', () => {
    const items = Array.from(
      { length: 2000 },
      (_, i) => `<Item name="DESCRIPTION" sample="${i}" role="description">${String(i).padStart(4, '0')}</Item>`,
    );
    const m = parseGdalMetadata(`<GDALMetadata>${items.join('\n')}</GDALMetadata>`, 2000);
    expect(m.descriptions[1999]).toBe('1999');
  });
});

describe('http sources', () => {
  it('a release builds from http:// sources with ranged reads, equal to the one built from files', async () => {
    const server = await startRangeServer();
    const resolver = createSourceResolver();
    try {
      server.set('/u16.tif', readFileSync(tinySource('u16.tif')));
      server.set('/f32.tif', readFileSync(tinySource('f32.tif')));
      const build = async (name: string, manifest: string) => {
        const datasets = await writeDataset(join(tmp(), name, 'datasets'), { manifest });
        const [o] = await buildReleases({
          datasetsDir: datasets,
          releaseRoot: join(tmp(), name, 'releases'),
          releases: new Map([['ds', 'ds-r-2026.10.07']]),
          resolver,
          revision: 'test',
        });
        return o;
      };
      const remote = await build(
        'http',
        sourceManifest(server.url('/u16.tif'), server.url('/f32.tif'), tinySource('u16.tif'), tinySource('f32.tif')),
      );
      expect(remote?.findings).toEqual([]);
      expect(server.requests.every((r) => r.method === 'HEAD' || r.range !== undefined)).toBe(true);
      const local = await build('file', sourceManifest());
      // same pixels, same declaration except the source URIs: the COGs are identical
      const dir = (name: string): string => join(tmp(), name, 'releases', 'ds-r-2026.10.07');
      expect((await verifyRelease(dir('http'))).ok).toBe(true);
      const cog = 'cogs/a/ds--0100--0101.tif';
      expect(readFileSync(join(dir('http'), cog)).equals(readFileSync(join(dir('file'), cog)))).toBe(true);
      expect(local?.pins?.declaration_digest).not.toBe(remote?.pins?.declaration_digest);
    } finally {
      await resolver.close();
      await server.close();
    }
  });

  it('sha256Source streams ranges and equals the hash of the bytes', async () => {
    const bytes = readFileSync(tinySource('f32.tif'));
    const resolver = createSourceResolver();
    const { hex, size } = await sha256Source(resolver.open(tinySource('f32.tif')), { chunkBytes: 100 });
    expect(size).toBe(bytes.length);
    expect(hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    await resolver.close();
  });
});
