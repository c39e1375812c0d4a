/**
 * Drawing on the map (terra-draw): polygon, rectangle and point. Loaded on its own (a dynamic import) once the map
 * has painted its first tiles, so its code is not parsed before the first map paint.
 */
import type { Map as MapLibreMap } from 'maplibre-gl';
import { TerraDraw, TerraDrawPointMode, TerraDrawPolygonMode, TerraDrawRectangleMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

/** The drawing tool of a map. */
export interface DrawTool {
  /** `polygon`, `rectangle`, `point`, or null to stop drawing. */
  setMode(mode: string | null): void;
}

/**
 * Starts drawing on `map` (its style must be loaded). `onFinish` gets each finished shape's GeoJSON geometry; the
 * tool then forgets the shape and stops drawing (`onStopped`), as the page shows the area in a layer of its own.
 */
export function createDraw(map: MapLibreMap, onFinish: (geometry: unknown) => void, onStopped: () => void): DrawTool {
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [new TerraDrawPolygonMode(), new TerraDrawRectangleMode(), new TerraDrawPointMode()],
  });
  draw.start();
  draw.on('finish', (id) => {
    const feature = draw.getSnapshotFeature(id);
    if (feature) onFinish(feature.geometry);
    setTimeout(() => {
      draw.clear();
      draw.setMode('static');
      onStopped();
    }, 0);
  });
  return { setMode: (mode) => draw.setMode(mode ?? 'static') };
}
