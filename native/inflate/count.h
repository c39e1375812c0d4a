/* The counting kernel of count.c, registered by inflate.c's module initialiser. */
#ifndef SKOPE_COUNT_H
#define SKOPE_COUNT_H
#include <node_api.h>

napi_value skope_delta_count(napi_env env, napi_callback_info info);

#endif
