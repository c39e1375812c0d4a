/**
 * The datasets of one process, read once from the files the settings name: the registry (`metadata.yml`), the
 * colormaps, and the lookups of each dataset (loaded on demand through the process's source resolver).
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { AppError } from '../errors.js';
import { joinUrl } from '../storage/resolver.js';
import type { SourceResolver } from '../storage/source.js';
import { createColormapSet, parseCustomColormaps, type ColormapSet } from './colormaps.js';
import { LookupStore } from './lookup.store.js';
import { parseRegistry } from './registry.js';
import type { LookupSource, Registry } from './types.js';

/** What {@link openDatasets} reads: the settings of the same names (the config passes as is). */
export interface DatasetSettings {
  /** The registry YAML file. */
  registryPath: string;
  /** Custom colormaps JSON file; a missing file means none. */
  colormapsPath: string;
  /** Storage root: a local directory, `file://`, `s3://` or `http(s)://` prefix. */
  storageBaseUrl: string;
  /** How long a loaded lookup is served before storage is asked again (ms). */
  lookupCheckIntervalMs: number;
}

/**
 * The registry, colormaps and lookups of a process: from `metadata.yml` + `lookup.json` files ({@link openDatasets}),
 * or composed from pinned releases (`src/release/serve/`).
 */
export interface Datasets {
  registry: Registry;
  colormaps: ColormapSet;
  lookups: LookupSource;
  /** Storage root as an absolute path or URL (lookup `file`s are relative to it). */
  baseUrl: string;
  /** Resolves when storage answers: a HEAD of the first dataset's lookup file (readiness). */
  checkStorage(): Promise<void>;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Reads the registry and colormaps; lookups are read through `resolver` when first asked for.
 * @throws AppError `config_invalid` (no registry file) | `registry_invalid` | `colormap_invalid` | `colormap_not_found`.
 */
export async function openDatasets(settings: DatasetSettings, resolver: SourceResolver): Promise<Datasets> {
  const customText = await readOptional(settings.colormapsPath);
  const colormaps = createColormapSet(
    customText === null ? {} : parseCustomColormaps(customText, settings.colormapsPath),
  );
  const registryText = await readOptional(settings.registryPath);
  if (registryText === null) {
    throw new AppError(
      'config_invalid',
      `Registry file not found: ${settings.registryPath}. Set REGISTRY_PATH, or run \`skope demo\` to write the demo dataset.`,
    );
  }
  const registry = parseRegistry(registryText, colormaps, settings.registryPath);
  const base = settings.storageBaseUrl;
  const baseUrl = SCHEME.test(base) ? base : resolvePath(base);
  const lookups = new LookupStore({ resolver, baseUrl, checkIntervalMs: settings.lookupCheckIntervalMs });
  return {
    registry,
    colormaps,
    lookups,
    baseUrl,
    async checkStorage() {
      const first = registry.list()[0];
      if (first) await resolver.open(joinUrl(baseUrl, `${first.id}/lookup.json`)).head();
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
