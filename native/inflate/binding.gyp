{
  "targets": [
    {
      "target_name": "skope_inflate",
      "sources": ["inflate.c", "count.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-ldeflate"]
    }
  ]
}
