/**
 * The page's first script, a few kB run before MapLibre's megabyte is compiled: asks for the tiles of the view the
 * page opens on (from the `/metadata` the page carries, the URL's view and the map's size), so the server renders
 * them while the browser compiles the map library. The answers are cacheable (`Cache-Control: public`): the map's
 * own requests for the same URLs find them in the HTTP cache or join them on the way. Speed is the only reason for
 * this file; the page does all of it again (main.ts, map.ts), so a failure here only loses the head start.
 */
import { chooseView, readMetadata, tileUrl } from './metadata.js';
import { fitView, tileTouches, tileUrlOf, viewTiles } from './tiles.js';
import { decodeState } from './urlstate.js';

/** Padding (CSS px) of a fitted dataset extent: map.ts's FIT_PADDING. */
const FIT_PADDING = 24;

function boot(): void {
  const text = document.getElementById('skope-metadata')?.textContent;
  const container = document.getElementById('map');
  if (!text || !container) return;
  const meta = readMetadata(JSON.parse(text));
  const state = decodeState(location.hash);
  const choice = chooseView(meta, state.dataset, state.variable, state.timestep);
  const t = choice?.dataset.timesteps[choice.index];
  if (!choice?.variable || t === undefined) return;
  const template = tileUrl(meta, choice.dataset, choice.variable, t);
  const bbox = choice.dataset.bbox;
  const { clientWidth: width, clientHeight: height } = container;
  const view = state.map ?? choice.dataset.view ?? (bbox ? fitView(bbox, width, height, FIT_PADDING) : null);
  if (!view || width === 0 || height === 0) return;
  for (const { z, x, y } of viewTiles(view, width, height)) {
    if (bbox && !tileTouches(z, x, y, bbox)) continue;
    void fetch(tileUrlOf(template, z, x, y))
      .then((r) => r.arrayBuffer())
      .catch(() => {});
  }
  performance.mark('skope:boot-tiles');
}

try {
  boot();
} catch {
  // (See the module comment.)
}
