/**
 * The open COGs of one process or worker thread, by URL, as {@link LookupStore} holds lookups: concurrent callers
 * share one open, headers are re-read after the lookup check interval (a file rewritten in place is noticed; its new
 * version also changes block-cache keys and tile ETags), and a failed open is forgotten at once.
 */
import { LRUCache } from 'lru-cache';
import { raceAbort } from '../errors.js';
import type { Cog } from '../raster/types.js';
import type { FetchOptions } from '../storage/source.js';

/** Options of a {@link CogStore}. */
export interface CogStoreOptions {
  /** Opens a COG (header only). Called without a signal: a shared open must not die with one caller's signal. */
  open(url: string): Promise<Cog>;
  /** Open COGs kept (LRU). */
  max: number;
  /** How long an open COG is served before its header is read again, in ms. */
  ttlMs: number;
}

/** Per-process cache of open COGs. */
export class CogStore {
  private readonly cogs: LRUCache<string, Promise<Cog>>;
  private readonly openCog: (url: string) => Promise<Cog>;

  constructor(options: CogStoreOptions) {
    this.openCog = options.open;
    // Evicted or expired entries are not closed: a read may still be using them, and file sources close idle
    // handles by themselves. Only deletes (a failed open, `clear` at shutdown) close.
    this.cogs = new LRUCache<string, Promise<Cog>>({
      max: options.max,
      ttl: options.ttlMs,
      dispose: (p, _url, reason) => {
        if (reason === 'delete') void p.then((cog) => cog.close()).catch(() => undefined);
      },
    });
  }

  /**
   * The COG at `url`, opened once and shared. `options.signal` stops this caller's wait only.
   * @throws what opening throws (source and raster errors); AppError `aborted` when the signal fires first.
   */
  open(url: string, options?: FetchOptions): Promise<Cog> {
    let p = this.cogs.get(url);
    if (!p) {
      const opened = this.openCog(url);
      p = opened;
      this.cogs.set(url, opened);
      opened.catch(() => {
        if (this.cogs.get(url) === opened) this.cogs.delete(url);
      });
    }
    return raceAbort(p, options?.signal);
  }

  /** Forgets and closes every open COG (shutdown). */
  clear(): void {
    this.cogs.clear();
  }
}
