/** The legend: the variable's colours as a bar over its value range, five ticks, and its units. */
import type { ViewerVariable } from './metadata.js';

function tickText(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 });
}

/** Draws the legend of `v` into `container` (or says why there is none). */
export function drawLegend(container: HTMLElement, v: ViewerVariable | null): void {
  container.replaceChildren();
  if (!v) return;
  if (v.colors.length < 2 || !v.range) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = `No legend: the metadata gives no ${v.colors.length < 2 ? 'colours' : 'value range'} for ${v.title}.`;
    container.append(p);
    return;
  }
  const [lo, hi] = v.range;
  const bar = document.createElement('div');
  bar.className = 'legend-bar';
  bar.style.background = `linear-gradient(to right, ${v.colors.join(', ')})`;
  bar.setAttribute('role', 'img');
  bar.setAttribute('aria-label', `Colour scale from ${tickText(lo)} to ${tickText(hi)} ${v.unit}`);
  const ticks = document.createElement('div');
  ticks.className = 'legend-ticks';
  for (let i = 0; i <= 4; i++) {
    const span = document.createElement('span');
    span.textContent = tickText(lo + ((hi - lo) * i) / 4);
    ticks.append(span);
  }
  const caption = document.createElement('p');
  caption.className = 'legend-caption';
  caption.textContent = `${v.title}${v.unit ? ` (${v.unit})` : ''}`;
  container.append(caption, bar, ticks);
  if (v.note) {
    const note = document.createElement('p');
    note.className = 'muted small';
    note.textContent = v.note;
    container.append(note);
  }
}
