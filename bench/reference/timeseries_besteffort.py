#!/usr/bin/env python3
"""Best-effort rasterio + numpy reference for the timeseries benchmarks (bench/timeseries.bench.ts, bench/s3.bench.ts):
the same extraction as timeseries_reference.py (same window, same cells, same statistics), written as a strong Python
user would write it rather than as the upstream service does:

- one windowed `read` of all the selected bands of a file, in the file's own dtype (no float32/float64 cube);
- the area's cells taken once with a boolean index (`data[:, mask]` → bands × cells, still uint16);
- nodata handled with integer masks: sums in int64 over valid cells; medians with `np.partition` over the cell
  axis for bands without nodata among the cells, a sort for bands with some, none for all-nodata bands;
- no copy of the cells when the area covers its window whole (a view of the read), nodata counted rather than
  masked out into a copy;
- files read in parallel on a thread pool (rasterio releases the GIL while GDAL reads and decodes, numpy while it
  partitions), `threads` at a time (the benchmarks pass 10, as the upstream reference: on a shared machine fewer
  threads get less of the CPU).

Only integer data and the centre rule without weights are handled (what the benchmarks extract).

Usage: timeseries_besteffort.py REQUEST.json -> JSON on stdout. REQUEST as timeseries_reference.py's; `threads`
(default 2) is the file parallelism. GDAL settings come from the environment (the S3 suite sets /vsis3/ options).
RESULT: {"results": [{"n_cells", "window", "mean", "median", "seconds"}], "maxrss_mb": peak RSS of this process}
"""
import json
import math
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import rasterio
from affine import Affine

from timeseries_reference import shapes_of, spatial


def band_stats(cells, nodata):
    """Mean and median of each row of `cells` (bands × cells, integer), ignoring `nodata`; None when no valid cell."""
    n = cells.shape[1]
    if nodata is None:
        valid_counts = np.full(cells.shape[0], n, dtype=np.int64)
        sums = cells.sum(axis=1, dtype=np.int64)
    else:
        # No masked copy of the cube: sum everything, then take the nodata cells' share back out.
        missing = (cells == nodata).sum(axis=1)
        valid_counts = n - missing
        sums = cells.sum(axis=1, dtype=np.int64) - missing.astype(np.int64) * int(nodata)
    means, medians = [], []
    full = np.nonzero(valid_counts == n)[0]
    med_full = {}
    if len(full) > 0 and n > 0:
        lo, hi = (n - 1) // 2, n // 2
        part = np.partition(cells[full], [lo, hi], axis=1)
        for j, b in enumerate(full):
            med_full[int(b)] = (float(part[j, lo]) + float(part[j, hi])) / 2.0
    for b in range(cells.shape[0]):
        k = int(valid_counts[b])
        if k == 0:
            means.append(None)
            medians.append(None)
            continue
        means.append(float(sums[b]) / k)
        if b in med_full:
            medians.append(med_full[b])
        else:
            row = cells[b][cells[b] != nodata]
            lo, hi = (k - 1) // 2, k // 2
            p = np.partition(row, [lo, hi])
            medians.append((float(p[lo]) + float(p[hi])) / 2.0)
    return means, medians


def read_file(path, bands, window, mask):
    with rasterio.open(path) as src:
        inside = (window.col_off >= 0 and window.row_off >= 0 and window.col_off + window.width <= src.width
                  and window.row_off + window.height <= src.height)
        if inside:
            data = src.read(bands, window=window)
        else:
            fill = src.nodata if src.nodata is not None else 0
            data = src.read(bands, window=window, boundless=True, fill_value=fill)
        # An area that covers its window whole needs no copy of the cells (a view of the read).
        cells = data.reshape(data.shape[0], -1) if mask.all() else data[:, mask]
        del data
        return band_stats(cells, src.nodata)


def run(req):
    aff = Affine(*req["transform"][:6])
    threads = int(req.get("threads", 2))
    results = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for case in req["cases"]:
            t0 = time.perf_counter()
            window, mask, n_cells, _area = spatial(shapes_of(case), req["crs"], aff)
            futures = [pool.submit(read_file, f["path"], f["bands"], window, mask) for f in req["files"]]
            mean, median = [], []
            for fut in futures:
                m, md = fut.result()
                mean.extend(m)
                median.extend(md)
            results.append({"n_cells": n_cells,
                            "window": [window.col_off, window.row_off, window.width, window.height],
                            "mean": [None if v is None or not math.isfinite(v) else v for v in mean],
                            "median": [None if v is None or not math.isfinite(v) else v for v in median],
                            "seconds": time.perf_counter() - t0})
    return {"results": results, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if arg == "-" else open(arg).read()
    json.dump(run(json.loads(text)), sys.stdout)
