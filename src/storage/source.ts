/**
 * Byte sources: random access to the bytes of one object (a local file, an HTTP(S) URL, an S3 object or a
 * buffer in memory). Shaped after @cogeotiff/core's `Source` so a ByteSource can be handed to it directly.
 */

/** Options every read honours. */
export interface FetchOptions {
  /** Aborts the read (and any retry wait); the promise then rejects with an AppError `aborted`. */
  signal?: AbortSignal;
  /**
   * false: the bytes are used once (an extraction's blocks), so a byte cache neither keeps them nor copies them
   * (it still serves them when it holds them). Default true.
   */
  cache?: boolean;
}

/** What we know about an object without reading it. */
export interface SourceMetadata {
  /** Total size in bytes, when known. */
  size?: number;
  /** An opaque version string (HTTP/S3 ETag, or `mtimeMs-size` for files): changes when the bytes change. */
  etag?: string;
}

/** Random access to one object's bytes. */
export interface ByteSource {
  /** Where the bytes live: `file:///…`, `http(s)://…`, `s3://bucket/key`, `memory://name`. */
  readonly url: URL;
  /** Filled in after the first `head()` or read that learns it. */
  metadata?: SourceMetadata;
  /**
   * Read `length` bytes at `offset` (bytes from the start of the object). Without `length`, read to the end.
   * Resolves with exactly the bytes asked for (fewer only when the object ends first).
   * @throws AppError `source_not_found` | `source_unavailable` | `source_read_error` | `aborted`
   */
  fetch(offset: number, length?: number, options?: FetchOptions): Promise<ArrayBuffer>;
  /**
   * Present where reads are merged into larger requests (HTTP, S3): `fetch`'s bytes as a view that may share its
   * buffer with other reads' views (no copy per read). Read-only.
   * @throws AppError as `fetch`.
   */
  fetchBytes?(offset: number, length?: number, options?: FetchOptions): Promise<Uint8Array>;
  /**
   * Present with `fetchBytes`: hands back a view that `fetchBytes` gave for a `cache: false` read once the caller
   * has finished reading it, so the source may reuse its memory for a later body. Call it at most once per view
   * and never read the view afterwards; views not released are simply collected. No-op for anything else.
   */
  release?(bytes: Uint8Array): void;
  /**
   * Present only where a read is a cheap local call on the calling thread (a file source made with `syncReads`):
   * reads `length` bytes at `offset` into `dst` synchronously and returns how many were read (fewer only when the
   * object ends first). Lets a worker thread decode many small blocks with no promise and no buffer per block.
   * @throws AppError as `fetch`.
   */
  readSync?(offset: number, length: number, dst: Uint8Array): number;
  /** Size and version of the object without reading its body. */
  head(options?: FetchOptions): Promise<Required<Pick<SourceMetadata, 'size'>> & SourceMetadata>;
  /** Release file handles / connections. */
  close?(): Promise<void>;
}

/** Opens a ByteSource for a URL or local path; the one place that picks file | http | s3 | memory. */
export interface SourceResolver {
  /** @throws AppError `invalid_request` for an unsupported scheme. */
  open(url: string | URL): ByteSource;
}
