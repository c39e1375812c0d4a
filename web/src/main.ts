/**
 * The map viewer served at `/`: pick a dataset and variable (from `/metadata`), step through its timesteps on the
 * map, draw or upload an area, extract its series (`/timeseries/extract` + `/status`), re-analyse it
 * (`/timeseries/analyze`, no new extraction), download it (`/timeseries/export`). The view lives in the URL.
 */
import 'maplibre-gl/dist/maplibre-gl.css';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import * as maplibregl from 'maplibre-gl';
import {
  analyzeBody,
  chartColumns,
  extractBody,
  isRaw,
  missingTimesteps,
  resultCsv,
  type AnalysisOptions,
  type SmootherKind,
  type Statistic,
  type TimeseriesResult,
  type TransformKind,
} from './analysis.js';
import { ApiError, callApi, postJson, type ApiOptions } from './api.js';
import {
  AreaError,
  areaBounds,
  areaFeatureCollection,
  boxPolygon,
  describeArea,
  readArea,
  type AreaGeometry,
} from './area.js';
import type { Chart } from './chart.js';
import type { DrawTool } from './draw.js';
import { drawLegend } from './legend.js';
import { ViewerMap, type FirstView } from './map.js';
import {
  chooseView,
  readMetadata,
  tileUrl,
  type ViewerDataset,
  type ViewerMetadata,
  type ViewerVariable,
} from './metadata.js';
import { decodeState, encodeState } from './urlstate.js';

const worker = document.querySelector<HTMLMetaElement>('meta[name="maplibre-worker"]')?.content;
if (worker) maplibregl.setWorkerUrl(worker);

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`The page has no #${id}`);
  return e as T;
}

const ui = {
  message: el('message'),
  messageText: el('message-text'),
  dataset: el<HTMLSelectElement>('dataset'),
  variable: el<HTMLSelectElement>('variable'),
  desc: el('dataset-desc'),
  time: el<HTMLInputElement>('time'),
  timeLabel: el<HTMLOutputElement>('time-label'),
  play: el<HTMLButtonElement>('play'),
  prev: el<HTMLButtonElement>('prev'),
  next: el<HTMLButtonElement>('next'),
  gapTrack: el('gap-track'),
  gapNote: el('gap-note'),
  noData: el('no-data'),
  legend: el('legend'),
  drawHint: el('draw-hint'),
  upload: el<HTMLInputElement>('upload'),
  areaView: el<HTMLButtonElement>('area-view'),
  areaClear: el<HTMLButtonElement>('area-clear'),
  areaSize: el('area-size'),
  areaDownload: el<HTMLAnchorElement>('area-download'),
  extract: el<HTMLButtonElement>('extract'),
  cancel: el<HTMLButtonElement>('cancel'),
  progress: el<HTMLProgressElement>('progress'),
  jobStatus: el('job-status'),
  results: el('results'),
  stat: el<HTMLSelectElement>('stat'),
  transform: el<HTMLSelectElement>('transform'),
  zscoreOpts: el('zscore-opts'),
  refFrom: el<HTMLInputElement>('ref-from'),
  refTo: el<HTMLInputElement>('ref-to'),
  zwidthOpt: el('zwidth-opt'),
  zwidth: el<HTMLInputElement>('zwidth'),
  smoother: el<HTMLSelectElement>('smoother'),
  swidthOpt: el('swidth-opt'),
  swidth: el<HTMLInputElement>('swidth'),
  csv: el<HTMLAnchorElement>('csv'),
  json: el<HTMLAnchorElement>('json'),
  csvShown: el<HTMLAnchorElement>('csv-shown'),
  jsonShown: el<HTMLAnchorElement>('json-shown'),
  chart: el('chart'),
  summary: el<HTMLTableElement>('summary'),
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const apiOptions: ApiOptions = {
  fetch: (input, init) => fetch(input, init),
  sleep,
  onWait: (seconds, attempt) => status(`The server is busy: retrying in ${seconds} s (attempt ${attempt})…`),
};

const initial = decodeState(location.hash);

/** The `/metadata` answer the server put in the page (web/dist's page served by `skope serve`), if any. */
function embeddedMetadata(): unknown {
  const text = document.getElementById('skope-metadata')?.textContent;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
const embedded = embeddedMetadata();
// Without it, asked for before the map is built (creating its WebGL context takes a while): the first tiles need
// both.
const metadataAnswer =
  embedded !== undefined ? Promise.resolve(embedded) : callApi<unknown>('/metadata', {}, apiOptions);
metadataAnswer.catch(() => {}); // (its failure is shown by start())

/** What the map opens on when the metadata is in the page: its first tiles are asked for on its first frame. */
function firstView(): FirstView | undefined {
  if (embedded === undefined) return undefined;
  let meta: ViewerMetadata;
  try {
    meta = readMetadata(embedded);
  } catch {
    return undefined; // (said by start())
  }
  const choice = chooseView(meta, initial.dataset, initial.variable, initial.timestep);
  const t = choice?.dataset.timesteps[choice.index];
  if (!choice?.variable || t === undefined) return undefined;
  return {
    url: tileUrl(meta, choice.dataset, choice.variable, t),
    bbox: choice.dataset.bbox,
    view: initial.map ?? choice.dataset.view,
  };
}
const first = firstView();
const state = {
  meta: null as ViewerMetadata | null,
  dataset: null as ViewerDataset | null,
  variable: null as ViewerVariable | null,
  index: 0,
  area: initial.area ?? ([] as AreaGeometry[]),
  job: null as string | null,
  result: null as TimeseriesResult | null,
  analysis: initial.analysis,
  /** Timesteps drawn as gaps: `areaGaps` once an area is extracted, else `centreGaps`. */
  gaps: new Set<string>(),
  /** Timesteps with no value at the centre of the dataset's region (`GET /point`). */
  centreGaps: new Set<string>(),
  /** Timesteps where the extracted area has no valid cell (its raw series), or null: no extraction shown. */
  areaGaps: null as Set<string> | null,
  playing: false,
  running: null as AbortController | null,
};

// ---- messages -------------------------------------------------------------------------------------------------

/** Shows a message; messages that arrive together (the map's and an extraction's) stay side by side, newest first. */
function showMessage(text: string): void {
  const shown = ui.message.hidden ? [] : (ui.messageText.textContent ?? '').split('\n').filter((m) => m !== text);
  ui.messageText.textContent = [text, ...shown].slice(0, 3).join('\n');
  ui.message.hidden = false;
}
function clearMessage(): void {
  ui.message.hidden = true;
  ui.messageText.textContent = '';
}
el('message-close').addEventListener('click', clearMessage);
function status(text: string): void {
  ui.jobStatus.textContent = text;
}
function messageOf(err: unknown): string {
  if (err instanceof ApiError || err instanceof AreaError) return err.message;
  return err instanceof Error ? `Something went wrong: ${err.message}` : 'Something went wrong.';
}

// ---- URL -----------------------------------------------------------------------------------------------------

let urlTimer: ReturnType<typeof setTimeout> | undefined;
function saveUrl(): void {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const d = state.dataset;
    const fragment = encodeState({
      ...(d ? { dataset: d.id } : {}),
      ...(state.variable ? { variable: state.variable.id } : {}),
      ...(d && d.timesteps[state.index] ? { timestep: d.timesteps[state.index] } : {}),
      ...(mapReady ? { map: viewer.view() } : {}),
      ...(state.area.length > 0 ? { area: state.area } : {}),
      ...(state.job ? { job: state.job } : {}),
      analysis: state.analysis,
    });
    history.replaceState(null, '', `${location.pathname}${location.search}#${fragment}`);
  }, 150);
}

// ---- map -----------------------------------------------------------------------------------------------------

let mapReady = false;
const viewer = new ViewerMap(
  el('map'),
  (url) => {
    // Marks read by the browser test (first map paint with tiles) and by anyone profiling the page.
    if (performance.getEntriesByName('skope:first-tiles').length === 0) {
      performance.mark('skope:first-tiles');
      // What the first paint did not need, loaded now that it is on screen.
      setTimeout(() => {
        void drawTool().catch(() => {});
        void chartTool().catch(() => {});
      }, 0);
    }
    el('map').dataset['tiles'] = url;
    if (state.playing) setTimeout(playStep, 350);
  },
  showMessage,
  first,
);
viewer.map.on('moveend', saveUrl);

// ---- drawing (terra-draw, loaded after the first paint) -----------------------------------------------------------

let drawing: Promise<DrawTool> | null = null;
function drawTool(): Promise<DrawTool> {
  drawing ??= viewer
    .whenReady()
    .then(() => import('./draw.js'))
    .then(({ createDraw }) =>
      createDraw(
        viewer.map,
        (geometry) => {
          try {
            setArea(readArea(geometry));
          } catch (err) {
            showMessage(messageOf(err));
          }
        },
        () => setDrawMode(null),
      ),
    );
  return drawing;
}
const drawButtons = [...document.querySelectorAll<HTMLButtonElement>('button[data-mode]')];
const HINTS: Record<string, string> = {
  polygon: 'Click the corners; click the first corner again or press Enter to finish; Esc cancels.',
  rectangle: 'Click one corner, then the opposite corner.',
  point: 'Click a place on the map.',
};

let drawMode: string | null = null;
function setDrawMode(mode: string | null): void {
  drawMode = mode;
  for (const b of drawButtons) b.setAttribute('aria-pressed', String(b.dataset['mode'] === mode));
  if (mode) el('map').focus();
  if (!mode) ui.drawHint.textContent = '';
  else if (!drawing) ui.drawHint.textContent = 'Loading the drawing tools…';
  drawTool().then(
    (tool) => {
      if (drawMode !== mode) return; // (changed again meanwhile)
      tool.setMode(mode);
      ui.drawHint.textContent = mode ? (HINTS[mode] ?? '') : '';
    },
    (err: unknown) => showMessage(`The drawing tools could not be loaded: ${messageOf(err)}`),
  );
}
// Shown by the area layer once finished; the drawing tool starts afresh (createDraw's onStopped).

for (const b of drawButtons) {
  b.addEventListener('click', () => {
    const mode = b.dataset['mode'] ?? null;
    setDrawMode(b.getAttribute('aria-pressed') === 'true' ? null : mode);
  });
}

// ---- area ----------------------------------------------------------------------------------------------------

let areaUrl: string | null = null;
function setArea(area: AreaGeometry[]): void {
  state.area = area;
  if (mapReady) viewer.setArea(area);
  ui.areaSize.textContent = area.length > 0 ? `Area: ${describeArea(area)}` : 'No area selected.';
  if (areaUrl) URL.revokeObjectURL(areaUrl);
  areaUrl = null;
  if (area.length > 0) {
    areaUrl = URL.createObjectURL(
      new Blob([JSON.stringify(areaFeatureCollection(area), null, 1)], { type: 'application/geo+json' }),
    );
    ui.areaDownload.href = areaUrl;
  }
  ui.areaDownload.hidden = area.length === 0;
  forgetResult();
  updateExtractButton();
  saveUrl();
}

ui.areaClear.addEventListener('click', () => {
  setDrawMode(null);
  setArea([]);
});
ui.areaView.addEventListener('click', () => {
  const [w, s, e, n] = viewer.visibleBounds();
  const b = state.dataset?.bbox;
  // The visible map, clipped to the dataset (the map may show the whole world).
  setArea([
    b ? boxPolygon(Math.max(w, b[0]), Math.max(s, b[1]), Math.min(e, b[2]), Math.min(n, b[3])) : boxPolygon(w, s, e, n),
  ]);
});
ui.upload.addEventListener('change', async () => {
  const file = ui.upload.files?.[0];
  if (!file) return;
  try {
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch {
      throw new AreaError(`${file.name} is not JSON.`);
    }
    const area = readArea(json);
    clearMessage();
    setArea(area);
    const b = areaBounds(area);
    // (setArea closed the results panel: the map is taller now than MapLibre has seen yet.)
    if (mapReady) viewer.map.resize();
    if (b && mapReady)
      viewer.map.fitBounds(
        [
          [b[0], b[1]],
          [b[2], b[3]],
        ],
        { padding: 60, maxZoom: 9, animate: false },
      );
  } catch (err) {
    showMessage(messageOf(err));
  } finally {
    ui.upload.value = '';
  }
});

// ---- datasets, variables, time ----------------------------------------------------------------------------------

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function selectDataset(id: string | undefined, variableId: string | undefined, timestep: string | undefined): void {
  const meta = state.meta;
  if (!meta) return;
  const choice = chooseView(meta, id, variableId, timestep);
  if (!choice) {
    showMessage('The server lists no datasets.');
    return;
  }
  const d = choice.dataset;
  state.dataset = d;
  ui.dataset.value = d.id;
  ui.desc.textContent = d.description;
  ui.variable.replaceChildren(...d.variables.map((v) => option(v.id, v.unit ? `${v.title} (${v.unit})` : v.title)));
  state.variable = choice.variable;
  if (state.variable) ui.variable.value = state.variable.id;
  ui.time.max = String(Math.max(0, d.timesteps.length - 1));
  state.index = choice.index;
  ui.time.value = String(state.index);
  ui.time.disabled = d.timesteps.length < 2;
  state.centreGaps = new Set();
  state.areaGaps = null;
  applyGaps();
  if (mapReady) viewer.setDataset(d.bbox);
  drawLegend(ui.legend, state.variable);
  void loadGaps(d, state.variable);
}

function currentTimestep(): string | undefined {
  return state.dataset?.timesteps[state.index];
}

function showTimestep(): void {
  const d = state.dataset;
  const v = state.variable;
  const t = currentTimestep();
  if (!d || !v || t === undefined || !state.meta) return;
  ui.timeLabel.textContent = t;
  showGap();
  if (mapReady) viewer.showTiles(tileUrl(state.meta, d, v, t));
  saveUrl();
}

/** Whether the shown timestep is a gap: said on the map and to screen readers. */
function showGap(): void {
  const t = currentTimestep() ?? '';
  const gap = state.gaps.has(t);
  ui.time.setAttribute('aria-valuetext', gap ? `${t} (no data)` : t);
  ui.noData.hidden = !gap;
  ui.noData.textContent = gap ? `No data for ${t}: a gap in the record.` : '';
}

function setIndex(i: number): void {
  const n = state.dataset?.timesteps.length ?? 0;
  if (n === 0) return;
  state.index = Math.min(n - 1, Math.max(0, i));
  ui.time.value = String(state.index);
  showTimestep();
}

/** Gaps: the timesteps without a value at the centre of the region (`GET /point`, one cell, no job). */
async function loadGaps(d: ViewerDataset, v: ViewerVariable | null): Promise<void> {
  ui.gapNote.textContent = '';
  if (!v || !d.bbox || d.timesteps.length < 2) return;
  const lon = (d.bbox[0] + d.bbox[2]) / 2;
  const lat = (d.bbox[1] + d.bbox[3]) / 2;
  try {
    const r = await callApi<{ timesteps: string[]; values: (number | null)[] }>(
      `/point/${encodeURIComponent(d.id)}/${encodeURIComponent(v.id)}/${lon.toFixed(5)},${lat.toFixed(5)}`,
      {},
      { ...apiOptions, onWait: () => {} },
    );
    if (state.dataset !== d || state.variable !== v) return;
    const missing = r.timesteps.filter((_t, i) => r.values[i] == null);
    // A centre with no data at all says nothing about gaps (water, a hole in the grid …).
    if (missing.length === r.timesteps.length) return;
    state.centreGaps = new Set(missing);
    applyGaps();
  } catch {
    // Without gap information the slider still works; a failing server shows its message elsewhere.
  }
}

/**
 * Gaps from an extraction's raw series (the timesteps where the area has no valid cell), or back to the region's
 * centre (`null`). A series with no value at all says nothing about gaps (an area outside the data).
 */
function setAreaGaps(raw: TimeseriesResult | null): void {
  const missing = raw ? missingTimesteps(raw) : [];
  const all = raw?.series[0]?.timesteps.length ?? 0;
  state.areaGaps = raw && missing.length < all ? new Set(missing) : null;
  applyGaps();
}

function applyGaps(): void {
  state.gaps = state.areaGaps ?? state.centreGaps;
  drawGaps();
  showGap();
}

/** Gap ranges on the slider track, and a note naming them and where they were found. */
function drawGaps(): void {
  const d = state.dataset;
  ui.gapTrack.replaceChildren();
  if (!d || state.gaps.size === 0) {
    ui.gapNote.textContent = '';
    return;
  }
  const n = d.timesteps.length;
  const ranges: [number, number][] = [];
  d.timesteps.forEach((t, i) => {
    if (!state.gaps.has(t)) return;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else ranges.push([i, i]);
  });
  for (const [a, b] of ranges) {
    const seg = document.createElement('div');
    seg.className = 'gap';
    seg.style.left = `${(a / Math.max(1, n - 1)) * 100}%`;
    seg.style.width = `${(Math.max(1, b - a) / Math.max(1, n - 1)) * 100}%`;
    seg.title = `No data ${d.timesteps[a]}–${d.timesteps[b]}`;
    ui.gapTrack.append(seg);
  }
  const where = state.areaGaps ? 'in the extracted area' : 'at the region’s centre';
  ui.gapNote.textContent = `Gaps (no data ${where}): ${ranges.map(([a, b]) => (a === b ? d.timesteps[a] : `${d.timesteps[a]}–${d.timesteps[b]}`)).join(', ')}`;
}

ui.dataset.addEventListener('change', () => {
  stopPlaying();
  selectDataset(ui.dataset.value, undefined, undefined);
  const d = state.dataset;
  if (d && mapReady) viewer.goTo(d.view, d.bbox);
  setArea([]);
  showTimestep();
});
ui.variable.addEventListener('change', () => {
  const d = state.dataset;
  state.variable = d?.variables.find((v) => v.id === ui.variable.value) ?? null;
  drawLegend(ui.legend, state.variable);
  forgetResult();
  updateExtractButton();
  if (d) void loadGaps(d, state.variable);
  showTimestep();
});
ui.time.addEventListener('input', () => setIndex(Number(ui.time.value)));
ui.prev.addEventListener('click', () => setIndex(state.index - 1));
ui.next.addEventListener('click', () => setIndex(state.index + 1));

function playStep(): void {
  const d = state.dataset;
  if (!state.playing || !d) return;
  let i = state.index + 1;
  while (i < d.timesteps.length && state.gaps.has(d.timesteps[i] ?? '')) i++;
  if (i >= d.timesteps.length) {
    stopPlaying();
    return;
  }
  setIndex(i);
}
function stopPlaying(): void {
  state.playing = false;
  ui.play.textContent = 'Play';
  ui.play.setAttribute('aria-pressed', 'false');
}
ui.play.addEventListener('click', () => {
  if (state.playing) return stopPlaying();
  state.playing = true;
  ui.play.textContent = 'Pause';
  ui.play.setAttribute('aria-pressed', 'true');
  if (state.index >= (state.dataset?.timesteps.length ?? 0) - 1) setIndex(0);
  else playStep();
});

// ---- extraction and analysis ---------------------------------------------------------------------------------

function updateExtractButton(): void {
  ui.extract.disabled = state.area.length === 0 || !state.variable || state.running !== null;
}

function forgetResult(): void {
  state.job = null;
  state.result = null;
  ui.results.hidden = true;
  chart?.clear();
  delete ui.chart.dataset['points'];
  if (state.areaGaps) setAreaGaps(null);
}

interface JobRecord {
  status: 'PENDING' | 'PROCESSING' | 'SUCCESS' | 'FAILED';
  progress?: { done: number; total: number };
  result?: TimeseriesResult;
  error?: string;
}

async function extract(): Promise<void> {
  const d = state.dataset;
  const v = state.variable;
  if (!d || !v || state.area.length === 0) return;
  const controller = new AbortController();
  state.running = controller;
  forgetResult();
  clearMessage();
  updateExtractButton();
  ui.cancel.hidden = false;
  ui.progress.hidden = false;
  ui.progress.removeAttribute('value');
  status('Submitting…');
  void chartTool().catch(() => {}); // (loaded while the series is extracted)
  let jobId: string | null = null;
  try {
    const body = extractBody(d.id, v.id, areaFeatureCollection(state.area), state.analysis.stat);
    const accepted = await callApi<{ job_id: string }>('/timeseries/extract', postJson(body), apiOptions);
    jobId = accepted.job_id;
    cancelJob = jobId;
    let record: JobRecord;
    for (;;) {
      if (controller.signal.aborted) return;
      record = await callApi<JobRecord>(`/timeseries/status/${encodeURIComponent(jobId)}`, {}, apiOptions);
      if (record.status === 'SUCCESS' || record.status === 'FAILED') break;
      if (record.progress && record.progress.total > 0) {
        ui.progress.max = record.progress.total;
        ui.progress.value = record.progress.done;
        status(`Extracting: ${record.progress.done} of ${record.progress.total} timesteps…`);
      } else status(record.status === 'PENDING' ? 'Waiting for a worker…' : 'Extracting…');
      await sleep(400);
    }
    if (record.status === 'FAILED' || !record.result) {
      throw new ApiError(record.error ?? 'The extraction failed.', 0, undefined);
    }
    status('');
    state.job = jobId;
    setAreaGaps(record.result);
    if (isRaw(state.analysis)) showResult(record.result, false);
    else await analyze(false);
  } catch (err) {
    status('');
    showMessage(messageOf(err));
  } finally {
    state.running = null;
    cancelJob = null;
    ui.cancel.hidden = true;
    ui.progress.hidden = true;
    updateExtractButton();
    saveUrl();
  }
}
let cancelJob: string | null = null;
ui.extract.addEventListener('click', () => void extract());
ui.cancel.addEventListener('click', () => {
  const id = cancelJob;
  state.running?.abort();
  if (id) void fetch(`/timeseries/status/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch(() => {});
  status('Cancelled.');
});

let analyzeSeq = 0;
async function analyze(keepZoom: boolean): Promise<void> {
  const job = state.job;
  if (!job) return;
  const seq = ++analyzeSeq;
  try {
    const result = await callApi<TimeseriesResult>(
      '/timeseries/analyze',
      postJson(analyzeBody(job, state.analysis)),
      apiOptions,
    );
    if (seq !== analyzeSeq || state.job !== job) return;
    clearMessage();
    showResult(result, keepZoom);
  } catch (err) {
    if (seq === analyzeSeq) showMessage(messageOf(err));
  }
}

function fmt(v: number | null | undefined, digits = 3): string {
  return v == null || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

let shownUrls: string[] = [];
function showResult(result: TimeseriesResult, keepZoom: boolean): void {
  state.result = result;
  const opening = ui.results.hidden;
  ui.results.hidden = false;
  // The panel takes the lower part of the map's room: the map is resized and, if the area no longer fits, moved
  // (zooming out only) so it stays in view.
  if (opening && mapReady) {
    requestAnimationFrame(() => {
      viewer.map.resize();
      const b = areaBounds(state.area);
      if (b) viewer.keepInView(b);
    });
  }
  const d = state.dataset;
  const v = state.variable;
  const { x, y, points } = chartColumns(result);
  const a = state.analysis;
  const zscore = a.transform !== 'none';
  const label = `${a.stat}${zscore ? ` (${a.transform === 'moving' ? `moving z-score, ${a.zWidth}` : 'z-score'})` : ''}${
    a.smoother !== 'none' ? `, ${a.smoother} MA ${a.smoothWidth}` : ''
  }`;
  chartTool().then(
    (c) => {
      if (state.result !== result) return; // (a newer answer or none meanwhile)
      c.draw(x, y, label, zscore ? 'z-score' : (v?.unit ?? ''), d?.precision ?? 'year', keepZoom);
      ui.chart.dataset['points'] = String(points);
    },
    (err: unknown) => showMessage(`The chart could not be loaded: ${messageOf(err)}`),
  );
  const series = result.series[0];
  const missing = series ? series.values.filter((val) => val == null).length : 0;
  const rows: [string, string][] = [
    ['Cells', fmt(result.n_cells, 0)],
    ['Area (API)', `${fmt(result.area / 1e6, 1)} km²`],
    [
      'Timesteps',
      `${fmt(points, 0)}${series ? ` (${series.timesteps[0]}–${series.timesteps[series.timesteps.length - 1]})` : ''}`,
    ],
    ['Missing', fmt(missing, 0)],
  ];
  const head =
    '<thead><tr><th scope="col">Series</th><th scope="col">Mean</th><th scope="col">Median</th><th scope="col">Std. dev.</th></tr></thead>';
  ui.summary.innerHTML = head;
  const tbody = document.createElement('tbody');
  for (const s of result.summary_stats) {
    const tr = document.createElement('tr');
    for (const [i, text] of [
      s.name === 'series' ? label : s.name,
      fmt(s.mean),
      fmt(s.median),
      fmt(s.stdev),
    ].entries()) {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.setAttribute('scope', 'row');
      cell.textContent = text;
      tr.append(cell);
    }
    tbody.append(tr);
  }
  for (const [k, val] of rows) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = k;
    const td = document.createElement('td');
    td.colSpan = 3;
    td.textContent = val;
    tr.append(th, td);
    tbody.append(tr);
  }
  ui.summary.append(tbody);
  const job = state.job ?? '';
  ui.csv.href = `/timeseries/export/${encodeURIComponent(job)}?format=csv`;
  ui.json.href = `/timeseries/export/${encodeURIComponent(job)}?format=json`;
  // The series as shown is the analyze answer, which the server does not keep: written here.
  for (const u of shownUrls) URL.revokeObjectURL(u);
  const csvUrl = URL.createObjectURL(new Blob([resultCsv(result)], { type: 'text/csv' }));
  const jsonUrl = URL.createObjectURL(new Blob([JSON.stringify(result, null, 1)], { type: 'application/json' }));
  shownUrls = [csvUrl, jsonUrl];
  const name = `${result.dataset_id}_${result.variable_id}_${label.replace(/[^\w.-]+/g, '-').replace(/-+$/, '')}`;
  ui.csvShown.href = csvUrl;
  ui.csvShown.download = `${name}.csv`;
  ui.jsonShown.href = jsonUrl;
  ui.jsonShown.download = `${name}.json`;
  saveUrl();
}

// The chart's controls: any change re-analyses the stored extraction.
function readControls(): AnalysisOptions {
  const ref = (s: string): string | null => (s.trim() === '' ? null : s.trim());
  return {
    stat: ui.stat.value as Statistic,
    transform: ui.transform.value as TransformKind,
    refFrom: ref(ui.refFrom.value),
    refTo: ref(ui.refTo.value),
    zWidth: Number(ui.zwidth.value) || state.analysis.zWidth,
    smoother: ui.smoother.value as SmootherKind,
    smoothWidth: Number(ui.swidth.value) || state.analysis.smoothWidth,
  };
}
function writeControls(a: AnalysisOptions): void {
  ui.stat.value = a.stat;
  ui.transform.value = a.transform;
  ui.refFrom.value = a.refFrom ?? '';
  ui.refTo.value = a.refTo ?? '';
  ui.zwidth.value = String(a.zWidth);
  ui.smoother.value = a.smoother;
  ui.swidth.value = String(a.smoothWidth);
  ui.zscoreOpts.hidden = a.transform !== 'zscore';
  ui.zwidthOpt.hidden = a.transform !== 'moving';
  ui.swidthOpt.hidden = a.smoother === 'none';
}
let controlsTimer: ReturnType<typeof setTimeout> | undefined;
for (const c of [ui.stat, ui.transform, ui.refFrom, ui.refTo, ui.zwidth, ui.smoother, ui.swidth]) {
  c.addEventListener('change', () => {
    state.analysis = readControls();
    writeControls(state.analysis);
    clearTimeout(controlsTimer);
    controlsTimer = setTimeout(() => void analyze(true), 100);
    saveUrl();
  });
}

// The chart (uPlot) is loaded after the first paint, or when a series is on its way.
let chart: Chart | null = null;
let charting: Promise<Chart> | null = null;
function chartTool(): Promise<Chart> {
  charting ??= import('./chart.js').then(({ Chart: C }) => (chart = new C(ui.chart, el('readout'))));
  return charting;
}
el('zoom-in').addEventListener('click', () => chart?.zoom(0.5));
el('zoom-out').addEventListener('click', () => chart?.zoom(2));
el('pan-left').addEventListener('click', () => chart?.pan(-0.25));
el('pan-right').addEventListener('click', () => chart?.pan(0.25));
el('zoom-reset').addEventListener('click', () => chart?.reset());

// ---- start ---------------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  writeControls(state.analysis);
  setArea(state.area);
  let meta: ViewerMetadata;
  try {
    meta = readMetadata(await metadataAnswer);
  } catch (err) {
    showMessage(`Could not load the dataset list: ${messageOf(err)}`);
    return;
  }
  state.meta = meta;
  performance.mark('skope:metadata');
  ui.dataset.replaceChildren(...meta.datasets.map((d) => option(d.id, d.title)));
  selectDataset(initial.dataset, initial.variable, initial.timestep);
  await viewer.whenReady();
  performance.mark('skope:map-load');
  mapReady = true;
  const d = state.dataset;
  if (d) {
    viewer.setDataset(d.bbox);
    // (A map built with its first view is there already; moving it again would drop tiles on their way.)
    if (!first) viewer.goTo(initial.map ?? d.view, d.bbox);
  }
  viewer.setArea(state.area);
  showTimestep();
  if (initial.job && state.area.length > 0) {
    // A shared link: the stored extraction, analysed as the link says (it expires after a day).
    state.job = initial.job;
    await analyze(false);
    if (!state.result) {
      state.job = null;
      saveUrl();
    } else {
      // Gaps from the stored extraction's raw series, as after an extraction.
      const job = state.job;
      const record = await callApi<JobRecord>(`/timeseries/status/${encodeURIComponent(job)}`, {}, apiOptions).catch(
        () => null,
      );
      if (record?.result && state.job === job) setAreaGaps(record.result);
    }
  }
}

void start();
