"""Independent checks of a built release against its sources, printed as JSON on stdout.

Usage: release.check.py DATASET_DIR RELEASE_DIR

- GDAL's validate_cloud_optimized_geotiff (full check) on every COG;
- rasterio reads every band of every COG back and compares it with the source band (NaN equal to NaN);
- GDAL's embedded per-band statistics (STATISTICS_*) equal the Item's STAC statistics, and the band descriptions
  the STAC band names;
- numpy recomputes every band's statistics from the source and compares them with the Item's STAC statistics
  (min/max exactly for integers, to the 14 digits GDAL stores for floats; mean/stddev to relative 1e-10; valid percent to 0.005; an
  all-nodata band has only valid_percent 0).
"""
import json
import os
import sys

import numpy as np
import rasterio
import yaml
from osgeo import gdal
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate

dataset_dir, release_dir = sys.argv[1], sys.argv[2]
manifest = yaml.safe_load(open(os.path.join(dataset_dir, "source-manifest.yml")))
sources = {v["id"]: os.path.join(dataset_dir, v["source"]["uri"]) for v in manifest["variables"]}
report = {"cogs": 0, "bands": 0, "validator": [], "values": [], "stats": [], "embedded": [], "descriptions": []}
gdal.UseExceptions()

for item_name in sorted(os.listdir(os.path.join(release_dir, "items"))):
    item = json.load(open(os.path.join(release_dir, "items", item_name)))
    for var, asset in sorted(item["assets"].items()):
        path = os.path.normpath(os.path.join(release_dir, "items", asset["href"]))
        report["cogs"] += 1
        warnings, errors, _ = validate(path, full_check=True)
        if errors:
            report["validator"].append({"path": path, "errors": errors})
        names = [b["name"] for b in asset["bands"]]
        ds = gdal.Open(path)
        for j in range(len(names)):
            md = ds.GetRasterBand(j + 1).GetMetadata()
            embedded = {k[len("STATISTICS_"):].lower(): float(v) for k, v in md.items() if k.startswith("STATISTICS_")}
            stac = asset["bands"][j]["statistics"]
            if embedded != {k: float(v) for k, v in stac.items()}:
                report["embedded"].append({"path": path, "band": j + 1, "gdal": embedded, "stac": stac})
        ds = None
        with rasterio.open(sources[var]) as src, rasterio.open(path) as cog:
            if list(cog.descriptions) != names:
                report["descriptions"].append({"path": path, "descriptions": cog.descriptions})
            index = {d: i + 1 for i, d in enumerate(src.descriptions)}
            nodata = src.nodata
            for j, name in enumerate(names):
                report["bands"] += 1
                a = src.read(index[name])
                b = cog.read(j + 1)
                if a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=True):
                    report["values"].append({"path": path, "band": j + 1})
                valid = a != nodata
                if a.dtype.kind == "f":
                    valid &= ~np.isnan(a)
                got = asset["bands"][j]["statistics"]
                v = a[valid].astype(np.float64)
                if v.size == 0:
                    ok = got == {"valid_percent": 0}
                else:
                    def close(x, y):
                        return abs(x - y) <= 1e-10 * max(abs(x), abs(y), 1e-300)
                    # min/max as GDAL stores them (%.14g): exact for integers; for floats the 14-digit text (our
                    # writer rounds exact decimal ties up where C's printf rounds them to even: one unit in the
                    # 14th digit)
                    def stored(x, y):
                        return x == y if a.dtype.kind != "f" else abs(x - y) <= 1e-13 * abs(y)
                    ok = (stored(got["minimum"], v.min()) and stored(got["maximum"], v.max())
                          and close(got["mean"], v.mean()) and close(got["stddev"], v.std())
                          and abs(got["valid_percent"] - 100.0 * v.size / a.size) <= 0.005)
                if not ok:
                    report["stats"].append({"path": path, "band": j + 1, "stac": got,
                                            "numpy": None if v.size == 0 else [v.min(), v.max(), v.mean(), v.std()]})
print(json.dumps(report, default=float))
