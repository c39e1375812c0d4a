#!/usr/bin/env python3
"""GDAL reference of `npm run bench -- release`: the same release COGs, made with GDAL's command-line tools.

Usage: release_gdal.py SOURCE.tif OUTDIR CHUNK MODE
  For each chunk of CHUNK bands of SOURCE (the last may be shorter), one COG in OUTDIR, every GDAL step on all cores
  (NUM_THREADS=ALL_CPUS, GDAL_CACHEMAX 512 MB), timed end to end:
  MODE "classic" (band interleave; Debian's GDAL 3.6 COG driver writes pixel interleave only), GDAL's classic recipe:
    1. gdal_translate -b … -of GTiff TILED=YES BLOCKXSIZE=BLOCKYSIZE=512 INTERLEAVE=BAND COMPRESS=ZSTD ZSTD_LEVEL=9
       PREDICTOR=2 BIGTIFF=IF_SAFER (band descriptions come along from the source);
    2. gdaladdo -r average 2 4 with the same compression for the overviews (1560 x 1440 -> 390 x 360 fits a block);
    3. statistics computed (gdalinfo -stats: every band, full resolution, into the PAM sidecar);
    4. gdal_translate -co COPY_SRC_OVERVIEWS=YES (same creation options) to the final file, which carries the
       statistics in its GDAL_METADATA tag; the sidecar and the intermediate file are deleted.
  MODE "cog": gdal_translate -of COG BLOCKSIZE=512 COMPRESS=ZSTD LEVEL=9 PREDICTOR=2 OVERVIEW_RESAMPLING=AVERAGE
    (pixel interleave; GDAL 3.6's COG driver has no STATISTICS option, so statistics are not computed).
Prints {"seconds": s, "cpu_seconds": user + system CPU of the GDAL processes, "bytes": total output bytes,
"maxrss_kb": peak RSS of the largest GDAL process}.
"""
import json
import os
import resource
import subprocess
import sys
import time

from osgeo import gdal

ENV = dict(os.environ, GDAL_NUM_THREADS="ALL_CPUS", GDAL_CACHEMAX="512")
GTIFF = ["-co", "TILED=YES", "-co", "BLOCKXSIZE=512", "-co", "BLOCKYSIZE=512", "-co", "INTERLEAVE=BAND",
         "-co", "COMPRESS=ZSTD", "-co", "ZSTD_LEVEL=9", "-co", "PREDICTOR=2", "-co", "BIGTIFF=IF_SAFER",
         "-co", "NUM_THREADS=ALL_CPUS"]
OVR = ["--config", "COMPRESS_OVERVIEW", "ZSTD", "--config", "ZSTD_LEVEL_OVERVIEW", "9",
       "--config", "PREDICTOR_OVERVIEW", "2", "--config", "INTERLEAVE_OVERVIEW", "BAND",
       "--config", "GDAL_NUM_THREADS", "ALL_CPUS"]
COG = ["-of", "COG", "-co", "BLOCKSIZE=512", "-co", "COMPRESS=ZSTD", "-co", "LEVEL=9", "-co", "PREDICTOR=2",
       "-co", "OVERVIEW_RESAMPLING=AVERAGE", "-co", "BIGTIFF=IF_SAFER", "-co", "NUM_THREADS=ALL_CPUS"]


def run(args):
    # stderr too: GDAL 3.6 prints harmless "Bad value 2 for ExtraSamples" errors when decoding its own
    # band-interleaved ZSTD tiles on several threads.
    res = subprocess.run(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if res.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{res.stderr.decode(errors='replace')}")


def main(argv):
    source, outdir, chunk, mode = argv[1], argv[2], int(argv[3]), argv[4]
    os.makedirs(outdir, exist_ok=True)
    bands = gdal.Open(source).RasterCount
    t0 = time.perf_counter()
    total = 0
    for k, first in enumerate(range(1, bands + 1, chunk)):
        sel = []
        for b in range(first, min(bands, first + chunk - 1) + 1):
            sel += ["-b", str(b)]
        out = os.path.join(outdir, f"chunk_{k + 1}.tif")
        if mode == "cog":
            run(["gdal_translate", "-q", *sel, *COG, source, out])
        else:
            tmp = out + ".tmp.tif"
            run(["gdal_translate", "-q", *sel, *GTIFF, source, tmp])
            run(["gdaladdo", "-q", "-r", "average", *OVR, tmp, "2", "4"])
            run(["gdalinfo", "-stats", tmp])
            run(["gdal_translate", "-q", *GTIFF, "-co", "COPY_SRC_OVERVIEWS=YES", tmp, out])
            for p in (tmp, tmp + ".aux.xml"):
                if os.path.exists(p):
                    os.remove(p)
        total += os.path.getsize(out)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "bytes": total,
                      "maxrss_kb": usage.ru_maxrss}))


if __name__ == "__main__":
    main(sys.argv)
