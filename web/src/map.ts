/**
 * The map: MapLibre with no basemap (the viewer works offline and needs no glyphs or sprites), a 5° graticule for
 * orientation, the dataset's outline, the variable's tiles for one timestep, and the selected area.
 *
 * A new timestep is loaded into a second, invisible raster layer and shown once all its tiles in view are loaded, so
 * stepping (and playing) never flashes an empty map; `onTimestepShown` tells when the new timestep is on screen: at
 * the end of the first frame drawn with all its tiles in view (the map's `render` event), not at `idle`, which also
 * waits for the GeoJSON layers (graticule, outline, area) that the worker parses.
 *
 * When the page knows what it opens on before the map exists (the page carries `/metadata`), the map is built with
 * that view and the first timestep's raster layer already in its style: MapLibre asks for those tiles on its first
 * frame instead of after the style's `load` (which waits for the worker to start and parse the GeoJSON layers).
 */
import * as maplibregl from 'maplibre-gl';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { AreaGeometry } from './area.js';
import { areaFeatureCollection, boxRing } from './area.js';
import { tileTouches, tileUrlOf } from './tiles.js';

const AREA_COLOR = '#c2185b';
/** Opacity of the data layer (the graticule shows through a little). */
const OPACITY = 0.92;

/** Graticule lines every `step` degrees over the world (lon/lat). */
function graticule(step: number): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = [];
  for (let lon = -180; lon <= 180; lon += step) {
    const coords: number[][] = [];
    for (let lat = -85; lat <= 85; lat += 5) coords.push([lon, lat]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } });
  }
  for (let lat = -80; lat <= 80; lat += step) {
    const coords: number[][] = [];
    for (let lon = -180; lon <= 180; lon += 5) coords.push([lon, lat]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } });
  }
  return { type: 'FeatureCollection', features };
}

function outline(bbox: [number, number, number, number] | null): GeoJSON.FeatureCollection {
  if (bbox === null) return { type: 'FeatureCollection', features: [] };
  const [w, s, e, n] = bbox;
  return {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: {},
        geometry: { type: 'LineString', coordinates: boxRing(w, s, e, n) },
      },
    ],
  };
}

/** The view and tiles the map opens on (see the module comment). */
export interface FirstView {
  /** Tile URL template of the first timestep (`{z}/{x}/{y}`). */
  url: string;
  /** The dataset's extent `[west, south, east, north]` (degrees): its outline, the tiles' bounds, fitted if no view. */
  bbox: [number, number, number, number] | null;
  /** Centre lon/lat and zoom; null: fit `bbox`. */
  view: { lon: number; lat: number; zoom: number } | null;
}

/** Padding (CSS px) around a fitted dataset extent. */
const FIT_PADDING = 24;

/** Size (px) and deepest zoom of the server's tiles. */
const TILE_SIZE = 256;
const MAX_ZOOM = 12;

function rasterSource(
  url: string,
  bounds: [number, number, number, number] | null,
): maplibregl.RasterSourceSpecification {
  return { type: 'raster', tiles: [url], tileSize: TILE_SIZE, ...(bounds ? { bounds } : {}), maxzoom: MAX_ZOOM };
}

function rasterLayer(id: string, opacity: number): maplibregl.RasterLayerSpecification {
  return { id, type: 'raster', source: id, paint: { 'raster-opacity': opacity, 'raster-fade-duration': 0 } };
}

/** The viewer's map and its layers. */
export class ViewerMap {
  readonly map: MapLibreMap;
  private layerSeq = 0;
  private current: string | null = null;
  private pending: string | null = null;
  private bounds: [number, number, number, number] | null = null;
  private readonly ready: Promise<void>;
  /** Tile URL template of each raster layer. */
  private readonly urls = new Map<string, string>();
  /** A layer made visible for the next frame: told as shown once that frame is drawn. */
  private shown: string | null = null;

  constructor(
    container: HTMLElement,
    private readonly onTimestepShown: (url: string) => void,
    private readonly onError: (message: string) => void,
    first?: FirstView,
  ) {
    const firstId = first ? `tiles-${++this.layerSeq}` : null;
    if (first && firstId) {
      this.bounds = first.bbox;
      this.urls.set(firstId, first.url);
      this.pending = firstId;
    }
    const position: Partial<maplibregl.MapOptions> = first?.view
      ? { center: [first.view.lon, first.view.lat], zoom: first.view.zoom }
      : first?.bbox
        ? {
            bounds: [
              [first.bbox[0], first.bbox[1]],
              [first.bbox[2], first.bbox[3]],
            ],
            fitBoundsOptions: { padding: FIT_PADDING },
          }
        : { center: [-100, 40], zoom: 3 };
    this.map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: {
          outline: { type: 'geojson', data: outline(first?.bbox ?? null) },
          ...(first && firstId ? { [firstId]: rasterSource(first.url, first.bbox) } : {}),
          area: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        },
        layers: [
          // No background layer: the canvas is transparent where nothing is drawn and the page's background
          // (#map in style.css) shows through, one WebGL program and one full-screen draw fewer per frame.
          // The graticule goes below the rasters once the first timestep is on screen (addGraticule).
          // Raster layers go here, below the outline.
          ...(firstId ? [rasterLayer(firstId, OPACITY)] : []),
          { id: 'outline', type: 'line', source: 'outline', paint: { 'line-color': '#263238', 'line-width': 1.5 } },
          {
            id: 'area-fill',
            type: 'fill',
            source: 'area',
            filter: ['==', ['geometry-type'], 'Polygon'],
            paint: { 'fill-color': AREA_COLOR, 'fill-opacity': 0.12 },
          },
          {
            id: 'area-line',
            type: 'line',
            source: 'area',
            filter: ['==', ['geometry-type'], 'LineString'],
            paint: { 'line-color': AREA_COLOR, 'line-width': 2 },
          },
          {
            id: 'area-point',
            type: 'circle',
            source: 'area',
            filter: ['==', ['geometry-type'], 'Point'],
            paint: {
              'circle-color': AREA_COLOR,
              'circle-radius': 6,
              'circle-stroke-color': '#fff',
              'circle-stroke-width': 2,
            },
          },
        ],
      },
      ...position,
      fadeDuration: 0,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
    });
    if (first) this.prefetch(first.url, first.bbox);
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    this.map.on('error', (e) => {
      const err = (e as { error?: { message?: string; status?: number; url?: string } }).error;
      // A tile the server has no data for is not the user's problem; anything else is shown.
      if (err?.status === 404) return;
      this.onError(
        `The map could not load data${err?.status ? ` (HTTP ${err.status})` : ''}: ${err?.message ?? 'unknown error'}.`,
      );
    });
    this.map.on('render', () => this.afterFrame());
    this.map.once('idle', () => this.addGraticule());
    this.ready = new Promise((resolve) => this.map.once('load', () => resolve()));
  }

  /**
   * Asks for the tiles the first frame will need now, while the map sets up its renderer: the answers (cacheable,
   * `Cache-Control: public`) are in the browser's HTTP cache, or on their way, when the raster layer asks for the
   * same URLs on its first frame. The set is MapLibre's own (`coveringTiles` with the layer's tile size, zoom
   * rounding and extent), so no tile is asked for that the map would not ask for.
   */
  private prefetch(url: string, bbox: [number, number, number, number] | null): void {
    for (const id of this.map.coveringTiles({ tileSize: TILE_SIZE, roundZoom: true, maxzoom: MAX_ZOOM })) {
      const { z, x, y } = id.canonical;
      if (bbox && !tileTouches(z, x, y, bbox)) continue;
      const tile = tileUrlOf(url, z, x, y);
      // The body is read so the cache entry is complete; a failure is the layer's to report when it asks itself.
      void fetch(tile)
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    }
  }

  /** Resolves once the style is loaded (sources and layers may be changed). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Shows the dataset's outline; later tiles are limited to `bbox`. */
  setDataset(bbox: [number, number, number, number] | null): void {
    this.bounds = bbox;
    // setData's promise only says when the worker has the data; nothing waits for it.
    void (this.map.getSource('outline') as GeoJSONSource | undefined)?.setData(outline(bbox));
  }

  /** Moves to a view (centre lon/lat, zoom), or fits `bbox` when `view` is null. */
  goTo(view: { lon: number; lat: number; zoom: number } | null, bbox: [number, number, number, number] | null): void {
    if (view) this.map.jumpTo({ center: [view.lon, view.lat], zoom: view.zoom });
    else if (bbox)
      this.map.fitBounds(
        [
          [bbox[0], bbox[1]],
          [bbox[2], bbox[3]],
        ],
        { padding: FIT_PADDING, animate: false },
      );
  }

  /** Loads the tiles of `url` (a `{z}/{x}/{y}` template) into a hidden layer; shown once its tiles are loaded. */
  showTiles(url: string): void {
    // Already shown or on its way (the layer the map was built with).
    if (this.urls.get(this.pending ?? this.current ?? '') === url) return;
    const id = `tiles-${++this.layerSeq}`;
    // The first timestep is shown as its tiles arrive: there is nothing on screen to keep until they are all in.
    const first = this.current === null && this.pending === null;
    if (this.pending !== null) this.removeLayer(this.pending);
    this.map.addSource(id, rasterSource(url, this.bounds));
    this.map.addLayer(rasterLayer(id, first ? OPACITY : 0), 'outline');
    this.urls.set(id, url);
    this.pending = id;
  }

  /**
   * At the end of each frame: a layer made visible for this frame is on screen now (told); a pending layer whose
   * tiles in view are all loaded becomes the current one. A layer that was visible already (the first timestep) was
   * drawn with all its tiles in this frame, so it is told at once; a hidden one is made visible and told after the
   * next frame.
   */
  private afterFrame(): void {
    if (this.shown !== null) {
      const url = this.urls.get(this.shown);
      this.shown = null;
      if (url !== undefined) this.announce(url);
    }
    const id = this.pending;
    if (id === null || !this.map.getSource(id) || !this.map.isSourceLoaded(id)) return;
    const visible = this.map.getPaintProperty(id, 'raster-opacity') === OPACITY;
    if (!visible) this.map.setPaintProperty(id, 'raster-opacity', OPACITY); // (asks for a frame)
    if (this.current !== null) this.removeLayer(this.current);
    this.current = id;
    this.pending = null;
    if (visible) this.announce(this.urls.get(id) ?? '');
    else this.shown = id;
  }

  private announce(url: string): void {
    this.addGraticule();
    this.onTimestepShown(url);
  }

  /**
   * The 5° graticule, below the rasters. Added once the first timestep is on screen (or the map is idle without
   * one): its lines cost the first frames a WebGL program and a worker round trip, and orient only once there is
   * something to look at.
   */
  private addGraticule(): void {
    if (this.map.getSource('graticule')) return;
    this.map.addSource('graticule', { type: 'geojson', data: graticule(5) });
    const below = [...this.urls.keys()].find((id) => this.map.getLayer(id)) ?? 'outline';
    this.map.addLayer(
      { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#c5ccd2', 'line-width': 1 } },
      below,
    );
  }

  private removeLayer(id: string): void {
    if (this.map.getLayer(id)) this.map.removeLayer(id);
    if (this.map.getSource(id)) this.map.removeSource(id);
    this.urls.delete(id);
  }

  /**
   * Draws the selected area. Polygon outlines are drawn as lines of their own: MapLibre draws nothing of a
   * self-intersecting polygon, and such an area must still be seen (the API then says what is wrong with it).
   */
  setArea(area: AreaGeometry[]): void {
    const fc = areaFeatureCollection(area) as GeoJSON.FeatureCollection;
    const outlines: GeoJSON.Feature[] = area.flatMap((g) =>
      g.type === 'Polygon'
        ? [{ type: 'Feature', properties: {}, geometry: { type: 'MultiLineString', coordinates: g.coordinates } }]
        : [],
    );
    void (this.map.getSource('area') as GeoJSONSource | undefined)?.setData({
      type: 'FeatureCollection',
      features: [...fc.features, ...outlines],
    });
  }

  /**
   * Moves the map, zooming out only, so `bbox` (`[west, south, east, north]`, degrees) is in view with a margin; a
   * box in view already leaves the map where it is.
   */
  keepInView(bbox: [number, number, number, number]): void {
    const [w, s, e, n] = this.visibleBounds();
    if (bbox[0] >= w && bbox[1] >= s && bbox[2] <= e && bbox[3] <= n) return;
    this.map.fitBounds(
      [
        [bbox[0], bbox[1]],
        [bbox[2], bbox[3]],
      ],
      { padding: 40, maxZoom: this.map.getZoom(), animate: false },
    );
  }

  /** The current view: centre lon/lat and zoom. */
  view(): { lon: number; lat: number; zoom: number } {
    const c = this.map.getCenter();
    return { lon: c.lng, lat: c.lat, zoom: this.map.getZoom() };
  }

  /** The visible bounds `[west, south, east, north]`, degrees. */
  visibleBounds(): [number, number, number, number] {
    const b = this.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }
}
