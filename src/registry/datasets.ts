/**
 * What one process (`skope serve`, `skope extract`, `skope worker`) or one extraction worker thread needs to reach
 * the datasets, built once from the config: the registry and colormaps (files the config names), one source resolver
 * with its byte cache, the decoded-block cache, the decode threads, the lookups and the open COGs.
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import { createBlockCache } from '../raster/block.cache.js';
import { openCog } from '../raster/cog.js';
import { createDecodePool } from '../raster/decode.pool.js';
import type { Cog } from '../raster/types.js';
import { createSourceResolver, joinUrl, type DefaultSourceResolver } from '../storage/resolver.js';
import type { FetchOptions } from '../storage/source.js';
import { CogStore } from './cog.store.js';
import { createColormapSet, parseCustomColormaps, type ColormapSet } from './colormaps.js';
import { LookupStore } from './lookup.store.js';
import { parseRegistry } from './registry.js';
import type { Registry } from './types.js';

/** The datasets and the means to read them; close it on shutdown. */
export interface Datasets {
  registry: Registry;
  colormaps: ColormapSet;
  lookups: LookupStore;
  resolver: DefaultSourceResolver;
  /** Storage root as an absolute path or URL (lookup `file`s are relative to it). */
  baseUrl: string;
  /** Opens a COG by absolute URL through this process's {@link CogStore}; callers never close what it returns. */
  openCog(url: string, o?: FetchOptions): Promise<Cog>;
  /** Resolves when storage answers: a HEAD of the first dataset's lookup file (readiness). */
  checkStorage(): Promise<void>;
  /** Closes the open COGs, the sources and the decode threads. */
  close(): Promise<void>;
}

/** Options of {@link openDatasets}. */
export interface DatasetsOptions {
  /**
   * For an extraction worker thread: local files are read with synchronous `pread`s, which beat pooled reads for
   * many small page-cached blocks and would only block that worker's own loop.
   */
  worker?: boolean;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Reads the registry and colormaps and builds the readers.
 * @throws AppError `config_invalid` (no registry file) | `registry_invalid` | `colormap_invalid` | `colormap_not_found`.
 */
export async function openDatasets(config: Config, options: DatasetsOptions = {}): Promise<Datasets> {
  const customText = await readOptional(config.colormapsPath);
  const colormaps = createColormapSet(
    customText === null ? {} : parseCustomColormaps(customText, config.colormapsPath),
  );
  const registryText = await readOptional(config.registryPath);
  if (registryText === null) {
    throw new AppError(
      'config_invalid',
      `Registry file not found: ${config.registryPath}. Set REGISTRY_PATH, or run \`skope demo\` to write the demo dataset.`,
    );
  }
  const registry = parseRegistry(registryText, colormaps, config.registryPath);
  const resolver = createSourceResolver({
    cacheBytes: config.sourceCacheBytes,
    ...(options.worker === true ? { file: { syncReads: true } } : {}),
    s3: {
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
    },
  });
  const baseUrl = SCHEME.test(config.storageBaseUrl) ? config.storageBaseUrl : resolvePath(config.storageBaseUrl);
  const lookups = new LookupStore({ resolver, baseUrl, checkIntervalMs: config.lookupCheckIntervalMs });
  const blockCache = config.blockCacheBytes > 0 ? createBlockCache(config.blockCacheBytes) : undefined;
  // Large reads (many small blocks) decode on these threads too; tiles (1–4 blocks) never use them.
  const decodePool = config.decodeThreads > 0 ? createDecodePool({ threads: config.decodeThreads }) : undefined;
  const cogs = new CogStore({
    open: (url) =>
      openCog(resolver.open(url), { ...(blockCache ? { blockCache } : {}), ...(decodePool ? { decodePool } : {}) }),
    max: config.cogCacheSize,
    ttlMs: Math.max(1000, config.lookupCheckIntervalMs),
  });
  return {
    registry,
    colormaps,
    lookups,
    resolver,
    baseUrl,
    openCog: (url, o) => cogs.open(url, o),
    async checkStorage() {
      const first = registry.list()[0];
      if (first) await resolver.open(joinUrl(baseUrl, `${first.id}/lookup.json`)).head();
    },
    async close() {
      cogs.clear();
      await resolver.close();
      await decodePool?.close();
    },
  };
}

/** Reads a text file, or null when it does not exist. */
async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
