/*
 * skope_inflate: zlib-stream (TIFF DEFLATE) decompression with libdeflate, into a caller's buffer; and (count.c)
 * the counting loop that follows it in an extraction.
 *
 * Why by hand: DEFLATE inflation is most of the CPU of a timeseries extraction over DEFLATE COGs, and Node's zlib
 * inflates at about half libdeflate's rate (measured on this project's 256x256 UInt32 blocks: ~420 vs ~900 MB/s
 * of output). GDAL uses libdeflate for the same blocks. No maintained npm package binds libdeflate natively, so this
 * is a minimal N-API binding (a whole-stream inflate, its thread-pool twin and a head-only inflate; N-API is
 * ABI-stable, so one build serves Node 20, 22 and 24, and it is
 * context-aware, so worker threads load it too).
 *
 * zlibInflate(src: Uint8Array, dst: Uint8Array): number
 *   decompresses the whole zlib stream `src` into `dst`; returns the bytes written, or -1 when the stream decodes
 *   to more than dst.length bytes (the caller then takes its prefix another way). Throws on a corrupt stream.
 * zlibInflateAsync(src: Uint8Array, dst: Uint8Array): Promise<number>
 *   the same on libuv's thread pool (large blocks: several inflate in parallel and the event loop stays free).
 *   The caller must not touch `src` or `dst` until the promise settles.
 * zlibInflateHead(src: Uint8Array, dst: Uint8Array, need: number): number
 *   decompresses the whole stream `src` (all of it: a truncated stream is not allowed) until `dst` is full, and
 *   returns how many leading bytes of `dst` are known to hold the stream's first bytes: the bytes written when the
 *   stream fit, `need` when it did not but its first `need` bytes certainly were written, or -1 when that cannot be
 *   told (the caller inflates the whole stream instead). Throws on a corrupt stream.
 *   Why: libdeflate has no streaming interface, and an extraction whose window ends in the top rows of a block needs
 *   only those rows (measured: 176 of 256 rows of the benchmark cube's blocks inflate in ~0.76 of the whole block's
 *   time). libdeflate does not say how far it got when the output is full, so HEAD_MARGIN bytes past `need` hold a
 *   canary: see zlib_inflate_head.
 */
#include <libdeflate.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "count.h"

static void free_decompressor(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  libdeflate_free_decompressor((struct libdeflate_decompressor *)data);
}

static int view(napi_env env, napi_value v, void **data, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, data, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *len = length;
  return 1;
}

/* The (src, dst) arguments of both inflates; throws a TypeError naming `usage` and returns 0 when they are not two
 * Uint8Arrays. */
static int src_dst(napi_env env, napi_callback_info info, const char *usage, napi_value argv[2], void **src,
                   size_t *src_len, void **dst, size_t *dst_len) {
  size_t argc = 2;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !view(env, argv[0], src, src_len) || !view(env, argv[1], dst, dst_len)) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

/* This thread's decompressor (one per Node environment, so per worker thread), or NULL after throwing. */
static struct libdeflate_decompressor *decompressor(napi_env env) {
  struct libdeflate_decompressor *d = NULL;
  napi_get_instance_data(env, (void **)&d);
  if (d == NULL) {
    d = libdeflate_alloc_decompressor();
    if (d == NULL) {
      napi_throw_error(env, NULL, "libdeflate: out of memory");
      return NULL;
    }
    napi_set_instance_data(env, d, free_decompressor, NULL);
  }
  return d;
}

/* What a synchronous inflate answers: `written` when the stream fit, `full` when the buffer filled first; throws on a
 * corrupt stream. */
static napi_value answer(napi_env env, enum libdeflate_result r, double written, double full) {
  napi_value out;
  if (r == LIBDEFLATE_SUCCESS || r == LIBDEFLATE_INSUFFICIENT_SPACE) {
    napi_create_double(env, r == LIBDEFLATE_SUCCESS ? written : full, &out);
    return out;
  }
  napi_throw_error(env, NULL, "DEFLATE stream is corrupt (libdeflate: bad data)");
  return NULL;
}

static napi_value zlib_inflate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *src, *dst;
  size_t src_len, dst_len;
  if (!src_dst(env, info, "zlibInflate(src: Uint8Array, dst: Uint8Array)", argv, &src, &src_len, &dst, &dst_len))
    return NULL;
  struct libdeflate_decompressor *d = decompressor(env);
  if (d == NULL) return NULL;
  size_t written = 0;
  enum libdeflate_result r = libdeflate_zlib_decompress(d, src, src_len, dst, dst_len, &written);
  return answer(env, r, (double)written, -1.0);
}

/*
 * How zlib_inflate_head knows the first `need` bytes were written although libdeflate stopped with a full buffer.
 * libdeflate writes its output front to back and gives up at the first literal, match or stored block that would
 * not fit; DEFLATE matches are at most 258 bytes and a stored block at most 65 535, and its fast loop may write up to
 * 299 bytes past its position (FASTLOOP_MAX_BYTES_WRITTEN on 64-bit builds) before catching up, never past the
 * buffer. With the buffer `need + HEAD_MARGIN` long and a canary at [need + OVERWRITE, + CANARY):
 * - it stopped in a Huffman block: its position was past the end minus 258, beyond the canary, so every byte
 *   before it, canary included, was written with real output;
 * - a byte of the canary changed: something was written there, so the position reached at least
 *   need + OVERWRITE - 299 > need: the first `need` bytes are final.
 * So a changed canary proves the head; an intact one (a stored block too long for the rest, or output that happens
 * to equal the canary) proves nothing and the caller inflates the whole stream. tests: inflate.head.test.ts.
 */
#define HEAD_OVERWRITE 512
#define HEAD_CANARY 8
#define HEAD_MARGIN (HEAD_OVERWRITE + HEAD_CANARY + 258)
static const uint8_t CANARY[HEAD_CANARY] = {0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0x0f, 0xf0};

static napi_value zlib_inflate_head(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *src, *dst;
  size_t src_len, dst_len;
  double need_d;
  if (argc < 3 || !view(env, argv[0], &src, &src_len) || !view(env, argv[1], &dst, &dst_len) ||
      napi_get_value_double(env, argv[2], &need_d) != napi_ok || !(need_d >= 0) || need_d != (double)(size_t)need_d ||
      need_d > (double)dst_len) {
    napi_throw_type_error(env, NULL, "zlibInflateHead(src: Uint8Array, dst: Uint8Array, need: 0 <= integer <= dst.length)");
    return NULL;
  }
  size_t need = (size_t)need_d;
  struct libdeflate_decompressor *d = decompressor(env);
  if (d == NULL) return NULL;
  uint8_t *out = (uint8_t *)dst;
  int guarded = dst_len >= need + HEAD_MARGIN;
  if (guarded) memcpy(out + need + HEAD_OVERWRITE, CANARY, HEAD_CANARY);
  size_t written = 0;
  enum libdeflate_result r = libdeflate_zlib_decompress(d, src, src_len, dst, dst_len, &written);
  int proven = r == LIBDEFLATE_INSUFFICIENT_SPACE && guarded &&
               memcmp(out + need + HEAD_OVERWRITE, CANARY, HEAD_CANARY) != 0;
  return answer(env, r, (double)written, proven ? (double)need : -1.0);
}

/* One inflate on the thread pool: its own decompressor (they are not shared across threads), references that keep
 * both buffers alive until it completes. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref src_ref, dst_ref;
  void *src, *dst;
  size_t src_len, dst_len, written;
  enum libdeflate_result result;
  int oom;
} job_t;

static void job_execute(napi_env env, void *data) {
  (void)env;
  job_t *job = (job_t *)data;
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  if (d == NULL) {
    job->oom = 1;
    return;
  }
  job->result = libdeflate_zlib_decompress(d, job->src, job->src_len, job->dst, job->dst_len, &job->written);
  libdeflate_free_decompressor(d);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  job_t *job = (job_t *)data;
  napi_value value;
  if (status != napi_ok || job->oom) {
    napi_value msg;
    napi_create_string_utf8(env, job->oom ? "libdeflate: out of memory" : "libdeflate: the inflate was cancelled",
                            NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &value);
    napi_reject_deferred(env, job->deferred, value);
  } else if (job->result == LIBDEFLATE_SUCCESS) {
    napi_create_double(env, (double)job->written, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else if (job->result == LIBDEFLATE_INSUFFICIENT_SPACE) {
    napi_create_int32(env, -1, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    napi_value msg;
    napi_create_string_utf8(env, "DEFLATE stream is corrupt (libdeflate: bad data)", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &value);
    napi_reject_deferred(env, job->deferred, value);
  }
  napi_delete_reference(env, job->src_ref);
  napi_delete_reference(env, job->dst_ref);
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value zlib_inflate_async(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *src, *dst;
  size_t src_len, dst_len;
  if (!src_dst(env, info, "zlibInflateAsync(src: Uint8Array, dst: Uint8Array)", argv, &src, &src_len, &dst,
               &dst_len))
    return NULL;
  job_t *job = (job_t *)calloc(1, sizeof(job_t));
  if (job == NULL) {
    napi_throw_error(env, NULL, "libdeflate: out of memory");
    return NULL;
  }
  job->src = src;
  job->src_len = src_len;
  job->dst = dst;
  job->dst_len = dst_len;
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_reference(env, argv[0], 1, &job->src_ref);
  napi_create_reference(env, argv[1], 1, &job->dst_ref);
  napi_create_string_utf8(env, "skope_inflate", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "zlibInflate", NAPI_AUTO_LENGTH, zlib_inflate, NULL, &fn);
  napi_set_named_property(env, exports, "zlibInflate", fn);
  napi_create_function(env, "zlibInflateAsync", NAPI_AUTO_LENGTH, zlib_inflate_async, NULL, &fn);
  napi_set_named_property(env, exports, "zlibInflateAsync", fn);
  napi_create_function(env, "zlibInflateHead", NAPI_AUTO_LENGTH, zlib_inflate_head, NULL, &fn);
  napi_set_named_property(env, exports, "zlibInflateHead", fn);
  napi_create_function(env, "deltaCount", NAPI_AUTO_LENGTH, skope_delta_count, NULL, &fn);
  napi_set_named_property(env, exports, "deltaCount", fn);
  return exports;
}
