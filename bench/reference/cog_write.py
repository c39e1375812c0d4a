#!/usr/bin/env python3
"""Python reference for bench/cogwrite.bench.ts: GDAL's COG driver writing the same pixels.

Usage: cog_write.py INPUT.bin WIDTH HEIGHT BANDS NODATA OUT.tif REPS
  INPUT.bin is uint16, band-sequential (band 1 rows, then band 2 …). The array is loaded into a GDAL MEM dataset
  once; each repetition (after a warm-up) times only gdal.Translate(format=COG) to OUT.tif with the options our
  writer uses: DEFLATE level 6, predictor 2, 256² blocks, AVERAGE overviews, on all cores (NUM_THREADS=ALL_CPUS;
  our writer compresses on the libuv pool). GDAL 3.6's COG driver writes pixel-interleaved files only.
Prints {"seconds": [...], "median": s, "bytes": size of OUT.tif}.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def main(argv):
    path, w, h, bands, nodata, out, reps = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), int(argv[5]), argv[6], int(argv[7])
    arr = np.fromfile(path, dtype="<u2").reshape(bands, h, w)
    mem = gdal.GetDriverByName("MEM").Create("", w, h, bands, gdal.GDT_UInt16)
    mem.SetGeoTransform((-114.995833333457, 0.008333333332949996, 0, 42.9958333336016, 0, -0.008333333333010806))
    mem.SetProjection("EPSG:4269")
    for b in range(bands):
        band = mem.GetRasterBand(b + 1)
        band.WriteArray(arr[b])
        band.SetNoDataValue(nodata)
    opts = gdal.TranslateOptions(
        format="COG",
        creationOptions=["COMPRESS=DEFLATE", "LEVEL=6", "PREDICTOR=2", "BLOCKSIZE=256", "OVERVIEW_RESAMPLING=AVERAGE", "NUM_THREADS=ALL_CPUS"],
    )

    def run():
        gdal.Translate(out, mem, options=opts)

    run()
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        runs.append(time.perf_counter() - t0)
    print(json.dumps({"seconds": runs, "median": statistics.median(runs), "bytes": os.path.getsize(out)}))


if __name__ == "__main__":
    main(sys.argv)
