/**
 * The map: MapLibre with no basemap (the viewer works offline and needs no glyphs or sprites), a 5° graticule for
 * orientation, the dataset's outline, the variable's tiles for one timestep, and the selected area.
 *
 * A new timestep is loaded into a second, invisible raster layer and shown once the map is idle, so stepping (and
 * playing) never flashes an empty map; `onTimestepShown` tells when the new timestep is on screen.
 */
import * as maplibregl from 'maplibre-gl';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { AreaGeometry } from './area.js';
import { areaFeatureCollection } from './area.js';

const BACKGROUND = '#e8ecef';
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
        geometry: {
          type: 'LineString',
          coordinates: [
            [w, s],
            [e, s],
            [e, n],
            [w, n],
            [w, s],
          ],
        },
      },
    ],
  };
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

  constructor(
    container: HTMLElement,
    private readonly onTimestepShown: (url: string) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: {
          graticule: { type: 'geojson', data: graticule(5) },
          outline: { type: 'geojson', data: outline(null) },
          area: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } },
          { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#c5ccd2', 'line-width': 1 } },
          // Raster layers go here, below the outline.
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
      center: [-100, 40],
      zoom: 3,
      fadeDuration: 0,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
    });
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
    this.map.on('idle', () => this.swapIfLoaded());
    this.ready = new Promise((resolve) => this.map.once('load', () => resolve()));
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
        { padding: 24, animate: false },
      );
  }

  /** Loads the tiles of `url` (a `{z}/{x}/{y}` template) into a hidden layer; shown when the map is idle. */
  showTiles(url: string): void {
    const id = `tiles-${++this.layerSeq}`;
    // The first timestep is shown as its tiles arrive: there is nothing on screen to keep until they are all in.
    const first = this.current === null && this.pending === null;
    if (this.pending !== null) this.removeLayer(this.pending);
    this.map.addSource(id, {
      type: 'raster',
      tiles: [url],
      tileSize: 256,
      ...(this.bounds ? { bounds: this.bounds } : {}),
      maxzoom: 12,
    });
    this.map.addLayer(
      { id, type: 'raster', source: id, paint: { 'raster-opacity': first ? OPACITY : 0, 'raster-fade-duration': 0 } },
      'outline',
    );
    this.urls.set(id, url);
    this.pending = id;
    this.swapIfLoaded();
  }

  private swapIfLoaded(): void {
    const id = this.pending;
    if (id === null || !this.map.getSource(id) || !this.map.isSourceLoaded(id)) return;
    this.map.setPaintProperty(id, 'raster-opacity', OPACITY);
    if (this.current !== null) this.removeLayer(this.current);
    this.current = id;
    this.pending = null;
    this.onTimestepShown(this.urls.get(id) ?? '');
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
