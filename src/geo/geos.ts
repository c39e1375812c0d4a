/**
 * Polygon set operations and OGC validity through GEOS (the C++ engine under Shapely, compiled to WebAssembly by
 * the `geos-wasm` package). GEOS's overlay (OverlayNG, with snap-rounding fallback) does not fail on the inputs
 * where sweep-line JavaScript libraries throw ("Unable to complete output ring"), and its validity reasons are
 * Shapely's, so a refusal reads as the Python service's would.
 *
 * WebAssembly instantiation is asynchronous, so {@link loadGeometryEngine} instantiates GEOS once per thread (the
 * runtime holds the engine and passes it on); every operation on it is then synchronous. Each call frees every
 * GEOS object it made, whatever happens.
 */
import initGeosJs from 'geos-wasm';
import { AppError } from '../errors.js';
import type { Position } from './geojson.js';

/** Polygon rings (exterior first, then holes), coordinates in any planar CRS units. */
export type Rings = Position[][];

type Ptr = number;
type Geos = Awaited<ReturnType<typeof initGeosJs>>;

/** Polygon operations of one GEOS instance (coordinates in any planar CRS units). */
export interface GeometryEngine {
  /**
   * The union of the polygons as disjoint polygons with holes (exterior first), each valid. An invalid input
   * polygon (a bow-tie, a ring crossing itself) is first repaired by GEOS's MakeValid, which keeps every region the
   * rings enclose an odd number of times — the area GDAL's even-odd rasteriser fills. Zero-area polygons vanish.
   * @throws AppError `invalid_geometry` when GEOS cannot build or merge them.
   */
  union(polys: readonly Rings[]): Rings[];
  /**
   * Why a polygon (its rings) is not a valid OGC simple-features polygon, in GEOS's words as Shapely's
   * `explain_validity` prints them (e.g. `Self-intersection[1 1]`), or null when it is valid.
   */
  invalidReason(rings: Rings): string | null;
}

/** Instantiates GEOS (≈ 50 ms, ≈ 3 MB of WebAssembly); create one per thread and keep it. */
export async function loadGeometryEngine(): Promise<GeometryEngine> {
  const state = { lastError: '' };
  const geos = await initGeosJs({
    // GEOS reports through these instead of throwing; keep the last error for the AppError we raise, print nothing.
    errorHandler: (message: string) => {
      state.lastError = message;
    },
    noticeHandler: () => undefined,
  });
  const ops = geosOps(geos, state);
  return { union: ops.union, invalidReason: ops.invalidReason };
}

function geosOps(geos: Geos, state: { lastError: string }): GeometryEngine {
  const M = geos.Module;

  const GEOS_POLYGON = 3;
  const GEOS_MULTIPOLYGON = 6;
  const GEOS_GEOMETRYCOLLECTION = 7;

  function fail(what: string): AppError {
    const detail = state.lastError === '' ? '' : ` (${state.lastError})`;
    state.lastError = '';
    return new AppError('invalid_geometry', `The selected area could not be processed: ${what}${detail}.`);
  }

  /** A GEOS coordinate sequence holding `ring` (copied through one Float64 buffer). */
  function coordSeq(ring: readonly Position[]): Ptr {
    const n = ring.length;
    const buf = M._malloc(n * 16);
    const heap = M.HEAPF64;
    let k = buf / 8;
    for (const [x, y] of ring) {
      heap[k++] = x;
      heap[k++] = y;
    }
    const seq = geos.GEOSCoordSeq_copyFromBuffer(buf, n, 0, 0);
    M._free(buf);
    if (!seq) throw fail('a ring has invalid coordinates');
    return seq;
  }

  function pointerArray(ptrs: readonly Ptr[]): Ptr {
    const p = M._malloc(Math.max(ptrs.length, 1) * 4);
    M.HEAPU32.set(ptrs, p / 4);
    return p;
  }

  /** A GEOS polygon of `rings`; ownership of every part passes to the polygon. */
  function polygon(rings: Rings): Ptr {
    const made: Ptr[] = [];
    try {
      for (const ring of rings) {
        const lr = geos.GEOSGeom_createLinearRing(coordSeq(ring));
        if (!lr) throw fail('a ring is not a closed ring of at least 4 positions');
        made.push(lr);
      }
    } catch (err) {
      for (const g of made) geos.GEOSGeom_destroy(g);
      throw err;
    }
    const [shell, ...holes] = made;
    if (shell === undefined) return geos.GEOSGeom_createEmptyPolygon();
    const arr = pointerArray(holes);
    const poly = geos.GEOSGeom_createPolygon(shell, arr, holes.length);
    M._free(arr);
    if (!poly) throw fail('a polygon could not be built');
    return poly;
  }

  /** A GEOS collection of the polygons (ownership passes to it). */
  function collection(polys: readonly Rings[]): Ptr {
    const parts: Ptr[] = [];
    try {
      for (const p of polys) parts.push(polygon(p));
    } catch (err) {
      for (const g of parts) geos.GEOSGeom_destroy(g);
      throw err;
    }
    const arr = pointerArray(parts);
    const coll = geos.GEOSGeom_createCollection(GEOS_GEOMETRYCOLLECTION, arr, parts.length);
    M._free(arr);
    if (!coll) throw fail('the shapes could not be collected');
    return coll;
  }

  function readRing(ring: Ptr): Position[] {
    const seq = geos.GEOSGeom_getCoordSeq(ring);
    const sizePtr = M._malloc(4);
    geos.GEOSCoordSeq_getSize(seq, sizePtr);
    const n = M.getValue(sizePtr, 'i32') as number;
    M._free(sizePtr);
    const buf = M._malloc(Math.max(n, 1) * 16);
    geos.GEOSCoordSeq_copyToBuffer(seq, buf, 0, 0);
    const heap = M.HEAPF64;
    const out: Position[] = new Array<Position>(n);
    for (let i = 0, k = buf / 8; i < n; i++, k += 2) out[i] = [heap[k] as number, heap[k + 1] as number];
    M._free(buf);
    return out;
  }

  /** Appends the polygons of `g` (any type; points and lines are dropped) to `out`. */
  function readPolygons(g: Ptr, out: Rings[]): void {
    const type = geos.GEOSGeomTypeId(g);
    if (type === GEOS_POLYGON) {
      if (geos.GEOSisEmpty(g) === 1) return;
      const rings: Rings = [readRing(geos.GEOSGetExteriorRing(g))];
      const nHoles = geos.GEOSGetNumInteriorRings(g);
      for (let i = 0; i < nHoles; i++) rings.push(readRing(geos.GEOSGetInteriorRingN(g, i)));
      out.push(rings);
    } else if (type === GEOS_MULTIPOLYGON || type === GEOS_GEOMETRYCOLLECTION) {
      const n = geos.GEOSGetNumGeometries(g);
      for (let i = 0; i < n; i++) readPolygons(geos.GEOSGetGeometryN(g, i), out);
    }
  }

  function invalidReason(rings: Rings): string | null {
    const g = polygon(rings);
    try {
      const valid = geos.GEOSisValid(g);
      if (valid === 1) return null;
      const p = geos.GEOSisValidReason(g);
      if (!p) throw fail('its validity could not be checked');
      const reason = M.UTF8ToString(p);
      geos.GEOSFree(p);
      return reason;
    } finally {
      geos.GEOSGeom_destroy(g);
    }
  }

  function union(polys: readonly Rings[]): Rings[] {
    if (polys.length === 0) return [];
    const coll = collection(polys);
    let fixed: Ptr = 0;
    let union: Ptr = 0;
    try {
      // MakeValid on a collection repairs every member; a valid collection comes back as an equal copy.
      fixed = geos.GEOSMakeValid(coll);
      if (!fixed) throw fail('its polygons could not be repaired');
      union = geos.GEOSUnaryUnion(fixed);
      if (!union) throw fail('its polygons could not be merged');
      const out: Rings[] = [];
      readPolygons(union, out);
      return out;
    } finally {
      geos.GEOSGeom_destroy(coll);
      if (fixed) geos.GEOSGeom_destroy(fixed);
      if (union) geos.GEOSGeom_destroy(union);
    }
  }

  return { union, invalidReason };
}
