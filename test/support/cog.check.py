#!/usr/bin/env python3
"""Independent checks of COGs written by our writer, with GDAL, rasterio and numpy (one process for many files).

Usage: cog.check.py JOBS.json
  JOBS.json: [{"path": cog, "source": raw band-sequential samples (.bin), "dtype": numpy dtype, "nodata": n|null,
               "resampling": "average"|"mode"|"nearest"}, ...]
Prints JSON, one entry per job:
  valid: GDAL's validate_cloud_optimized_geotiff --full-check errors (empty when valid) and warnings,
  values_equal: rasterio reads every band equal to the source (NaN == NaN),
  descriptions, metadata (each band's default-domain metadata as GDAL reads it), scale/offset/unit,
  numpy: statistics of the source per band (nodata and NaN excluded, population stddev) or null (no valid cell),
  overviews: per overview level, cells that differ from gdaladdo's with the same resampling on the same pixels,
  overview_sizes.
"""
import json
import math
import os
import sys
import tempfile

import numpy as np
import rasterio
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")


def numpy_stats(a, nodata):
    a = a.astype("float64").ravel()
    mask = ~np.isnan(a)
    if nodata is not None:
        mask &= a != nodata
    v = a[mask]
    pct = 100.0 * v.size / a.size
    if v.size == 0:
        return {"valid_percent": pct}
    # math.fsum sums exactly (one rounding), so the reference mean and stddev are as exact as doubles allow.
    mean = math.fsum(v) / v.size
    std = math.sqrt(math.fsum((v - mean) ** 2) / v.size)
    return {"min": float(v.min()), "max": float(v.max()), "mean": mean, "std": std, "valid_percent": pct}


def diff_count(a, b):
    both_nan = np.isnan(a) & np.isnan(b) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    return int(np.count_nonzero((a != b) & ~both_nan))


def check(job, tmp):
    path = job["path"]
    out = {}
    errors, warnings, _ = validate(path, full_check=True)
    out["valid"] = {"errors": errors, "warnings": warnings}
    with rasterio.open(path) as ds:
        src = np.fromfile(job["source"], dtype=job["dtype"]).reshape(ds.count, ds.height, ds.width)
        arr = ds.read()
        out["values_equal"] = diff_count(arr, src) == 0
        out["descriptions"] = list(ds.descriptions)
        out["scales"] = list(ds.scales)
        out["offsets"] = list(ds.offsets)
        out["units"] = list(ds.units)
        out["overview_sizes"] = ds.overviews(1)
    out["numpy"] = [numpy_stats(src[b], job["nodata"]) for b in range(src.shape[0])]
    ds = gdal.Open(path)
    out["metadata"] = [ds.GetRasterBand(b + 1).GetMetadata() for b in range(ds.RasterCount)]
    # gdaladdo on a plain tiled copy of our full-resolution pixels, with our overview factors and resampling.
    band1 = ds.GetRasterBand(1)
    factors = [round(ds.RasterXSize / band1.GetOverview(i).XSize) for i in range(band1.GetOverviewCount())]
    plain = os.path.join(tmp, os.path.basename(path) + ".plain.tif")
    gdal.Translate(plain, ds, creationOptions=["TILED=YES", "INTERLEAVE=" + ("BAND" if job.get("interleave") == "band" else "PIXEL")])
    ref = gdal.Open(plain, gdal.GA_Update)
    if factors:
        ref.BuildOverviews(job["resampling"].upper(), factors)
    ours_ovr = []
    for level in range(len(factors)):
        diffs = []
        for b in range(ds.RasterCount):
            o = ds.GetRasterBand(b + 1).GetOverview(level).ReadAsArray()
            r = ref.GetRasterBand(b + 1).GetOverview(level).ReadAsArray()
            diffs.append(diff_count(o, r) if o.shape == r.shape else -1)
        ours_ovr.append(diffs)
    out["overviews"] = ours_ovr
    ref = None
    os.remove(plain)
    return out


def main():
    jobs = json.load(open(sys.argv[1]))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps([check(j, tmp) for j in jobs]))


if __name__ == "__main__":
    main()
