/*
 * The Node-API addon over the C core: shared declarations.
 *
 * Hand-written C over Node-API rather than SWIG's -napi backend: that
 * backend emits C++ over node-addon-api, needs C++ exceptions and makes
 * synchronous calls only, while everything here that touches the disk must
 * run on the libuv pool (napi_create_async_work), which would be written
 * by hand anyway.  Plain C keeps one toolchain (the core's) and the ABI
 * stable across Node versions (Node-API 8: Node 18 and later).
 *
 * The addon is thin: it hands the core's results (0 or a negative code,
 * and per-asset codes) to lib/, which turns them into fs-like errors.
 */
#ifndef SMK_NODE_ADDON_H
#define SMK_NODE_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>

#include "supermachine_kernel.h"

/* Returns from the calling function with NULL (a pending JS exception)
 * when a Node-API call fails. */
#define SMK_NAPI(env, call)                                   \
	do {                                                  \
		if ((call) != napi_ok) {                      \
			smk_node_throw_last(env);             \
			return NULL;                          \
		}                                             \
	} while (0)

/* Throws the last Node-API error as a JS Error, unless one is pending. */
void smk_node_throw_last(napi_env env);

/* Copies a path argument (a string, as UTF-8, or a Buffer, as its bytes)
 * into a malloc'd NUL-terminated string.  lib/ has checked its type and
 * that it holds no NUL.  NULL with a JS exception pending on failure. */
char *smk_node_path_arg(napi_env env, napi_value value);

/* An optional architecture argument: 0 with *out NULL for undefined or
 * null (the default architecture), or *out a malloc'd copy of the string;
 * -1 with a TypeError pending for another type. */
int smk_node_arch_arg(napi_env env, napi_value value, char **out);

/* Reads an integer argument; 0, or -1 with a TypeError pending. */
int smk_node_int_arg(napi_env env, napi_value value, int *out);

/* The operations of jobs.c, run synchronously or on the libuv pool. */
napi_value smk_node_run(napi_env env, napi_callback_info info);
napi_value smk_node_run_async(napi_env env, napi_callback_info info);

#endif
