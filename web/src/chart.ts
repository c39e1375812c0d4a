/**
 * The time-series chart (uPlot): x in decimal years, missing values as gaps in the line. Zoom by dragging a span,
 * the mouse wheel or the buttons; pan by dragging with Shift or the arrow buttons; double-click or Reset shows all.
 */
import uPlot from 'uplot';
import { yearLabel, type Precision } from './timeaxis.js';

const LINE = '#00695c';

/** Wheel zoom and Shift-drag pan on the x axis. */
function wheelAndPan(chart: Chart): uPlot.Plugin {
  return {
    hooks: {
      ready: (u) => {
        const over = u.over;
        over.addEventListener(
          'wheel',
          (e) => {
            e.preventDefault();
            const rect = over.getBoundingClientRect();
            const at = u.posToVal(e.clientX - rect.left, 'x');
            chart.zoom(e.deltaY < 0 ? 0.8 : 1.25, at);
          },
          { passive: false },
        );
        over.addEventListener(
          'mousedown',
          (e) => {
            if (!e.shiftKey) return;
            e.stopPropagation();
            const x0 = e.clientX;
            const { min, max } = u.scales['x'] ?? {};
            if (min == null || max == null) return;
            const perPx = (max - min) / Math.max(1, u.bbox.width / devicePixelRatio);
            const move = (m: MouseEvent): void => {
              const dx = (m.clientX - x0) * perPx;
              chart.setRange(min - dx, max - dx);
            };
            const up = (): void => {
              document.removeEventListener('mousemove', move);
              document.removeEventListener('mouseup', up);
            };
            document.addEventListener('mousemove', move);
            document.addEventListener('mouseup', up);
          },
          true,
        );
      },
    },
  };
}

/** The chart of one series. */
export class Chart {
  private plot: uPlot | null = null;
  private full: [number, number] = [0, 1];
  private resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    /** Where the value under the cursor is written. */
    private readonly readout: HTMLElement,
  ) {
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize(this.size());
    });
    this.resizeObserver.observe(container);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.container.clientWidth), height: Math.max(160, this.container.clientHeight) };
  }

  /** Draws `y` over `x` (decimal years); `label` names the series, `unit` the y axis. Keeps the zoom if `keepZoom`. */
  draw(x: number[], y: (number | null)[], label: string, unit: string, precision: Precision, keepZoom: boolean): void {
    const previous = keepZoom && this.plot ? this.plot.scales['x'] : undefined;
    this.plot?.destroy();
    this.full = [x[0] ?? 0, x[x.length - 1] ?? 1];
    const opts: uPlot.Options = {
      ...this.size(),
      scales: { x: { time: false } },
      // The value under the cursor goes to the readout beside the buttons (uPlot's legend would need room).
      legend: { show: false },
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const xv = i == null ? undefined : u.data[0][i];
            const yv = i == null ? undefined : u.data[1]?.[i];
            this.readout.textContent =
              xv == null
                ? ''
                : `${yearLabel(xv, precision)}: ${yv == null ? 'no data' : yv.toLocaleString('en-US', { maximumFractionDigits: 3 })}`;
          },
        ],
      },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      series: [{ label: 'time' }, { label, stroke: LINE, width: 1.5, spanGaps: false }],
      axes: [
        { values: (_u, ticks) => ticks.map((t) => yearLabel(t, precision)), stroke: '#37474f' },
        { label: unit, stroke: '#37474f', size: 60 },
      ],
      plugins: [wheelAndPan(this)],
    };
    this.plot = new uPlot(opts, [x, y], this.container);
    this.plot.over.addEventListener('dblclick', () => this.reset());
    if (previous?.min != null && previous.max != null) this.setRange(previous.min, previous.max);
  }

  /** The x range shown. */
  setRange(min: number, max: number): void {
    this.plot?.setScale('x', { min, max });
  }

  /** Zooms by `factor` (< 1 in) around `at` (default: the middle of what is shown). */
  zoom(factor: number, at?: number): void {
    const s = this.plot?.scales['x'];
    if (!s || s.min == null || s.max == null) return;
    const centre = at ?? (s.min + s.max) / 2;
    const span = Math.max(2, (s.max - s.min) * factor);
    const t = (centre - s.min) / (s.max - s.min);
    this.setRange(centre - span * t, centre + span * (1 - t));
  }

  /** Pans by `fraction` of what is shown (negative: back in time). */
  pan(fraction: number): void {
    const s = this.plot?.scales['x'];
    if (!s || s.min == null || s.max == null) return;
    const d = (s.max - s.min) * fraction;
    this.setRange(s.min + d, s.max + d);
  }

  /** Shows the whole series. */
  reset(): void {
    this.setRange(this.full[0], this.full[1]);
  }

  /** Removes the chart. */
  clear(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}
