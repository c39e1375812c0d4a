#!/usr/bin/env python3
"""Python reference for the tile benchmark (bench/tiles.bench.ts): the rio-tiler path TiTiler takes for
`/cog/tiles/WebMercatorQuad/{z}/{x}/{y}?bidx=…&colormap_name=…&rescale=lo,hi`:
rio-tiler's `part()` — a WarpedVRT in EPSG:3857 over the tile bounds at the finer of the tile's and the dataset's
native resolution (`get_vrt_transform`), read with `out_shape` = tile size (GDAL picks overviews for the decimated
read), nearest — then numpy linear rescale to uint8, a 256-entry colormap lookup to RGBA (alpha from the mask),
and a PNG encode with Pillow.

With "mode": "equal" in SPEC, the reference does the same work as our tile service instead (the equal-work row):
the same one band read and warped (a one-band VRT of the file warped by `gdal.Warp` to the 256 × 256 tile in
EPSG:3857, nearest, GDAL picking the overview (checked: for every tile of the bench's set gdalwarp's AUTO choice
reads the same level as ours) — not a WarpedVRT, which warps every band of a 100-band file), the same rescale to
palette codes (255 = nodata, transparent), and the same PNG: palette (PLTE with only the codes used, tRNS), rows
with filter "up", zlib level 1 with the run-length strategy (Z_RLE, as ours), written with numpy and zlib.

Usage:
  tiles_reference.py SPEC.json
      SPEC = {"path", "bidx", "rescale": [lo, hi], "lut": [[r,g,b,a] × 256], "tiles": [[z,x,y], …],
              "reps": n, "procs": p, "size": 256}
      Renders every tile once as warm-up, then `reps` passes over the tile set on one core (per-tile seconds),
      then the tile set spread over `procs` processes (tiles/s, wall clock, each process warm).
      Prints {"per_tile": [s, …], "p50": s, "p99": s, "tiles_per_s_parallel": n, "bytes": total PNG bytes}.
The dataset stays open across tiles (warm, as a long-lived TiTiler worker with GDAL's caches).
"""
import io
import json
import math
import multiprocessing as mp
import statistics
import sys
import time

import struct
import zlib

import numpy as np
import rasterio
from osgeo import gdal
from PIL import Image
from rasterio.enums import Resampling
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.warp import calculate_default_transform

HALF = 20037508.342789244


def tile_bounds(z, x, y):
    size = 2 * HALF / 2**z
    minx = -HALF + x * size
    maxy = HALF - y * size
    return minx, maxy - size, minx + size, maxy


class Renderer:
    def __init__(self, spec):
        self.spec = spec
        self.src = rasterio.open(spec["path"])
        self.lut = np.array(spec["lut"], dtype=np.uint8)
        self.lo, self.hi = spec["rescale"]
        self.size = spec.get("size", 256)
        native, _, _ = calculate_default_transform(
            self.src.crs, "EPSG:3857", self.src.width, self.src.height, *self.src.bounds
        )
        self.native_res = (abs(native.a), abs(native.e))

    def render(self, z, x, y):
        size = self.size
        w, s, e, n = tile_bounds(z, x, y)
        # rio-tiler get_vrt_transform: VRT at the finer of the tile and native resolutions.
        xres = min((e - w) / size, self.native_res[0])
        yres = min((n - s) / size, self.native_res[1])
        vw = max(1, round((e - w) / xres))
        vh = max(1, round((n - s) / yres))
        with WarpedVRT(
            self.src,
            crs="EPSG:3857",
            transform=Affine(xres, 0, w, 0, -yres, n),
            width=vw,
            height=vh,
            resampling=Resampling.nearest,
            nodata=self.src.nodata,
        ) as vrt:
            data = vrt.read(self.spec["bidx"], out_shape=(size, size), masked=True, resampling=Resampling.nearest)
        mask = ~np.ma.getmaskarray(data)
        arr = np.ma.getdata(data).astype("float64")
        arr = np.clip(arr, self.lo, self.hi) - self.lo
        arr = arr / np.float64(self.hi - self.lo) * 255.0
        idx = arr.astype(np.uint8)
        rgba = self.lut[idx]
        rgba[..., 3] = np.where(mask, rgba[..., 3], 0)
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
        return buf.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def palette_png(codes, lut):
    """Palette PNG as our encoder writes it: PLTE of the codes used (transparent slot 0 first), "up" rows, level 1."""
    h, w = codes.shape
    used = np.bincount(codes.ravel(), minlength=256) > 0
    order = np.nonzero(used)[0]
    transparent = used[255]
    colours = [c for c in order if c != 255]
    slot = np.zeros(256, dtype=np.uint8)
    entries = []
    if transparent:
        slot[255] = 0
        entries.append((0, 0, 0, 0))
    for c in colours:
        slot[c] = len(entries)
        entries.append(tuple(int(v) for v in lut[c]))
    px = slot[codes]
    up = np.empty((h, w + 1), dtype=np.uint8)
    up[:, 0] = 2
    up[0, 1:] = px[0]
    up[1:, 1:] = px[1:] - px[:-1]  # uint8 arithmetic wraps mod 256
    plte = bytes(v for e in entries for v in e[:3])
    trns = [e[3] for e in entries]
    while trns and trns[-1] == 255:
        trns.pop()
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
    out += _chunk(b"PLTE", plte)
    if trns:
        out += _chunk(b"tRNS", bytes(trns))
    # Level 1 with the run-length strategy, as ours (src/tiles/png.encode.ts DEFLATE_OPTIONS).
    z = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    out += _chunk(b"IDAT", z.compress(up.tobytes()) + z.flush()) + _chunk(b"IEND", b"")
    return out


class EqualRenderer:
    """Our tile service's work in GDAL + numpy: one band read and warped, palette codes, palette PNG at level 1."""

    def __init__(self, spec):
        gdal.UseExceptions()
        self.spec = spec
        self.lut = np.array(spec["lut"], dtype=np.uint8)
        self.lo, self.hi = spec["rescale"]
        self.size = spec.get("size", 256)
        src = gdal.Open(spec["path"])
        self.nodata = src.GetRasterBand(spec["bidx"]).GetNoDataValue()
        # A one-band virtual view (no pixels copied); its source's overviews stay usable.
        self.band = gdal.Translate("", src, format="VRT", bandList=[spec["bidx"]])

    def render(self, z, x, y):
        size = self.size
        w, s, e, n = tile_bounds(z, x, y)
        out = gdal.Warp("", self.band, format="MEM", dstSRS="EPSG:3857", outputBounds=(w, s, e, n),
                        width=size, height=size, resampleAlg="near", dstNodata=self.nodata)
        data = out.GetRasterBand(1).ReadAsArray()
        valid = data != self.nodata
        scaled = (np.clip(data, self.lo, self.hi) - self.lo) * (254.0 / (self.hi - self.lo))
        codes = np.where(valid, scaled.astype(np.uint8), np.uint8(255))
        return palette_png(codes, self.lut)


_worker = None


def make_renderer(spec):
    return EqualRenderer(spec) if spec.get("mode") == "equal" else Renderer(spec)


def _init(spec):
    global _worker
    _worker = make_renderer(spec)
    for z, x, y in spec["tiles"]:  # warm this process
        _worker.render(z, x, y)


def _render(t):
    return len(_worker.render(*t))


def main():
    spec = json.load(open(sys.argv[1]))
    r = make_renderer(spec)
    tiles = [tuple(t) for t in spec["tiles"]]
    total = 0
    for t in tiles:
        total += len(r.render(*t))
    per_tile = []
    for _ in range(spec["reps"]):
        for t in tiles:
            t0 = time.perf_counter()
            r.render(*t)
            per_tile.append(time.perf_counter() - t0)
    per_tile.sort()
    p99 = per_tile[min(len(per_tile) - 1, math.ceil(0.99 * len(per_tile)) - 1)]
    procs = spec.get("procs", 2)
    work = tiles * spec["reps"]
    with mp.Pool(procs, initializer=_init, initargs=(spec,)) as pool:
        pool.map(_render, tiles[:procs], chunksize=1)  # make sure every worker finished its warm-up
        t0 = time.perf_counter()
        pool.map(_render, work, chunksize=4)
        wall = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "per_tile": per_tile,
                "p50": statistics.median(per_tile),
                "p99": p99,
                "tiles_per_s_parallel": len(work) / wall,
                "bytes": total,
            }
        )
    )


if __name__ == "__main__":
    main()
