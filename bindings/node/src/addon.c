/*
 * Module registration and the operations that do not touch the disk:
 * the architectures, descriptions, versions, error texts, the decoded
 * bytes.  Assets are the core's smk_asset values (0 .. assetTotal-1: the
 * default architecture's set first, then the others'), architectures the
 * names the core takes (null: the default one).
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

int smk_node_arch_arg(napi_env env, napi_value value, char **out)
{
	napi_valuetype type;
	size_t len = 0;

	*out = NULL;
	if (!value)
		return 0;
	if (napi_typeof(env, value, &type) != napi_ok) {
		smk_node_throw_last(env);
		return -1;
	}
	if (type == napi_undefined || type == napi_null)
		return 0;
	if (type != napi_string ||
	    napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
		napi_throw_type_error(env, NULL,
		                      "expected an architecture name or null");
		return -1;
	}
	*out = malloc(len + 1);
	if (!*out) {
		napi_throw_error(env, "ENOMEM", "out of memory");
		return -1;
	}
	napi_get_value_string_utf8(env, value, *out, len + 1, &len);
	return 0;
}

/* ---- small value helpers ---------------------------------------------- */

static napi_value int_value(napi_env env, int64_t v)
{
	napi_value out;
	SMK_NAPI(env, napi_create_int64(env, v, &out));
	return out;
}

/* A 64-bit field as a number, as the package gives sizes: exact up to
 * 2^53 (every value of the kernels the package embeds is below that; the
 * tests check). */
static napi_value u64_value(napi_env env, uint64_t v)
{
	napi_value out;
	SMK_NAPI(env, napi_create_double(env, (double)v, &out));
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

/* The first argument of a call as an optional architecture name: 0 with
 * *out NULL (absent, undefined or null: the default) or a malloc'd string,
 * or -1 with a JS exception pending. */
static int arch_first_arg(napi_env env, napi_callback_info info, char **out)
{
	size_t argc = 1;
	napi_value argv[1];
	*out = NULL;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
		smk_node_throw_last(env);
		return -1;
	}
	return smk_node_arch_arg(env, argc >= 1 ? argv[0] : NULL, out);
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

/* assetFind(arch | null, kind) -> the smk_asset value of that
 * architecture's asset of that kind, or a negative code (SMK_ERR_NO_ARCH,
 * -EINVAL) */
static napi_value asset_find(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	char *arch;
	int kind, rc;
	SMK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2) {
		napi_throw_type_error(env, NULL, "expected (arch, kind)");
		return NULL;
	}
	if (smk_node_int_arg(env, argv[1], &kind) ||
	    smk_node_arch_arg(env, argv[0], &arch))
		return NULL;
	rc = smk_asset_find(arch, (smk_asset)kind);
	free(arch);
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
	    set(env, out, "size", u64_value(env, a->size)) ||
	    set(env, out, "mode", int_value(env, a->mode)) ||
	    set(env, out, "compressed", bool_value(env, a->compressed)) ||
	    set(env, out, "embeddedSize",
	        u64_value(env, a->embedded_size)))
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

/* kernelInfo(arch | null) -> {arch, format, release, textOffset,
 * imageSize, flags, entry, pvhEntry, loadAddress} or a code */
static napi_value kernel_info(napi_env env, napi_callback_info info)
{
	const smk_kernel_info *k = NULL;
	napi_value out;
	char *arch;
	int rc;
	if (arch_first_arg(env, info, &arch))
		return NULL;
	rc = smk_kernel_get_info_for(arch, &k);
	free(arch);
	if (rc)
		return int_value(env, rc);
	SMK_NAPI(env, napi_create_object(env, &out));
	if (set(env, out, "arch", string_value(env, k->arch)) ||
	    set(env, out, "format", string_value(env, k->format)) ||
	    set(env, out, "release", string_value(env, k->release)) ||
	    set(env, out, "textOffset", u64_value(env, k->text_offset)) ||
	    set(env, out, "imageSize", u64_value(env, k->image_size)) ||
	    set(env, out, "flags", u64_value(env, k->flags)) ||
	    set(env, out, "entry", u64_value(env, k->entry)) ||
	    set(env, out, "pvhEntry", u64_value(env, k->pvh_entry)) ||
	    set(env, out, "loadAddress", u64_value(env, k->load_address)))
		return NULL;
	return out;
}

/* defaultDir(arch | null) -> the directory, or a code */
static napi_value default_dir(napi_env env, napi_callback_info info)
{
	char small[512];
	char *buf = small, *arch;
	napi_value out;
	int rc;
	if (arch_first_arg(env, info, &arch))
		return NULL;
	rc = smk_default_dir_for(arch, small, sizeof small);
	if (rc == -ERANGE) {
		buf = malloc(65536);
		if (!buf) {
			free(arch);
			return int_value(env, -ENOMEM);
		}
		rc = smk_default_dir_for(arch, buf, 65536);
	}
	free(arch);
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
		{ "assetFind", asset_find },
		{ "assetInfo", asset_info },
		{ "assetBytes", asset_bytes },
		{ "kernelInfo", kernel_info },
		{ "defaultDir", default_dir },
		{ "strerror", str_error },
		{ "errorName", error_name },
		{ "run", smk_node_run },
		{ "runAsync", smk_node_run_async },
	};
	napi_value fn, archs;

	for (unsigned i = 0; i < sizeof functions / sizeof functions[0]; i++) {
		SMK_NAPI(env, napi_create_function(env, functions[i].name,
		                                   NAPI_AUTO_LENGTH,
		                                   functions[i].fn, NULL, &fn));
		if (set(env, exports, functions[i].name, fn))
			return NULL;
	}
	/* The embedded architectures, the default one first. */
	SMK_NAPI(env, napi_create_array_with_length(env, smk_arch_count(),
	                                            &archs));
	for (size_t i = 0; i < smk_arch_count(); i++) {
		napi_value name = string_value(env, smk_arch_name(i));
		if (!name)
			return NULL;
		SMK_NAPI(env, napi_set_element(env, archs, (uint32_t)i, name));
	}
	if (set(env, exports, "archs", archs) ||
	    set(env, exports, "defaultArch",
	        string_value(env, smk_default_arch())) ||
	    set(env, exports, "assetTotal",
	        int_value(env, (int64_t)smk_asset_total())) ||
	    set(env, exports, "assetCount", int_value(env, SMK_ASSET_COUNT)) ||
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
