/** A test colour table (256 × RGBA): entry i = (i, 255 − i, i >> 1, 255), so every index has its own colour. */
export function testLut(): Uint8Array {
  const lut = new Uint8Array(1024);
  for (let i = 0; i < 256; i++) lut.set([i, 255 - i, i >> 1, 255], 4 * i);
  return lut;
}
