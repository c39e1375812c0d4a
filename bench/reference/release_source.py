#!/usr/bin/env python3
"""Generates the PaleoCAR-shaped source datacube of `npm run bench -- release` (once; the bench reuses it).

Usage: release_source.py OUT.tif BANDS
  1560 x 1440 cells on the PaleoCAR v3 grid (EPSG:4269), UInt32, nodata 4294967295, pixel-interleaved, striped
  (GDAL's default rows per strip), DEFLATE (level 6, no predictor): the layout of PaleoCAR v3's
  prediction_scaled.tif. Band i (1-based) is year 0102 + i, its description the 4-digit year key. Values: a smooth
  precipitation-like field (1500-9000, tenths of mm) scaled per year, plus 0-15 of hash noise; the cells outside an
  irregular study-area outline are nodata (~12 %). Written through OUT.tif.part and renamed when complete.
"""
import os
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")

W, H = 1560, 1440
NODATA = 4294967295
TRANSFORM = (-114.995833333457, 0.008333333332949996, 0, 42.9958333336016, 0, -0.008333333333010806)


def main(argv):
    out, bands = argv[1], int(argv[2])
    part = out + ".part"
    y, x = np.mgrid[0:H, 0:W].astype("float64")
    u, v = (x + 0.5) / W, 1 - (y + 0.5) / H
    relief = 0.5 + 0.5 * np.sin(7.3 * u + 1.1) * np.cos(5.1 * v - 0.4) * np.sin(3.7 * (u + v))
    base = 1500 + 7500 * np.clip(0.5 * u + 0.4 * v + 0.25 * (relief - 0.5) + 0.05, 0, 1)
    mode = np.sin(4.1 * u - 2.3 * v)
    outside = (u - 0.5) ** 2 / 0.30 + (v - 0.5) ** 2 / 0.28 + 0.08 * np.sin(13 * u) * np.cos(11 * v) > 0.85
    noise = ((x.astype("int64") * 7919 + y.astype("int64") * 104729) % 16).astype("float64")
    ds = gdal.GetDriverByName("GTiff").Create(
        part, W, H, bands, gdal.GDT_UInt32,
        ["COMPRESS=DEFLATE", "ZLEVEL=6", "INTERLEAVE=PIXEL", "BIGTIFF=IF_SAFER", "NUM_THREADS=ALL_CPUS"],
    )
    ds.SetGeoTransform(TRANSFORM)
    ds.SetProjection("EPSG:4269")
    for b in range(bands):
        year = 103 + b
        band = ds.GetRasterBand(b + 1)
        band.SetNoDataValue(NODATA)
        band.SetDescription(f"{year:04d}")
    # Rows in slabs: every band of a slab at once (pixel interleave writes whole strips).
    slab = 64
    for r0 in range(0, H, slab):
        r1 = min(H, r0 + slab)
        cube = np.empty((bands, r1 - r0, W), dtype="uint32")
        for b in range(bands):
            year = 103 + b
            k = 1 + 0.25 * np.sin(year * 0.71) + 0.1 * np.cos(year * 1.37)
            vals = base[r0:r1] * k * (1 + 0.15 * mode[r0:r1] * np.sin(year * 0.23)) + noise[r0:r1] + year % 7
            cube[b] = np.where(outside[r0:r1], NODATA, np.round(vals)).astype("uint32")
        ds.WriteRaster(0, r0, W, r1 - r0, cube.tobytes(), buf_type=gdal.GDT_UInt32)
    ds = None
    os.replace(part, out)


if __name__ == "__main__":
    main(sys.argv)
