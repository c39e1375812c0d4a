/*
 * deltaCount: the counting loop of an extraction's median and mean (src/timeseries/stats.strips.ts), for rows of a
 * block stored with TIFF predictor 2 (horizontal differencing) and handed over undone (src/raster/deltas.ts): a
 * running sum modulo 2^bits from column 0 gives each value, and the value of every column asked for is counted in
 * a histogram whose bins are the values themselves.
 *
 * Why by hand: after inflating, this loop is the rest of an extraction's CPU (1 000 000 cells x 1898 years count
 * 1.9e9 values). V8 runs it at 1.2-1.7 ns a value (a bounds check on the histogram, the running sum boxed through
 * the loop's phis); this C loop at ~0.42 ns on the same blocks and machine, right after each block is inflated
 * (measured 2026-12-07, 256x256 uint16 blocks of the benchmark's PaleoCAR-shaped cube). The JavaScript loop in
 * src/raster/deltas.ts is the fallback and the reference the tests compare this with.
 *
 * deltaCount(samples: Uint16Array | Uint8Array, first: number, stride: number, cols: Int32Array,
 *            counts: Uint32Array): number
 *   row i (0 <= i < cols.length / 2) starts at samples[first + i * stride] (block column 0); the values of its
 *   columns [cols[2i], cols[2i + 1]) are counted in counts[value]; a row with cols[2i] >= cols[2i + 1] is skipped.
 *   counts must have 2^bits bins. Returns the values counted. Throws a TypeError or RangeError (before counting
 *   anything) when an argument is of the wrong type or a row would reach outside `samples`.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include "count.h"

/* A row of one value (all of a nodata block's rows) is counted in one step: counted value by value, every increment
 * would hit one bin and wait for the one before it (measured: ~2 ns a value, four times a varying row's cost; the
 * benchmark cube's 173 nodata years made its counting ~30 % slower than its data alone).
 * Rows asking for the same columns go through one loop four (or two) at a time: their running sums are independent
 * chains, which the CPU overlaps. The four are taken a quarter of the stretch apart, not next to each other: nearby
 * rows of a smooth field hold the same values, and two increments of one bin in the same iteration wait for each other
 * (measured on the benchmark cube's blocks: 0.45 ns a value with rows a quarter apart, 0.53 for adjacent pairs,
 * 0.68 for four adjacent rows). */
#define ROW_LOOPS(T)                                                                                            \
  static void count_quad_##T(const T *a, const T *b, const T *c, const T *d, int32_t s0, int32_t s1,            \
                             uint32_t *h) {                                                                     \
    T x = 0, y = 0, z = 0, w = 0;                                                                               \
    int32_t k = 0;                                                                                              \
    for (; k < s0; k++) {                                                                                       \
      x = (T)(x + a[k]);                                                                                        \
      y = (T)(y + b[k]);                                                                                        \
      z = (T)(z + c[k]);                                                                                        \
      w = (T)(w + d[k]);                                                                                        \
    }                                                                                                           \
    for (; k < s1; k++) {                                                                                       \
      x = (T)(x + a[k]);                                                                                        \
      y = (T)(y + b[k]);                                                                                        \
      z = (T)(z + c[k]);                                                                                        \
      w = (T)(w + d[k]);                                                                                        \
      h[x]++;                                                                                                   \
      h[y]++;                                                                                                   \
      h[z]++;                                                                                                   \
      h[w]++;                                                                                                   \
    }                                                                                                           \
  }                                                                                                             \
  static void count_pair_##T(const T *a, const T *b, int32_t s0, int32_t s1, uint32_t *h) {                     \
    T x = 0, y = 0;                                                                                             \
    int32_t k = 0;                                                                                              \
    for (; k < s0; k++) {                                                                                       \
      x = (T)(x + a[k]);                                                                                        \
      y = (T)(y + b[k]);                                                                                        \
    }                                                                                                           \
    for (; k < s1; k++) {                                                                                       \
      x = (T)(x + a[k]);                                                                                        \
      y = (T)(y + b[k]);                                                                                        \
      h[x]++;                                                                                                   \
      h[y]++;                                                                                                   \
    }                                                                                                           \
  }                                                                                                             \
  /* True when columns [0, s1) of the row hold one value (every delta after the first is 0); stops at the first   \
   * delta that is not, which in a row of varying values is one of the first few. */                            \
  static int flat_##T(const T *a, int32_t s1) {                                                                 \
    const unsigned char *p = (const unsigned char *)(a + 1);                                                    \
    size_t n = s1 > 1 ? (size_t)(s1 - 1) * sizeof(T) : 0, k = 0;                                               \
    for (; k + 32 <= n; k += 32) {                                                                              \
      uint64_t w[4];                                                                                            \
      memcpy(w, p + k, 32);                                                                                     \
      if ((w[0] | w[1] | w[2] | w[3]) != 0) return 0;                                                           \
    }                                                                                                           \
    for (; k < n; k++)                                                                                          \
      if (p[k] != 0) return 0;                                                                                  \
    return 1;                                                                                                   \
  }                                                                                                             \
  static void count_one_##T(const T *a, int32_t s0, int32_t s1, uint32_t *h) {                                  \
    T x = 0;                                                                                                    \
    int32_t k = 0;                                                                                              \
    for (; k < s0; k++) x = (T)(x + a[k]);                                                                      \
    for (; k < s1; k++) {                                                                                       \
      x = (T)(x + a[k]);                                                                                        \
      h[x]++;                                                                                                   \
    }                                                                                                           \
  }                                                                                                             \
  static void count_rows_##T(const T *s, size_t first, size_t stride, const int32_t *cols, size_t rows,         \
                             uint32_t *h) {                                                                     \
    size_t i = 0;                                                                                               \
    while (i < rows) {                                                                                          \
      int32_t s0 = cols[2 * i], s1 = cols[2 * i + 1];                                                           \
      size_t m = 1; /* rows i .. i + m - 1 ask for the same columns */                                          \
      while (i + m < rows && cols[2 * (i + m)] == s0 && cols[2 * (i + m) + 1] == s1) m++;                       \
      if (s0 < s1 && flat_##T(s + first + i * stride, s1)) {                                                  \
        /* Probably a block of one value (nodata): count its flat rows in one step each, the others one by one. */ \
        for (size_t j = 0; j < m; j++) {                                                                        \
          const T *a = s + first + (i + j) * stride;                                                            \
          if (flat_##T(a, s1))                                                                                  \
            h[a[0]] += (uint32_t)(s1 - s0);                                                                     \
          else                                                                                                  \
            count_one_##T(a, s0, s1, h);                                                                        \
        }                                                                                                       \
      } else if (s0 < s1) {                                                                                     \
        const T *a = s + first + i * stride;                                                                    \
        size_t q = m / 4, j = 0;                                                                                \
        for (; j < q; j++)                                                                                      \
          count_quad_##T(a + j * stride, a + (q + j) * stride, a + (2 * q + j) * stride,                        \
                         a + (3 * q + j) * stride, s0, s1, h);                                                  \
        j = 4 * q;                                                                                              \
        if (j + 1 < m) {                                                                                        \
          count_pair_##T(a + j * stride, a + (j + 1) * stride, s0, s1, h);                                      \
          j += 2;                                                                                               \
        }                                                                                                       \
        if (j < m) count_one_##T(a + j * stride, s0, s1, h);                                                    \
      }                                                                                                         \
      i += m;                                                                                                   \
    }                                                                                                           \
  }

ROW_LOOPS(uint16_t)
ROW_LOOPS(uint8_t)

static int typed(napi_env env, napi_value v, napi_typedarray_type *type, void **data, size_t *length) {
  napi_value buffer;
  size_t offset;
  return napi_get_typedarray_info(env, v, type, length, data, &buffer, &offset) == napi_ok;
}

static int integer(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= 9007199254740991.0) || d != (double)(int64_t)d)
    return 0;
  *out = (int64_t)d;
  return 1;
}

napi_value skope_delta_count(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type st, ct, ht;
  void *samples, *cols, *counts;
  size_t n_samples, n_cols, n_counts;
  int64_t first, stride;
  if (argc < 5 || !typed(env, argv[0], &st, &samples, &n_samples) ||
      (st != napi_uint16_array && st != napi_uint8_array) || !integer(env, argv[1], &first) ||
      !integer(env, argv[2], &stride) || !typed(env, argv[3], &ct, &cols, &n_cols) || ct != napi_int32_array ||
      n_cols % 2 != 0 || !typed(env, argv[4], &ht, &counts, &n_counts) || ht != napi_uint32_array) {
    napi_throw_type_error(env, NULL,
                          "deltaCount(samples: Uint16Array | Uint8Array, first: number, stride: number, "
                          "cols: Int32Array (even length), counts: Uint32Array)");
    return NULL;
  }
  size_t bins = st == napi_uint16_array ? 65536 : 256;
  if (n_counts < bins) {
    napi_throw_range_error(env, NULL, "deltaCount: counts needs a bin for every value of the samples' type");
    return NULL;
  }
  const int32_t *c = (const int32_t *)cols;
  size_t rows = n_cols / 2;
  double counted = 0;
  /* Every row that is counted must lie inside samples: checked for all before any is counted. */
  for (size_t i = 0; i < rows; i++) {
    int32_t s0 = c[2 * i], s1 = c[2 * i + 1];
    if (s0 >= s1) continue;
    /* first + i * stride + s1 <= n_samples, without overflow. */
    if (s0 < 0 || (uint64_t)first > n_samples ||
        (i > 0 && (uint64_t)stride > ((uint64_t)n_samples - (uint64_t)first) / i) ||
        (uint64_t)first + (uint64_t)i * (uint64_t)stride + (uint64_t)s1 > n_samples) {
      napi_throw_range_error(env, NULL, "deltaCount: a row reaches outside the samples");
      return NULL;
    }
    counted += (double)(s1 - s0);
  }
  if (st == napi_uint16_array)
    count_rows_uint16_t((const uint16_t *)samples, (size_t)first, (size_t)stride, c, rows, (uint32_t *)counts);
  else
    count_rows_uint8_t((const uint8_t *)samples, (size_t)first, (size_t)stride, c, rows, (uint32_t *)counts);
  napi_value out;
  napi_create_double(env, counted, &out);
  return out;
}
