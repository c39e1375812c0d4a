/**
 * The tile use case behind the HTTP routes: validate a request in upstream's order (dataset, variable, style,
 * tile address: a request with several faults gets the same error as upstream), resolve the timestep to a file
 * and band, open the COG header, plan the tile and compute its ETag — all before any pixel is read — then render.
 * Also the TileJSON facts of a timestep.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { resolveCrs } from '../geo/crs.js';
import type { Crs } from '../geo/crs.js';
import type { Cog, RasterMetadata } from '../raster/types.js';
import type { ColormapSet } from '../registry/colormaps.js';
import { interpolateStops, setLut } from '../registry/colormaps.js';
import { resolveSingleBand } from '../registry/lookup.resolve.js';
import { requireVariable } from '../registry/registry.js';
import type { Lookup, Registry, VariableDisplay } from '../registry/types.js';
import type { FetchOptions } from '../storage/source.js';
import type { TileFormat } from './tile.image.js';
import { TransparentTiles, encodeTile } from './tile.image.js';
import { allTransparent } from './colorize.js';
import type { TileStyle } from './style.js';
import { displayTileStyle, validateTileStyle } from './style.js';
import type { TileCrs } from './tile.crs.js';
import { tileCrsFrom } from './tile.crs.js';
import { MAX_ZOOM, isTileInMatrix } from './tile.matrix.js';
import type { TilePlan } from './tile.plan.js';
import { planTile } from './tile.plan.js';
import { readTileCodes } from './tile.read.js';
import type { RasterFootprint } from './tilejson.js';
import { rasterFootprint } from './tilejson.js';
import type { Resampling } from './warp.js';

/** Bumped when the rendering changes, so clients' cached ETags stop matching. */
const RENDER_VERSION = 'skope-tiles-2';

/** What the tile service needs (the route's `TilesDeps` without HTTP settings). */
export interface TileSourceDeps {
  registry: Registry;
  colormaps: ColormapSet;
  lookups: { get(datasetId: string, o?: FetchOptions): Promise<Lookup> };
  /** Opens (and may cache) the COG at an absolute URL or path; reads its header only. */
  openCog(url: string, o?: FetchOptions): Promise<Cog>;
  /** Storage root the lookup's `file` paths are relative to. */
  baseUrl: string;
}

/** Which timestep of which variable, styled how (query values as received). */
export interface TileLayerRequest {
  datasetId: string;
  variableId: string;
  timestep: string;
  /** `colormap` query value (blank, `undefined`, `null` → the registry's). */
  colormap?: string | undefined;
  /** `rescale` query value, `lo,hi` (default `0,100`). */
  rescale?: string | undefined;
}

/** One tile request. */
export interface TileRequest extends TileLayerRequest {
  z: number;
  x: number;
  y: number;
  /** Edge length, px (128, 256 or 512). */
  size: number;
  format: TileFormat;
  resampling: Resampling;
}

/** A validated, planned tile: everything but the pixels. */
export interface PreparedTile {
  request: TileRequest;
  style: TileStyle;
  /** Strong ETag (quoted) of the pixels this request renders. */
  etag: string;
  cog: Cog;
  bidx: number;
  plan: TilePlan;
  /** 256 × RGBA colour table. */
  lut: Uint8Array;
}

/** The resolved layer of a TileJSON request. */
export interface PreparedLayer {
  style: TileStyle;
  /**
   * True when the variable's display preferences style its tiles (a pinned release variable): `colormap` and
   * `rescale` queries have no effect on them.
   */
  styledByDisplay: boolean;
  timestep: string;
  footprint: RasterFootprint;
}

/** Distinct query styles kept validated (the map is emptied when full). */
const MAX_STYLES = 1024;

/** Tile rendering over the registry, lookups and COGs. Holds the shared transparent tiles. */
export class TileService {
  readonly #deps: TileSourceDeps;
  readonly #crsCache = new Map<string, Crs>();
  readonly #transparent = new TransparentTiles();
  /** Digest of each layer's shared ETag part, by style, palette and file metadata (objects a layer's tiles share). */
  readonly #layerDigests = new WeakMap<TileStyle, WeakMap<Uint8Array, WeakMap<RasterMetadata, string>>>();
  /** Validated query styles by colormap, rescale and default colormap (read-only: shared by the tiles that ask). */
  readonly #styles = new Map<string, Readonly<TileStyle>>();
  readonly #luts = new Map<string, Uint8Array>();

  constructor(deps: TileSourceDeps) {
    this.#deps = deps;
  }

  /**
   * Validates and plans a tile without reading pixels.
   * @throws AppError `dataset_not_found` | `variable_not_found` (404), `invalid_request` (style, tile range),
   *   `colormap_not_found` (422), `timestep_malformed` (422), `timestep_not_found` (404), source/raster errors
   */
  async prepare(req: TileRequest, options: FetchOptions = {}): Promise<PreparedTile> {
    const { style, lut } = this.#style(req);
    if (!Number.isInteger(req.z) || req.z < 0 || req.z > MAX_ZOOM) {
      throw new AppError('invalid_request', `Zoom level must be an integer from 0 to ${MAX_ZOOM}.`);
    }
    if (!isTileInMatrix(req)) {
      throw new AppError(
        'invalid_request',
        `Tile ${req.z}/${req.x}/${req.y} does not exist: x and y must be below ${2 ** req.z}.`,
      );
    }
    const { cog, bidx, crs } = await this.#open(req, options);
    const plan = planTile(cog.metadata.levels, crs, req, req.size, req.resampling);
    const etag = this.#etag(req, style, lut, cog.metadata, bidx, plan.level);
    return { request: req, style, etag, cog, bidx, plan, lut };
  }

  /**
   * Renders a prepared tile: the shared transparent tile when the plan reads nothing or every pixel is empty.
   * @throws AppError source/raster errors, `aborted`
   */
  async render(tile: PreparedTile, options: FetchOptions = {}): Promise<Buffer> {
    const { request: req, plan } = tile;
    if (plan.window === null) return this.#transparent.get(req.size, req.format);
    const { style } = tile;
    const spec = {
      tile: req,
      size: req.size,
      resampling: req.resampling,
      rescale: style.rescale,
      categories: style.categories,
      scale: style.scale,
      offset: style.offset,
    };
    const codes = await readTileCodes(tile.cog, plan, tile.bidx, spec, options);
    if (allTransparent(codes)) return this.#transparent.get(req.size, req.format);
    return encodeTile(codes, req.size, req.format, tile.lut);
  }

  /**
   * Validates a layer (same checks and order as a tile) and describes its raster for TileJSON.
   * @throws as `prepare`
   */
  async layer(req: TileLayerRequest, options: FetchOptions = {}): Promise<PreparedLayer> {
    const { style, styledByDisplay } = this.#style(req);
    const { cog, crs, timestep } = await this.#open(req, options);
    const m = cog.metadata;
    return { style, styledByDisplay, timestep, footprint: rasterFootprint(m.width, m.height, m.transform, crs) };
  }

  #style(req: TileLayerRequest): { style: TileStyle; lut: Uint8Array; styledByDisplay: boolean } {
    const { registry, colormaps } = this.#deps;
    const { variable } = requireVariable(registry, req.datasetId, req.variableId);
    if (variable.display !== undefined) {
      // A pinned release variable: palette and range come from the display preferences; queries have no effect.
      const style = displayTileStyle(variable.display, variable);
      return { style, lut: this.#displayLut(variable.display), styledByDisplay: true };
    }
    // Every tile of a layer asks with the same query: validated (and %g-formatted) once per distinct query.
    // (An absent query value and an empty one are told apart: an empty rescale is refused, an absent one defaults.)
    const key = JSON.stringify([req.colormap ?? null, req.rescale ?? null, variable.colormap]);
    let style = this.#styles.get(key);
    if (style === undefined) {
      style = validateTileStyle(req.colormap, req.rescale, variable.colormap);
      if (this.#styles.size >= MAX_STYLES) this.#styles.clear();
      this.#styles.set(key, style);
    }
    const cm = colormaps.get(style.colormap);
    if (cm === null) throw new AppError('colormap_not_found', `Colormap '${style.colormap}' is not known.`);
    return { style, lut: cm.lut, styledByDisplay: false };
  }

  /** The 256-entry table of a display palette (ramp interpolated, set by position), built once per palette. */
  #displayLut(display: VariableDisplay): Uint8Array {
    const key = `${display.type}\u0000${display.palette}\u0000${display.colors.join(',')}`;
    let lut = this.#luts.get(key);
    if (lut === undefined) {
      lut =
        display.type === 'continuous'
          ? interpolateStops(display.colors, display.palette)
          : setLut(display.colors, display.palette);
      this.#luts.set(key, lut);
    }
    return lut;
  }

  async #open(
    req: TileLayerRequest,
    options: FetchOptions,
  ): Promise<{ cog: Cog; bidx: number; crs: TileCrs; timestep: string }> {
    const { lookups, baseUrl, openCog, registry } = this.#deps;
    const lookup = await lookups.get(req.datasetId, options);
    const { url, bidx, timestep } = resolveSingleBand(
      lookup,
      req.variableId,
      req.timestep,
      baseUrl,
      registry.get(req.datasetId)?.release,
    );
    const cog = await openCog(url, options);
    if (bidx < 1 || bidx > cog.metadata.bands) {
      throw new AppError('band_out_of_range', `Band ${bidx} is outside ${url} (${cog.metadata.bands} bands).`);
    }
    // The file's own CRS wins: the registry's CRS of some upstream datasets is a placeholder.
    const code = cog.metadata.crs ?? (registry.get(req.datasetId)?.crs as string);
    const crs = tileCrsFrom(resolveCrs(code, this.#crsCache));
    return { cog, bidx, crs, timestep };
  }

  #etag(req: TileRequest, style: TileStyle, lut: Uint8Array, m: RasterMetadata, bidx: number, level: number): string {
    // What every tile of a layer shares (file, style, palette) is hashed once per layer; each tile adds its address.
    let byLut = this.#layerDigests.get(style);
    if (byLut === undefined) this.#layerDigests.set(style, (byLut = new WeakMap()));
    let byMeta = byLut.get(lut);
    if (byMeta === undefined) byLut.set(lut, (byMeta = new WeakMap()));
    let layer = byMeta.get(m);
    if (layer === undefined) {
      const h = createHash('sha1');
      h.update(
        JSON.stringify([
          RENDER_VERSION,
          m.url,
          m.version,
          m.width,
          m.height,
          m.bands,
          m.dtype,
          m.nodata === null ? null : String(m.nodata),
          m.crs,
          m.transform,
          m.levels.map((l) => [l.width, l.height]),
          style.colormap,
          style.rescaleText,
          style.categories ?? null,
          style.scale ?? 1,
          style.offset ?? 0,
        ]),
      );
      h.update(lut);
      layer = h.digest('base64url');
      byMeta.set(m, layer);
    }
    return `"${layer}-${bidx}-${level}-${req.z}-${req.x}-${req.y}-${req.size}-${req.format}-${req.resampling}"`;
  }
}
