import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

import { AppError, abortError } from '../../src/errors.js';
import type { ByteSource, FetchOptions, SourceMetadata } from '../../src/storage/source.js';

/**
 * A minimal file-backed ByteSource for tests (the real ones are in src/storage). Counts fetches so tests can
 * check that a read touches only the blocks it needs.
 */
export class TestFileSource implements ByteSource {
  readonly url: URL;
  metadata?: SourceMetadata;
  /** Every fetch as [offset, length]. */
  readonly fetches: [number, number | undefined][] = [];
  private handle: Promise<FileHandle> | null = null;

  constructor(readonly path: string) {
    this.url = pathToFileURL(path);
  }

  async head(options?: FetchOptions): Promise<{ size: number; etag: string }> {
    if (options?.signal?.aborted) throw abortError(options.signal);
    try {
      const s = await stat(this.path);
      const meta = { size: s.size, etag: `${s.mtimeMs}-${s.size}` };
      this.metadata = meta;
      return meta;
    } catch (err) {
      throw new AppError('source_not_found', `${this.url.href} does not exist.`, { cause: err });
    }
  }

  async fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer> {
    if (options?.signal?.aborted) throw abortError(options.signal);
    this.fetches.push([offset, length]);
    // A missing file is `source_not_found` on a read too, as every ByteSource reports it.
    this.handle ??= open(this.path, 'r').catch((err: unknown) => {
      this.handle = null;
      throw new AppError('source_not_found', `${this.url.href} does not exist.`, { cause: err });
    });
    const fh = await this.handle;
    const size = length ?? (await fh.stat()).size - offset;
    const buf = Buffer.alloc(Math.max(0, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) as ArrayBuffer;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h) await (await h).close();
  }
}
