/**
 * Low-level TIFF structure encoding for the COG writer: the file header, GDAL's "ghost" structural-metadata
 * block, and IFDs (classic TIFF or BigTIFF, little-endian). Pure: builds byte buffers, does no I/O.
 */

/** TIFF field types we write (TIFF 6.0 / BigTIFF numbering). */
export const TagType = { ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12, LONG8: 16 } as const;
export type TagType = (typeof TagType)[keyof typeof TagType];

const TYPE_SIZE: Record<TagType, number> = { 2: 1, 3: 2, 4: 4, 12: 8, 16: 8 };

/** One IFD entry. ASCII values are written NUL-terminated. */
export interface TiffTag {
  tag: number;
  type: TagType;
  values: readonly number[] | string;
}

/** TIFF tag numbers used by the writer. */
export const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  SamplesPerPixel: 277,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  ModelTransformation: 34264,
  GeoKeyDirectory: 34735,
  GdalMetadata: 42112,
  GdalNodata: 42113,
} as const;

/**
 * GDAL's COG "ghost area": written right after the header so readers (GDAL, the validator) know the file
 * has IFDs before data, row-major blocks, a 4-byte size leader and a 4-byte trailer around every block.
 * The trailing space keeps the body length even, as GDAL does.
 */
export function ghostHeader(): Buffer {
  const body =
    'LAYOUT=IFDS_BEFORE_DATA\n' +
    'BLOCK_ORDER=ROW_MAJOR\n' +
    'BLOCK_LEADER=SIZE_AS_UINT4\n' +
    'BLOCK_TRAILER=LAST_4_BYTES_REPEATED\n' +
    'KNOWN_INCOMPATIBLE_EDITION=NO\n ';
  const head = `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n`;
  return Buffer.from(head + body, 'latin1');
}

/** Bytes of the TIFF header: 8 (classic) or 16 (BigTIFF). */
export function headerLength(bigTiff: boolean): number {
  return bigTiff ? 16 : 8;
}

/** The TIFF header pointing at the first IFD (byte offset). */
export function encodeHeader(bigTiff: boolean, firstIfd: number): Buffer {
  const b = Buffer.alloc(headerLength(bigTiff));
  b.write('II', 0, 'latin1');
  if (bigTiff) {
    b.writeUInt16LE(43, 2);
    b.writeUInt16LE(8, 4);
    b.writeUInt16LE(0, 6);
    b.writeBigUInt64LE(BigInt(firstIfd), 8);
  } else {
    b.writeUInt16LE(42, 2);
    b.writeUInt32LE(firstIfd, 4);
  }
  return b;
}

function valueCount(t: TiffTag): number {
  return typeof t.values === 'string' ? Buffer.byteLength(t.values, 'latin1') + 1 : t.values.length;
}

function valueBytes(t: TiffTag): number {
  return valueCount(t) * TYPE_SIZE[t.type];
}

const even = (n: number): number => n + (n % 2);

/** Byte length of one IFD including its out-of-line values (each padded to an even length). */
function ifdLength(tags: readonly TiffTag[], bigTiff: boolean): number {
  const entry = bigTiff ? 20 : 12;
  const inline = bigTiff ? 8 : 4;
  let n = (bigTiff ? 8 : 2) + tags.length * entry + (bigTiff ? 8 : 4);
  for (const t of tags) {
    const size = valueBytes(t);
    if (size > inline) n += even(size);
  }
  return n;
}

function writeValues(buf: Buffer, at: number, t: TiffTag): void {
  if (typeof t.values === 'string') {
    buf.write(t.values, at, 'latin1');
    buf[at + Buffer.byteLength(t.values, 'latin1')] = 0;
    return;
  }
  const size = TYPE_SIZE[t.type];
  t.values.forEach((v, i) => {
    const p = at + i * size;
    switch (t.type) {
      case TagType.SHORT:
        buf.writeUInt16LE(v, p);
        break;
      case TagType.LONG:
        buf.writeUInt32LE(v, p);
        break;
      case TagType.DOUBLE:
        buf.writeDoubleLE(v, p);
        break;
      case TagType.LONG8:
        buf.writeBigUInt64LE(BigInt(v), p);
        break;
      default:
        buf[p] = v;
    }
  });
}

/**
 * Encode a chain of IFDs laid out back to back from byte `start` of the file, each followed by its
 * out-of-line values; each IFD's next-IFD pointer links to the following one (0 after the last).
 * Tags are sorted by number as TIFF requires.
 * @returns the bytes and the file offset of each IFD.
 */
export function encodeIfds(
  ifds: readonly (readonly TiffTag[])[],
  bigTiff: boolean,
  start: number,
): { bytes: Buffer; offsets: number[] } {
  const lengths = ifds.map((tags) => ifdLength(tags, bigTiff));
  const total = lengths.reduce((a, b) => a + b, 0);
  const buf = Buffer.alloc(total);
  const offsets: number[] = [];
  let pos = 0;
  const entry = bigTiff ? 20 : 12;
  const inline = bigTiff ? 8 : 4;
  ifds.forEach((unsorted, k) => {
    const tags = [...unsorted].sort((a, b) => a.tag - b.tag);
    const base = pos;
    offsets.push(start + base);
    let p = base;
    if (bigTiff) {
      buf.writeBigUInt64LE(BigInt(tags.length), p);
      p += 8;
    } else {
      buf.writeUInt16LE(tags.length, p);
      p += 2;
    }
    const nextAt = p + tags.length * entry;
    let extra = nextAt + (bigTiff ? 8 : 4);
    for (const t of tags) {
      buf.writeUInt16LE(t.tag, p);
      buf.writeUInt16LE(t.type, p + 2);
      const count = valueCount(t);
      if (bigTiff) buf.writeBigUInt64LE(BigInt(count), p + 4);
      else buf.writeUInt32LE(count, p + 4);
      const valueAt = p + (bigTiff ? 12 : 8);
      if (valueBytes(t) <= inline) {
        writeValues(buf, valueAt, t);
      } else {
        if (bigTiff) buf.writeBigUInt64LE(BigInt(start + extra), valueAt);
        else buf.writeUInt32LE(start + extra, valueAt);
        writeValues(buf, extra, t);
        extra += even(valueBytes(t));
      }
      p += entry;
    }
    const lengthK = lengths[k] ?? 0;
    const next = k + 1 < ifds.length ? start + base + lengthK : 0;
    if (bigTiff) buf.writeBigUInt64LE(BigInt(next), nextAt);
    else buf.writeUInt32LE(next, nextAt);
    pos = base + lengthK;
  });
  return { bytes: buf, offsets };
}
