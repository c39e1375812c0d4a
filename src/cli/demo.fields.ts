/**
 * Synthetic PaleoCAR-like climate fields for the demo dataset and the benchmarks: smooth, plausible and cheap
 * (a few precomputed spatial patterns, per-year coefficients from sines, low-amplitude hash noise). Values are
 * uint16 in the variable's units; nothing here is real data.
 */

/** Which variable the field imitates: annual precipitation (mm) or growing degree days (°F GDD). */
export type FieldKind = 'ppt' | 'gdd';

/** Precomputed spatial patterns of one grid (row-major, `width × height`, row 0 = north). */
export interface FieldGrid {
  kind: FieldKind;
  width: number;
  height: number;
  /** Long-term mean in the variable's units. */
  base: Float32Array;
  /** Spatial weights of the two year-to-year modes. */
  p1: Float32Array;
  p2: Float32Array;
}

/**
 * Build the patterns. ppt: 150–900 mm, wet north-east, dry south-west, with ridges; gdd: 1000–5000 °F GDD,
 * falling to the north and over an elevation-like bump field.
 */
export function createFieldGrid(kind: FieldKind, width: number, height: number): FieldGrid {
  const n = width * height;
  const base = new Float32Array(n);
  const p1 = new Float32Array(n);
  const p2 = new Float32Array(n);
  for (let y = 0; y < height; y++) {
    const v = 1 - (y + 0.5) / height; // 0 south … 1 north
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width; // 0 west … 1 east
      const i = y * width + x;
      const relief = 0.5 + 0.5 * Math.sin(7.3 * u + 1.1) * Math.cos(5.1 * v - 0.4) * Math.sin(3.7 * (u + v));
      if (kind === 'ppt') {
        const wet = Math.min(1, Math.max(0, 0.5 * u + 0.4 * v + 0.25 * (relief - 0.5) + 0.05));
        base[i] = 150 + 750 * wet;
      } else {
        const warm = Math.min(1, Math.max(0, 0.95 - 0.55 * v - 0.45 * relief + 0.1 * u));
        base[i] = 1000 + 4000 * warm;
      }
      p1[i] = 0.7 + 0.3 * Math.cos(3.1 * u) * Math.sin(4.3 * v);
      p2[i] = Math.sin(5.9 * u + 2.3 * v);
    }
  }
  return { kind, width, height, base, p1, p2 };
}

/** Year-to-year coefficients: a few incommensurate periods so every year differs. */
function yearCoefficients(kind: FieldKind, year: number): [a: number, b: number] {
  const tau = 2 * Math.PI;
  const a =
    0.5 * Math.sin((tau * year) / 11.3) +
    0.3 * Math.sin((tau * year) / 23.7 + 1) +
    0.2 * Math.sin((tau * year) / 67.1 + 2);
  const b = Math.sin((tau * year) / 6.9 + 0.5);
  return kind === 'ppt' ? [0.3 * a, 0.08 * b] : [0.06 * a, 0.02 * b];
}

/**
 * Values of rows `row … row+rows-1` of `year` into `out` (length `width × rows`), rounded and clamped to
 * 0…65534 so they never collide with nodata 65535.
 */
export function fillFieldRows(grid: FieldGrid, year: number, row: number, rows: number, out: Uint16Array): void {
  const [a, b] = yearCoefficients(grid.kind, year);
  const noise = grid.kind === 'ppt' ? 0.015 : 0.01;
  const start = row * grid.width;
  const end = start + rows * grid.width;
  for (let i = start, o = 0; i < end; i++, o++) {
    // Integer hash of (cell, year) → [-0.5, 0.5): cheap, deterministic, uncorrelated between cells and years.
    let h = Math.imul(i ^ Math.imul(year, 0x9e3779b1), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    const r = (h >>> 8) / 16777216 - 0.5;
    const v = (grid.base[i] as number) * (1 + a * (grid.p1[i] as number) + b * (grid.p2[i] as number) + noise * r);
    out[o] = v < 0 ? 0 : v > 65534 ? 65534 : Math.round(v);
  }
}
