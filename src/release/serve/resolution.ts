/**
 * The `resolution_label` of a `/metadata` 1.0.0 dataset: the pixel size as people say it, computed from the release's
 * grid (docs/RELEASES.md, "/metadata"). Geographic CRS: each side in arc-seconds with 4 significant digits (C `%.4g`),
 * one number when both read the same, else `x × y`; then the ground size `~<d>` = √(east × north) of one pixel on the
 * WGS 84 ellipsoid at the bbox's middle latitude. Projected metre CRS: the distance(s) alone. Other units: `w × h unit`.
 * Distances: ≥ 1000 m in km, else m, both rounded to 2 significant digits without trailing zeros.
 * @example `30 arc-second (~830 m)` (EPSG:4269, 0.008333…° at lat 31–43); `900 arc-second (~28 km)` (0.25° at
 *   lat −10…10); `250 m` (EPSG:32612, 250 m); `1 km` (1000 m).
 */
import geodesic from 'geographiclib-geodesic';

const WGS84 = geodesic.Geodesic.WGS84;

/** C `printf("%.<p>g", x)`: p significant digits, exponent form below 1e-4 or from 10^p, trailing zeros dropped. */
export function formatSignificant(x: number, p: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const [mant, expText] = x.toExponential(p - 1).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) {
    return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return strip(x.toFixed(Math.max(0, p - 1 - exp)));
}

/** A length in metres as the label prints it: `830 m`, `28 km`, `1 km`, `1.2 km`. */
export function formatDistance(metres: number): string {
  if (metres >= 1000) return `${Number((metres / 1000).toPrecision(2))} km`;
  return `${Number(metres.toPrecision(2))} m`;
}

/** The grid facts the label needs. */
export interface LabelGrid {
  /** GDAL geotransform (a, b, c, d, e, f) order as in the overview: pixel width |a|, height |e|, CRS units. */
  transform: readonly number[];
  /** CRS kind: lon/lat degrees, a projection in metres, or a projection in some other unit (named). */
  units: { kind: 'degrees' } | { kind: 'metres' } | { kind: 'other'; name: string };
  /** WGS 84 bbox [west, south, east, north] (degrees); its middle latitude places the ground size. */
  bbox: readonly [number, number, number, number];
}

/** The resolution label of a grid (see the module doc for the rules and worked examples). */
export function resolutionLabel(grid: LabelGrid): string {
  const width = Math.abs(grid.transform[0] as number);
  const height = Math.abs(grid.transform[4] as number);
  const pair = (w: string, h: string): string => (w === h ? w : `${w} × ${h}`);
  if (grid.units.kind === 'metres') return pair(formatDistance(width), formatDistance(height));
  if (grid.units.kind === 'other') {
    return `${formatSignificant(width, 4)} × ${formatSignificant(height, 4)} ${grid.units.name}`;
  }
  const angle = pair(formatSignificant(width * 3600, 4), formatSignificant(height * 3600, 4));
  const mid = (grid.bbox[1] + grid.bbox[3]) / 2;
  const east = WGS84.Inverse(mid, 0, mid, width).s12 as number;
  const north = WGS84.Inverse(mid - height / 2, 0, mid + height / 2, 0).s12 as number;
  return `${angle} arc-second (~${formatDistance(Math.sqrt(east * north))})`;
}
