#!/usr/bin/env python3
"""Python reference for the raster benchmark (bench/raster.bench.ts): what rasterio (GDAL) does for the same work.

Usage:
  raster_read.py window PATH COL ROW WIDTH HEIGHT REPS
      Open PATH and read the pixel window across all bands, REPS times (after one warm-up).
      Prints {"seconds": [...], "median": s, "sum": sum of all values, "shape": [bands, h, w]}.
  raster_read.py inflate BLOCKS.json REPS
      BLOCKS.json = {"path": ..., "blocks": [[offset, size], ...], "decoded_bytes": n}. Reads the blocks' bytes into
      memory once, then zlib-decompresses every block on one core (output buffer pre-sized), REPS times, timed in
      process CPU seconds.
      Prints {"seconds": [...], "median": s, "mb_per_s": decoded MB / median}.
  raster_read.py readall PATH REPS
      Read the whole full-resolution raster with GDAL on one thread (GDAL_NUM_THREADS=1): decode throughput of
      GDAL itself (inflate + predictor + copies). Prints {"seconds": [...], "median": s, "mb_per_s": ...}.
Times are measured inside Python around the work only (interpreter start-up excluded).
"""
import json
import statistics
import sys
import time
import zlib

import numpy as np
import rasterio
from rasterio.windows import Window


def timed(fn, reps, clock=time.perf_counter):
    fn()  # warm-up: page cache, GDAL driver registration
    runs = []
    for _ in range(reps):
        t0 = clock()
        fn()
        runs.append(clock() - t0)
    return runs


def window(path, col, row, w, h, reps):
    out = {}

    def run():
        with rasterio.open(path) as ds:
            out["arr"] = ds.read(window=Window(col, row, w, h))

    runs = timed(run, reps)
    arr = out["arr"]
    return {"seconds": runs, "median": statistics.median(runs), "sum": int(arr.astype(np.int64).sum()), "shape": list(arr.shape)}


def inflate(blocks_json, reps):
    spec = json.load(open(blocks_json))
    with open(spec["path"], "rb") as f:
        data = f.read()
    chunks = [data[o : o + n] for o, n in spec["blocks"]]
    # bufsize = the decoded block size, as our side passes chunkSize: one output buffer, no regrowth.
    bufsize = spec["decoded_bytes"] // len(chunks)

    def run():
        total = 0
        for c in chunks:
            total += len(zlib.decompress(c, bufsize=bufsize))
        assert total == spec["decoded_bytes"], (total, spec["decoded_bytes"])

    runs = timed(run, reps, time.process_time)  # CPU seconds: a per-core figure, as on our side
    med = statistics.median(runs)
    return {"seconds": runs, "median": med, "mb_per_s": spec["decoded_bytes"] / 1e6 / med}


def readall(path, reps):
    nbytes = {}

    def run():
        with rasterio.Env(GDAL_NUM_THREADS=1, GDAL_CACHEMAX=64):
            with rasterio.open(path) as ds:
                a = ds.read()
                nbytes["n"] = a.nbytes

    runs = timed(run, reps)
    med = statistics.median(runs)
    return {"seconds": runs, "median": med, "mb_per_s": nbytes["n"] / 1e6 / med}


def main(argv):
    cmd = argv[1]
    if cmd == "window":
        res = window(argv[2], *(int(x) for x in argv[3:7]), int(argv[7]))
    elif cmd == "inflate":
        res = inflate(argv[2], int(argv[3]))
    elif cmd == "readall":
        res = readall(argv[2], int(argv[3]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(res))


if __name__ == "__main__":
    main(sys.argv)
