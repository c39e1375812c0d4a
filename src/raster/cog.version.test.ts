import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../storage/source.memory.js';
import { openCog } from './cog.js';

const FIXTURES = new URL('../../test/fixtures/upstream-5x5/', import.meta.url);

describe('RasterMetadata.version', () => {
  it("is the source's version when opened, and changes when the bytes are replaced", async () => {
    const a = readFileSync(new URL('annual_5x5x5_dataset_float32_variable.tif', FIXTURES));
    const b = readFileSync(new URL('annual_5x5x5_dataset_uint16_variable.tif', FIXTURES));
    const source = new MemorySource('memory://v/test.tif', new Uint8Array(a));
    const first = await openCog(source);
    expect(first.metadata.version).toBe(source.metadata?.etag);
    expect(first.metadata.dtype).toBe('float32');

    source.set(new Uint8Array(b));
    const second = await openCog(source);
    expect(second.metadata.version).not.toBeNull();
    expect(second.metadata.version).not.toBe(first.metadata.version);
    expect(second.metadata.dtype).toBe('uint16');
  });
});
