"""gdaladdo's overviews of raw rasters: the reference for src/raster/writer/overview.convolve.crosscheck.test.ts.

Usage: overview.ref.py JOBS.json — each job {"source": raw .bin, "dtype", "width", "height", "nodata" (or null),
"resampling", "levels"}; writes a tiled band-interleaved GTiff of the pixels, runs BuildOverviews (what
`gdaladdo -r <resampling>` does) with factors 2, 4, … and writes overview k's pixels next to the source as
`<source>.<resampling>.<k>` (raw, same dtype). Prints the GDAL version.
"""
import json
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
GDT = {"uint8": gdal.GDT_Byte, "uint16": gdal.GDT_UInt16, "int16": gdal.GDT_Int16, "uint32": gdal.GDT_UInt32,
       "int32": gdal.GDT_Int32, "float32": gdal.GDT_Float32, "float64": gdal.GDT_Float64}

for job in json.load(open(sys.argv[1])):
    w, h, dtype = job["width"], job["height"], job["dtype"]
    pixels = np.fromfile(job["source"], dtype=dtype).reshape(h, w)
    path = job["source"] + ".tif"
    ds = gdal.GetDriverByName("GTiff").Create(path, w, h, 1, GDT[dtype], ["TILED=YES", "INTERLEAVE=BAND"])
    band = ds.GetRasterBand(1)
    if job["nodata"] is not None:
        band.SetNoDataValue(float(job["nodata"]))
    band.WriteArray(pixels)
    ds.BuildOverviews(job["resampling"].upper(), [2 ** (k + 1) for k in range(job["levels"])])
    for k in range(band.GetOverviewCount()):
        band.GetOverview(k).ReadAsArray().astype(dtype).tofile(f"{job['source']}.{job['resampling']}.{k}")
    ds = None
print(gdal.__version__)
