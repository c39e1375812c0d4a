#!/usr/bin/env python3
"""Reference implementation of the upstream SKOPE extraction algorithm (window, mask, statistics).

rasterio + numpy + shapely + pyproj, as the upstream Python service, with two documented differences that our
CONTRACT makes: reads are boundless (cells outside the raster are missing, never a failed job), and the statistics
are computed in float64 (upstream: float32) so that results can be compared to ~1e-12.

Usage: timeseries_reference.py REQUEST.json  (or '-' for stdin) -> JSON on stdout.

REQUEST: {"crs": "EPSG:4269", "transform": [a,b,c,d,e,f], "max_cells": 1000000, "threads": 10,
          "files": [{"path": "...", "bands": [1,2,...]}, ...],
          "cases": [<GeoJSON Point|Polygon|MultiPolygon|Feature|FeatureCollection>, ...]}
RESULT:  {"results": [{"n_cells": int, "area": float, "window": [col,row,w,h], "mean": [...], "median": [...],
                        "seconds": wall time of this case}],
          "seconds": wall time of the extractions}
Missing statistics are null.
"""
import json
import math
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyproj
import rasterio
from affine import Affine
from rasterio.features import geometry_mask
from rasterio.windows import Window
from shapely.geometry import shape
from shapely.ops import transform as shp_transform, unary_union

warnings.filterwarnings("ignore", category=RuntimeWarning)  # all-NaN slices: nanmean/nanmedian warn


def shapes_of(geojson):
    t = geojson.get("type")
    if t == "Feature":
        return [shape(geojson["geometry"])]
    if t == "FeatureCollection":
        return [shape(f["geometry"]) for f in geojson["features"]]
    return [shape(geojson)]


def spatial(shapes4326, crs, aff):
    """Projected shapes, window, mask (centre rule, all-touched fallback), n_cells, area."""
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    projected = [shp_transform(tr.transform, s) for s in shapes4326]
    union = unary_union(projected)
    minx, miny, maxx, maxy = union.bounds
    # rasterio from_bounds: invert the affine at the corners.
    inv = ~aff
    cols, rows = zip(*[inv * (x, y) for x, y in ((minx, maxy), (maxx, maxy), (minx, miny), (maxx, miny))])
    # The window holds every cell the bounds touch: floor(min) to ceil(max), a bound within 1e-9 cell of a cell
    # edge taken as on it, at least 1x1. (The upstream service rounded the lengths half-up and floored the offsets,
    # which cut off the last row or column; see docs/API.md.)
    snap = lambda v: round(v) if abs(v - round(v)) < 1e-9 else v
    col_off, row_off = math.floor(snap(min(cols))), math.floor(snap(min(rows)))
    width = max(1, math.ceil(snap(max(cols))) - col_off)
    height = max(1, math.ceil(snap(max(rows))) - row_off)
    win_aff = aff * Affine.translation(col_off, row_off)
    mask = geometry_mask(projected, out_shape=(height, width), transform=win_aff, invert=True)
    if not mask.any():
        mask = geometry_mask(projected, out_shape=(height, width), transform=win_aff, invert=True, all_touched=True)
    crs_obj = pyproj.CRS.from_string(crs)
    if crs_obj.is_geographic:
        geod = crs_obj.get_geod()
        area = abs(geod.geometry_area_perimeter(union)[0])
    else:
        area = union.area
    return Window(col_off, row_off, width, height), mask, int(mask.sum()), float(area)


def read_file(path, bands, window, mask, chunk_size):
    """One file: band chunks, float32 read, nodata and mask -> NaN, nanmean/nanmedian in float64."""
    means, medians = [], []
    with rasterio.open(path) as src:
        inside = (window.col_off >= 0 and window.row_off >= 0 and window.col_off + window.width <= src.width
                  and window.row_off + window.height <= src.height)
        nodata = src.nodata
        for i in range(0, len(bands), chunk_size):
            chunk = bands[i:i + chunk_size]
            if inside:
                data = src.read(chunk, window=window, out_dtype="float32")
            else:
                fill = nodata if nodata is not None else 0
                data = src.read(chunk, window=window, out_dtype="float32", boundless=True, fill_value=fill)
            data = data.astype(np.float64)
            if nodata is not None:
                data[data == np.float32(nodata)] = np.nan
            data[:, ~mask] = np.nan
            flat = data.reshape(len(chunk), -1)
            means.extend(np.nanmean(flat, axis=1).tolist())
            medians.extend(np.nanmedian(flat, axis=1).tolist())
    return means, medians


def clean(values):
    return [None if (v is None or not math.isfinite(v)) else v for v in values]


def run(req):
    aff = Affine(*req["transform"][:6])
    max_cells = int(req.get("max_cells", 1_000_000))
    threads = int(req.get("threads", 10))
    results = []
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for case in req["cases"]:
            t0 = time.perf_counter()
            window, mask, n_cells, area = spatial(shapes_of(case), req["crs"], aff)
            chunk_size = max_cells // (window.width * window.height)
            if chunk_size == 0:
                raise ValueError("The selected polygon exceeds the max allowable cells")
            futures = [pool.submit(read_file, f["path"], f["bands"], window, mask, chunk_size) for f in req["files"]]
            mean, median = [], []
            for fut in futures:
                m, md = fut.result()
                mean.extend(m)
                median.extend(md)
            results.append({"n_cells": n_cells, "area": area,
                            "window": [window.col_off, window.row_off, window.width, window.height],
                            "mean": clean(mean), "median": clean(median), "seconds": time.perf_counter() - t0})
    return {"results": results, "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if arg == "-" else open(arg).read()
    json.dump(run(json.loads(text)), sys.stdout)
