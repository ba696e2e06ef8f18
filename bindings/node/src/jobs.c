/*
 * The operations that touch the disk: extract one asset, verify one file,
 * and the directory-wide ones with a result per asset.  A single asset's
 * smk_asset value says its architecture; the directory-wide operations
 * take one (an optional fourth argument, null for the default one) and
 * work on that architecture's set.  Each runs either on the calling thread
 * (the ...Sync functions of lib/) or on the libuv pool with a promise (the
 * async ones), through the same job_execute().
 */
#include "addon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum smk_node_op {
	OP_EXTRACT,             /* (asset, path) -> code */
	OP_EXTRACT_WITH_PARENTS,/* (asset, path) -> code */
	OP_VERIFY_FILE,         /* (asset, path) -> code */
	OP_EXTRACT_ALL,         /* (0, dir, arch) -> [code, per-asset codes...] */
	OP_ENSURE,              /* (0, dir, arch) -> [code, per-asset codes...] */
	OP_VERIFY,              /* (0, dir, arch) -> [code, per-asset codes...] */
	OP_COUNT
};

struct job {
	enum smk_node_op op;
	int asset;
	char *path;
	char *arch; /* NULL: the default architecture */
	int rc;
	int results[SMK_ASSET_COUNT];
	napi_deferred deferred;
	napi_async_work work;
};

static int op_has_results(enum smk_node_op op)
{
	return op >= OP_EXTRACT_ALL;
}

/* Runs on any thread; calls no Node-API function. */
static void job_execute(struct job *j)
{
	switch (j->op) {
	case OP_EXTRACT:
		j->rc = smk_asset_extract_to((smk_asset)j->asset, j->path);
		break;
	case OP_EXTRACT_WITH_PARENTS:
		j->rc = smk_asset_extract_to_with_parents((smk_asset)j->asset,
		                                          j->path);
		break;
	case OP_VERIFY_FILE:
		j->rc = smk_verify_file((smk_asset)j->asset, j->path);
		break;
	case OP_EXTRACT_ALL:
		j->rc = smk_extract_set_to(j->arch, j->results,
		                           SMK_ASSET_COUNT, j->path);
		break;
	case OP_ENSURE:
		j->rc = smk_ensure_set(j->arch, j->results, SMK_ASSET_COUNT,
		                       j->path);
		break;
	case OP_VERIFY:
		j->rc = smk_verify_set(j->arch, j->results, SMK_ASSET_COUNT,
		                       j->path);
		break;
	case OP_COUNT:
		j->rc = -EINVAL;
		break;
	}
}

static void job_free(struct job *j)
{
	if (j) {
		free(j->path);
		free(j->arch);
		free(j);
	}
}

/* The job's outcome as a JS value: its code, or [code, per-asset...]. */
static napi_value job_result(napi_env env, const struct job *j)
{
	napi_value out, v;
	SMK_NAPI(env, napi_create_int32(env, j->rc, &out));
	if (!op_has_results(j->op))
		return out;
	v = out;
	SMK_NAPI(env, napi_create_array_with_length(env, SMK_ASSET_COUNT + 1,
	                                            &out));
	SMK_NAPI(env, napi_set_element(env, out, 0, v));
	for (unsigned i = 0; i < SMK_ASSET_COUNT; i++) {
		SMK_NAPI(env, napi_create_int32(env, j->results[i], &v));
		SMK_NAPI(env, napi_set_element(env, out, i + 1, v));
	}
	return out;
}

/* (op, asset, path[, arch]) from the arguments into a new job; NULL with
 * a JS exception pending on failure. */
static struct job *job_from_args(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value argv[4];
	struct job *j;
	int op;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
		smk_node_throw_last(env);
		return NULL;
	}
	if (argc != 3 && argc != 4) {
		napi_throw_type_error(env, NULL,
		                      "expected (op, asset, path[, arch])");
		return NULL;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		napi_throw_error(env, "ENOMEM", "out of memory");
		return NULL;
	}
	if (smk_node_int_arg(env, argv[0], &op) ||
	    smk_node_int_arg(env, argv[1], &j->asset)) {
		job_free(j);
		return NULL;
	}
	if (op < 0 || op >= OP_COUNT) {
		napi_throw_range_error(env, NULL, "unknown operation");
		job_free(j);
		return NULL;
	}
	j->op = (enum smk_node_op)op;
	j->path = smk_node_path_arg(env, argv[2]);
	if (!j->path ||
	    smk_node_arch_arg(env, argc == 4 ? argv[3] : NULL, &j->arch)) {
		job_free(j);
		return NULL;
	}
	return j;
}

napi_value smk_node_run(napi_env env, napi_callback_info info)
{
	struct job *j = job_from_args(env, info);
	napi_value out;
	if (!j)
		return NULL;
	job_execute(j);
	out = job_result(env, j);
	job_free(j);
	return out;
}

static void async_execute(napi_env env, void *data)
{
	(void)env;
	job_execute(data);
}

static void async_complete(napi_env env, napi_status status, void *data)
{
	struct job *j = data;
	napi_value value = NULL;

	if (status == napi_ok) {
		value = job_result(env, j);
		if (value)
			napi_resolve_deferred(env, j->deferred, value);
	}
	if (status != napi_ok || !value) {
		/* Cancelled (the environment is going away) or out of memory
		 * building the result: reject with what is pending, if
		 * anything. */
		napi_value err = NULL;
		bool pending = false;
		if (napi_is_exception_pending(env, &pending) == napi_ok &&
		    pending)
			napi_get_and_clear_last_exception(env, &err);
		if (!err) {
			napi_value msg;
			napi_create_string_utf8(env, "operation cancelled",
			                        NAPI_AUTO_LENGTH, &msg);
			napi_create_error(env, NULL, msg, &err);
		}
		napi_reject_deferred(env, j->deferred, err);
	}
	napi_delete_async_work(env, j->work);
	job_free(j);
}

napi_value smk_node_run_async(napi_env env, napi_callback_info info)
{
	static const char *const names[OP_COUNT] = {
		"supermachine-kernel:extract",
		"supermachine-kernel:extract",
		"supermachine-kernel:verifyFile",
		"supermachine-kernel:extractAll",
		"supermachine-kernel:ensureAssets",
		"supermachine-kernel:verify",
	};
	struct job *j = job_from_args(env, info);
	napi_value promise, name;

	if (!j)
		return NULL;
	if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
	    napi_create_string_utf8(env, names[j->op], NAPI_AUTO_LENGTH,
	                            &name) != napi_ok ||
	    napi_create_async_work(env, NULL, name, async_execute,
	                           async_complete, j, &j->work) != napi_ok) {
		smk_node_throw_last(env);
		job_free(j);
		return NULL;
	}
	if (napi_queue_async_work(env, j->work) != napi_ok) {
		smk_node_throw_last(env);
		napi_delete_async_work(env, j->work);
		job_free(j);
		return NULL;
	}
	return promise;
}
