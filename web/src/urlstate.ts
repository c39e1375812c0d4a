/**
 * The view in the URL's fragment, so a link reproduces it: dataset `d`, variable `v`, timestep `t`, map position
 * `m=lon,lat,zoom`, area `a` (GeoJSON geometries, lon/lat rounded to 1e-5°), the extraction `job` and the chart's
 * options (`stat`, `tf`, `ref=from,to`, `zw`, `sm`, `sw`). Unknown or malformed parts are ignored.
 */
import { DEFAULT_ANALYSIS, type AnalysisOptions } from './analysis.js';
import type { AreaGeometry } from './area.js';
import { readArea } from './area.js';

export interface ViewState {
  dataset?: string;
  variable?: string;
  timestep?: string;
  map?: { lon: number; lat: number; zoom: number };
  area?: AreaGeometry[];
  job?: string;
  analysis: AnalysisOptions;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

function roundCoords(c: unknown): unknown {
  if (typeof c === 'number') return round(c, 5);
  return Array.isArray(c) ? c.map(roundCoords) : c;
}

/** The fragment (without `#`) of a state; defaults are left out. */
export function encodeState(s: ViewState): string {
  const p = new URLSearchParams();
  if (s.dataset) p.set('d', s.dataset);
  if (s.variable) p.set('v', s.variable);
  if (s.timestep) p.set('t', s.timestep);
  if (s.map) p.set('m', `${round(s.map.lon, 4)},${round(s.map.lat, 4)},${round(s.map.zoom, 2)}`);
  if (s.area && s.area.length > 0) {
    p.set('a', JSON.stringify(s.area.map((g) => ({ type: g.type, coordinates: roundCoords(g.coordinates) }))));
  }
  if (s.job) p.set('job', s.job);
  const a = s.analysis;
  const d = DEFAULT_ANALYSIS;
  if (a.stat !== d.stat) p.set('stat', a.stat);
  if (a.transform !== d.transform) p.set('tf', a.transform);
  if (a.refFrom !== null && a.refTo !== null) p.set('ref', `${a.refFrom},${a.refTo}`);
  if (a.zWidth !== d.zWidth) p.set('zw', String(a.zWidth));
  if (a.smoother !== d.smoother) p.set('sm', a.smoother);
  if (a.smoothWidth !== d.smoothWidth) p.set('sw', String(a.smoothWidth));
  return p.toString();
}

const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const TIMESTEP = /^[0-9A-Za-z:+.-]{1,32}$/;

function widthParam(v: string | null, fallback: number): number {
  const n = Number(v);
  return v !== null && Number.isInteger(n) && n >= 1 && n <= 200 ? n : fallback;
}

/** The state in a fragment (with or without `#`). */
export function decodeState(fragment: string): ViewState {
  const p = new URLSearchParams(fragment.replace(/^#/, ''));
  const s: ViewState = { analysis: { ...DEFAULT_ANALYSIS } };
  const d = p.get('d');
  const v = p.get('v');
  const t = p.get('t');
  if (d && KEY.test(d)) s.dataset = d;
  if (v && KEY.test(v)) s.variable = v;
  if (t && TIMESTEP.test(t)) s.timestep = t;
  const m = (p.get('m') ?? '').split(',').map(Number);
  const [lon, lat, zoom] = m;
  if (m.length === 3 && lon !== undefined && lat !== undefined && zoom !== undefined && m.every(Number.isFinite)) {
    if (Math.abs(lon) <= 180 && Math.abs(lat) <= 90 && zoom >= 0 && zoom <= 24) s.map = { lon, lat, zoom };
  }
  const a = p.get('a');
  if (a) {
    try {
      const geometries: unknown = JSON.parse(a);
      const area = Array.isArray(geometries) ? readArea({ type: 'GeometryCollection', geometries }) : [];
      if (area.length > 0) s.area = area;
    } catch {
      // An unreadable area is dropped; the rest of the view still applies.
    }
  }
  const job = p.get('job');
  if (job && /^[0-9a-fA-F-]{8,64}$/.test(job)) s.job = job;
  const an = s.analysis;
  const stat = p.get('stat');
  if (stat === 'mean' || stat === 'median') an.stat = stat;
  const tf = p.get('tf');
  if (tf === 'none' || tf === 'zscore' || tf === 'moving') an.transform = tf;
  const ref = (p.get('ref') ?? '').split(',');
  if (ref.length === 2 && ref.every((r) => TIMESTEP.test(r))) [an.refFrom, an.refTo] = [ref[0] ?? null, ref[1] ?? null];
  an.zWidth = widthParam(p.get('zw'), an.zWidth);
  const sm = p.get('sm');
  if (sm === 'none' || sm === 'centered' || sm === 'trailing') an.smoother = sm;
  an.smoothWidth = widthParam(p.get('sw'), an.smoothWidth);
  return s;
}
