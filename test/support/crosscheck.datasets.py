#!/usr/bin/env python3
"""Writes the two small cross-check datasets with rasterio/GDAL into OUT_DIR (argv[1]).

A: EPSG:4269, 48x36 cells of 0.25 deg from (-115, 42); float32, nodata -9999 (plus a few NaN cells);
   a1.tif 3 bands pixel-interleaved COG, a2.tif 2 bands band-interleaved tiled GTiff.
B: EPSG:32612, 40x32 cells of 5000 m from (300000, 4300000); uint16, nodata 65535; b1.tif 3 bands COG;
   b2.tif 2 bands, band-interleaved, predictor 2.
Blocks 16x16, DEFLATE. Values are seeded random numbers with ~10 % nodata. Prints nothing; a few KB each.
"""
import os
import sys

import numpy as np
import rasterio
from rasterio.shutil import copy as rio_copy
from rasterio.transform import Affine

out = sys.argv[1]
rng = np.random.default_rng(20261127)


def write(path, dtype, crs, transform, data, nodata, cog, interleave="pixel", predictor=1):
    bands, h, w = data.shape
    profile = dict(driver="GTiff", width=w, height=h, count=bands, dtype=dtype, crs=crs, transform=transform,
                   nodata=nodata, tiled=True, blockxsize=16, blockysize=16, compress="deflate", interleave=interleave,
                   predictor=predictor)
    tmp = path + ".tmp.tif" if cog else path
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
    if cog:
        rio_copy(tmp, path, driver="COG", blocksize=16, compress="DEFLATE", overviews="NONE")
        os.remove(tmp)


def floats(bands, h, w):
    d = rng.uniform(-50, 400, size=(bands, h, w)).astype("float32")
    d[rng.random(d.shape) < 0.1] = -9999
    d[rng.random(d.shape) < 0.02] = np.nan
    return d


def ints(bands, h, w):
    d = rng.integers(0, 5000, size=(bands, h, w)).astype("uint16")
    d[rng.random(d.shape) < 0.1] = 65535
    return d


ta = Affine(0.25, 0, -115, 0, -0.25, 42)
write(os.path.join(out, "a1.tif"), "float32", "EPSG:4269", ta, floats(3, 36, 48), -9999, cog=True)
write(os.path.join(out, "a2.tif"), "float32", "EPSG:4269", ta, floats(2, 36, 48), -9999, cog=False, interleave="band")
tb = Affine(5000, 0, 300000, 0, -5000, 4300000)
write(os.path.join(out, "b1.tif"), "uint16", "EPSG:32612", tb, ints(3, 32, 40), 65535, cog=True)
# Band-interleaved with horizontal differencing: the scan path sums predictor-2 rows itself.
write(os.path.join(out, "b2.tif"), "uint16", "EPSG:32612", tb, ints(2, 32, 40), 65535, cog=False, interleave="band",
      predictor=2)
