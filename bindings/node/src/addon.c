/*
 * Module registration and the operations that do not touch the disk:
 * descriptions, versions, error texts, the decoded bytes.
 */
#include "addon.h"

#include "smk_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void smk_node_throw_last(napi_env env)
{
	const napi_extended_error_info *info = NULL;
	bool pending = false;
	if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
		return;
	napi_get_last_error_info(env, &info);
	napi_throw_error(env, NULL,
	                 info && info->error_message ? info->error_message
	                                             : "Node-API call failed");
}

int smk_node_int_arg(napi_env env, napi_value value, int *out)
{
	int32_t v;
	if (napi_get_value_int32(env, value, &v) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected an integer");
		return -1;
	}
	*out = v;
	return 0;
}

char *smk_node_path_arg(napi_env env, napi_value value)
{
	bool is_buffer = false;
	size_t len = 0;
	char *out;

	if (napi_is_buffer(env, value, &is_buffer) != napi_ok) {
		smk_node_throw_last(env);
		return NULL;
	}
	if (is_buffer) {
		void *data = NULL;
		if (napi_get_buffer_info(env, value, &data, &len) != napi_ok) {
			smk_node_throw_last(env);
			return NULL;
		}
		out = malloc(len + 1);
		if (out) {
			if (len)
				memcpy(out, data, len);
			out[len] = '\0';
		}
	} else {
		if (napi_get_value_string_utf8(env, value, NULL, 0, &len) !=
		    napi_ok) {
			napi_throw_type_error(env, NULL,
			                      "expected a string or a Buffer");
			return NULL;
		}
		out = malloc(len + 1);
		if (out)
			napi_get_value_string_utf8(env, value, out, len + 1,
			                           &len);
	}
	if (!out)
		napi_throw_error(env, "ENOMEM", "out of memory");
	return out;
}

/* ---- small value helpers ---------------------------------------------- */

static napi_value int_value(napi_env env, int64_t v)
{
	napi_value out;
	SMK_NAPI(env, napi_create_int64(env, v, &out));
	return out;
}

static napi_value string_value(napi_env env, const char *s)
{
	napi_value out;
	if (!s) {
		SMK_NAPI(env, napi_get_null(env, &out));
		return out;
	}
	SMK_NAPI(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out));
	return out;
}

static napi_value bool_value(napi_env env, int v)
{
	napi_value out;
	SMK_NAPI(env, napi_get_boolean(env, v != 0, &out));
	return out;
}

/* Sets obj[name] = value; -1 (exception pending) on failure. */
static int set(napi_env env, napi_value obj, const char *name,
               napi_value value)
{
	if (!value)
		return -1;
	if (napi_set_named_property(env, obj, name, value) != napi_ok) {
		smk_node_throw_last(env);
		return -1;
	}
	return 0;
}

/* The single integer argument of a call (an asset or a code). */
static int one_int_arg(napi_env env, napi_callback_info info, int *out)
{
	size_t argc = 1;
	napi_value argv[1];
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
		smk_node_throw_last(env);
		return -1;
	}
	if (argc < 1) {
		napi_throw_type_error(env, NULL, "missing argument");
		return -1;
	}
	return smk_node_int_arg(env, argv[0], out);
}

/* ---- exported functions ----------------------------------------------- */

/* attachPayloads(dir) -> 0 or a negative code */
static napi_value attach_payloads(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	char *dir;
	int rc;
	SMK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1) {
		napi_throw_type_error(env, NULL, "missing argument");
		return NULL;
	}
	dir = smk_node_path_arg(env, argv[0]);
	if (!dir)
		return NULL;
	rc = smk_payloads_attach_dir(dir);
	free(dir);
	return int_value(env, rc);
}

/* assetInfo(asset) -> {name, fileName, arch, sha256, size, mode,
 * compressed, embeddedSize} or null */
static napi_value asset_info(napi_env env, napi_callback_info info)
{
	const smk_asset_info *a;
	napi_value out;
	int asset;
	if (one_int_arg(env, info, &asset))
		return NULL;
	a = smk_asset_get_info((smk_asset)asset);
	if (!a) {
		SMK_NAPI(env, napi_get_null(env, &out));
		return out;
	}
	SMK_NAPI(env, napi_create_object(env, &out));
	if (set(env, out, "name", string_value(env, a->name)) ||
	    set(env, out, "fileName", string_value(env, a->file_name)) ||
	    set(env, out, "arch", string_value(env, a->arch)) ||
	    set(env, out, "sha256", string_value(env, a->sha256)) ||
	    set(env, out, "size", int_value(env, (int64_t)a->size)) ||
	    set(env, out, "mode", int_value(env, a->mode)) ||
	    set(env, out, "compressed", bool_value(env, a->compressed)) ||
	    set(env, out, "embeddedSize",
	        int_value(env, (int64_t)a->embedded_size)))
		return NULL;
	return out;
}

/* assetBytes(asset) -> a new Buffer holding the decoded asset, or a
 * negative code.  Decoded straight into the Buffer's own memory (on all
 * cores): no second copy, and the Buffer is an ordinary one that the
 * JavaScript side may keep or drop. */
static napi_value asset_bytes(napi_env env, napi_callback_info info)
{
	struct smk_decode_target t;
	const struct smk_payload *p;
	napi_value out;
	void *mem = NULL;
	int asset, rc;

	if (one_int_arg(env, info, &asset))
		return NULL;
	p = smk_payload_get((smk_asset)asset);
	if (!p)
		return int_value(env, -EINVAL);
	SMK_NAPI(env, napi_create_buffer(env, (size_t)p->info.size, &mem, &out));
	memset(&t, 0, sizeof t);
	t.payload = p;
	t.mode = SMK_DECODE_MEMORY;
	t.fd = -1;
	t.mem = mem;
	rc = smk_decode(&t, 1);
	return rc ? int_value(env, rc) : out;
}

/* kernelInfo() -> {textOffset, imageSize, flags, release} or a code */
static napi_value kernel_info(napi_env env, napi_callback_info info)
{
	const smk_kernel_info *k = NULL;
	napi_value out;
	int rc;
	(void)info;
	rc = smk_kernel_get_info(&k);
	if (rc)
		return int_value(env, rc);
	SMK_NAPI(env, napi_create_object(env, &out));
	if (set(env, out, "textOffset", int_value(env, (int64_t)k->text_offset)) ||
	    set(env, out, "imageSize", int_value(env, (int64_t)k->image_size)) ||
	    set(env, out, "flags", int_value(env, (int64_t)k->flags)) ||
	    set(env, out, "release", string_value(env, k->release)))
		return NULL;
	return out;
}

/* defaultDir() -> the directory, or a code */
static napi_value default_dir(napi_env env, napi_callback_info info)
{
	char small[512];
	char *buf = small;
	napi_value out;
	int rc;
	(void)info;
	rc = smk_default_dir(small, sizeof small);
	if (rc == -ERANGE) {
		buf = malloc(65536);
		if (!buf)
			return int_value(env, -ENOMEM);
		rc = smk_default_dir(buf, 65536);
	}
	out = rc < 0 ? int_value(env, rc) : string_value(env, buf);
	if (buf != small)
		free(buf);
	return out;
}

static napi_value str_error(napi_env env, napi_callback_info info)
{
	int code;
	if (one_int_arg(env, info, &code))
		return NULL;
	return string_value(env, smk_strerror(code));
}

static napi_value error_name(napi_env env, napi_callback_info info)
{
	int code;
	if (one_int_arg(env, info, &code))
		return NULL;
	return string_value(env, smk_error_name(code));
}

/* ---- registration ------------------------------------------------------ */

static int set_ops(napi_env env, napi_value exports)
{
	static const char *const names[] = {
		"EXTRACT", "EXTRACT_WITH_PARENTS", "VERIFY_FILE",
		"EXTRACT_ALL", "ENSURE", "VERIFY",
	};
	napi_value ops;
	if (napi_create_object(env, &ops) != napi_ok)
		return -1;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (set(env, ops, names[i], int_value(env, i)))
			return -1;
	return set(env, exports, "ops", ops);
}

/* node_api.h's macro defines its two entry points without prototypes. */
#if defined(__GNUC__)
#  pragma GCC diagnostic ignored "-Wmissing-prototypes"
#endif
NAPI_MODULE_INIT()
{
	static const struct {
		const char *name;
		napi_callback fn;
	} functions[] = {
		{ "attachPayloads", attach_payloads },
		{ "assetInfo", asset_info },
		{ "assetBytes", asset_bytes },
		{ "kernelInfo", kernel_info },
		{ "defaultDir", default_dir },
		{ "strerror", str_error },
		{ "errorName", error_name },
		{ "run", smk_node_run },
		{ "runAsync", smk_node_run_async },
	};
	napi_value fn;

	for (unsigned i = 0; i < sizeof functions / sizeof functions[0]; i++) {
		SMK_NAPI(env, napi_create_function(env, functions[i].name,
		                                   NAPI_AUTO_LENGTH,
		                                   functions[i].fn, NULL, &fn));
		if (set(env, exports, functions[i].name, fn))
			return NULL;
	}
	if (set(env, exports, "assetCount", int_value(env, SMK_ASSET_COUNT)) ||
	    set(env, exports, "notAttempted",
	        int_value(env, SMK_NOT_ATTEMPTED)) ||
	    set(env, exports, "version",
	        string_value(env, smk_version_string())) ||
	    set(env, exports, "versionNumber",
	        int_value(env, smk_version_number())) ||
	    set(env, exports, "kernelRelease",
	        string_value(env, smk_kernel_release())) ||
	    set_ops(env, exports))
		return NULL;
	return exports;
}
