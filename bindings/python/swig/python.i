/*
 * python.i - the SWIG module behind the supermachine_kernel package:
 * supermachine_kernel._native, a C extension of plain functions.  The
 * package's Python layer (supermachine_kernel/__init__.py) builds the
 * idiomatic surface on it; nothing here is public API.
 *
 * What the typemaps do:
 *   - a path argument accepts str, bytes or os.PathLike, as os functions
 *     do (a NUL in it raises ValueError);
 *   - a negative return code raises: OSError(errno, strerror, filename) for
 *     -errno, which picks the subclass (FileNotFoundError, ...), and
 *     supermachine_kernel.PayloadError for SMK_ERR_* codes; on success the
 *     function returns None, or its output argument;
 *   - an architecture argument is None (the default architecture) or a
 *     str (a NUL in it raises ValueError; the core judges the name);
 *   - the *_each and *_set functions take only the directory (after the
 *     architecture, for *_set) and return each asset's code, a tuple in
 *     kind order (0, a negative code, or NOT_ATTEMPTED); they raise as the
 *     functions without _each do, and the exception carries that tuple as
 *     its `results` attribute;
 *   - smk_asset_find returns the asset value, or raises for its codes;
 *   - the structures come back as tuples;
 *   - the GIL is released around every call that can decode or touch the
 *     disk (threads="1"), and kept for the trivial accessors (%nothread).
 *
 * Built without proxy classes (-noproxy): there are none to wrap, and it
 * saves importing a generated .py file.  Compiles against the limited API
 * (SWIG >= 4.2) for an abi3 extension.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
%module(package="supermachine_kernel", threads="1") _native

%{
#include <errno.h>
#include <string.h>

#include "supermachine_kernel.h"

/* Raise the exception for a code returned by the core.  filename, if not
 * NULL, is the path as os.fspath() gave it (str or bytes); results, if not
 * NULL, becomes the exception's `results` attribute. */
static void smk_py_raise_with(int code, PyObject *filename, PyObject *results)
{
	PyObject *exc = NULL, *type = NULL;

	if (code < 0 && code > -4096) {
		/* OSError's constructor maps the errno to its subclass. */
		if (filename)
			exc = PyObject_CallFunction(PyExc_OSError, "isO", -code,
			                            smk_strerror(code), filename);
		else
			exc = PyObject_CallFunction(PyExc_OSError, "is", -code,
			                            smk_strerror(code));
	} else {
		/* Imported on the error path only: the package is loaded by
		 * then, since nothing calls into this module at import. */
		PyObject *mod = PyImport_ImportModule("supermachine_kernel._errors");
		PyObject *cls = mod ? PyObject_GetAttrString(mod, "PayloadError") : NULL;
		const char *name = smk_error_name(code);
		Py_XDECREF(mod);
		if (!cls)
			return;
		exc = PyObject_CallFunction(cls, "izsO", code, name,
		                            smk_strerror(code),
		                            filename ? filename : Py_None);
		Py_DECREF(cls);
	}
	if (!exc)
		return;
	if (results && PyObject_SetAttrString(exc, "results", results) < 0) {
		Py_DECREF(exc);
		return;
	}
	type = PyObject_Type(exc);
	PyErr_SetObject(type, exc);
	Py_DECREF(type);
	Py_DECREF(exc);
}

static void smk_py_raise(int code, PyObject *filename)
{
	smk_py_raise_with(code, filename, NULL);
}

/* A path argument as os functions take it: os.fspath(obj), a str encoded
 * with the file system encoding and error handler (ValueError("embedded
 * null byte") as os functions raise).  *fspath and *encoded receive new
 * references for the caller to release, even on failure.  Returns the
 * bytes, or NULL with an exception set. */
static char *smk_py_path(PyObject *obj, PyObject **fspath, PyObject **encoded)
{
	*fspath = PyOS_FSPath(obj);
	if (!*fspath)
		return NULL;
	if (!PyUnicode_FSConverter(*fspath, encoded))
		return NULL;
	return PyBytes_AsString(*encoded);
}

/* The per-asset codes of a *_each function, as a tuple of ints. */
static PyObject *smk_py_results(const int *results, size_t count)
{
	PyObject *tuple = PyTuple_New((Py_ssize_t)count);
	if (!tuple)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		PyObject *code = PyLong_FromLong(results[i]);
		if (!code || PyTuple_SetItem(tuple, (Py_ssize_t)i, code) < 0) {
			Py_DECREF(tuple);
			return NULL;
		}
	}
	return tuple;
}
%}

/* ---- Status codes ------------------------------------------------------
 * Every int the core returns is a status (smk_default_dir's length is
 * handled by its output typemap).  Functions with a path argument raise in
 * that argument's argout typemap, which knows the path; the others raise
 * here. */
%typemap(out) int {
	$result = SWIG_Py_Void();
}

%define SMK_RAISE_ON_ERROR(func)
%exception func {
	$action
	if (result < 0) {
		smk_py_raise(result, NULL);
		SWIG_fail;
	}
}
%enddef
SMK_RAISE_ON_ERROR(smk_asset_bytes)
SMK_RAISE_ON_ERROR(smk_kernel_get_info)
SMK_RAISE_ON_ERROR(smk_kernel_get_info_for)
SMK_RAISE_ON_ERROR(smk_default_dir)
SMK_RAISE_ON_ERROR(smk_default_dir_for)
SMK_RAISE_ON_ERROR(smk_asset_find)

/* smk_asset_find's int is an asset value, not a status (the %exception
 * above raises for the negative codes). */
%typemap(out) int smk_asset_find {
	$result = PyLong_FromLong($1);
}

/* ---- Architectures ------------------------------------------------------
 * None -> NULL (the default architecture); a str -> its UTF-8 bytes (lone
 * surrogates as the bytes they stand for, so a name from sys.argv reaches
 * the core unchanged, to be refused there).  Other types: TypeError. */
%typemap(in) const char *arch (PyObject *encoded = NULL) {
	if ($input == Py_None) {
		$1 = NULL;
	} else if (PyUnicode_Check($input)) {
		Py_ssize_t len = 0;
		char *bytes = NULL;
		encoded = PyUnicode_AsEncodedString($input, "utf-8", "surrogateescape");
		if (!encoded || PyBytes_AsStringAndSize(encoded, &bytes, &len) < 0)
			SWIG_fail;
		if ((size_t)len != strlen(bytes)) {
			PyErr_SetString(PyExc_ValueError, "embedded null character in architecture");
			SWIG_fail;
		}
		$1 = bytes;
	} else {
		PyErr_SetString(PyExc_TypeError, "architecture must be str or None");
		SWIG_fail;
	}
}
%typemap(freearg) const char *arch {
	Py_XDECREF(encoded$argnum);
}

/* ---- Paths ------------------------------------------------------------- */
%typemap(in) const char *path (PyObject *fspath = NULL, PyObject *encoded = NULL) {
	$1 = smk_py_path($input, &fspath, &encoded);
	if (!$1)
		SWIG_fail;
}
%typemap(freearg) const char *path {
	Py_XDECREF(fspath$argnum);
	Py_XDECREF(encoded$argnum);
}
%typemap(argout) const char *path {
	if (result < 0) {
		Py_XDECREF($result);
		$result = NULL;
		smk_py_raise(result, fspath$argnum);
		SWIG_fail;
	}
}
%apply const char *path { const char *dest, const char *dir };

/* ---- Output arguments -------------------------------------------------- */
/* smk_extract_all_to_each, smk_verify_each, smk_ensure_assets_each: (dir)
 * -> tuple of SMK_ASSET_COUNT codes (and smk_extract_set_to,
 * smk_ensure_set, smk_verify_set: (arch, dir) -> the same); on failure, the exception of the
 * path typemap above, carrying the tuple as `results`.  (Taking the three
 * arguments together overrides the path typemap for dir.) */
%typemap(in) (int *out_results, size_t count, const char *dir)
	(int results[SMK_ASSET_COUNT], PyObject *fspath = NULL, PyObject *encoded = NULL) {
	$1 = results;
	$2 = SMK_ASSET_COUNT;
	$3 = smk_py_path($input, &fspath, &encoded);
	if (!$3)
		SWIG_fail;
}
%typemap(freearg) (int *out_results, size_t count, const char *dir) {
	Py_XDECREF(fspath$argnum);
	Py_XDECREF(encoded$argnum);
}
%typemap(argout) (int *out_results, size_t count, const char *dir) {
	PyObject *codes = smk_py_results($1, $2);
	Py_XDECREF($result);
	$result = NULL;
	if (!codes)
		SWIG_fail;
	if (result < 0) {
		smk_py_raise_with(result, fspath$argnum, codes);
		Py_DECREF(codes);
		SWIG_fail;
	}
	$result = codes;
}

/* smk_asset_bytes -> bytes (a copy of the process-lifetime buffer). */
%typemap(in, numinputs=0) (const unsigned char **out_data, size_t *out_len)
	(const unsigned char *data = NULL, size_t len = 0) {
	/* SWIG declares the argument without the pointee's const. */
	$1 = ($1_ltype)&data;
	$2 = &len;
}
%typemap(argout) (const unsigned char **out_data, size_t *out_len) {
	Py_XDECREF($result);
	$result = PyBytes_FromStringAndSize((const char *)*$1, (Py_ssize_t)*$2);
	if (!$result)
		SWIG_fail;
}

/* smk_kernel_get_info, smk_kernel_get_info_for -> (text_offset,
 * image_size, flags, release, arch, format, entry, pvh_entry,
 * load_address): KernelInfo's fields, in its order. */
%typemap(in, numinputs=0) const smk_kernel_info **out
	(const smk_kernel_info *info = NULL) {
	$1 = ($1_ltype)&info;
}
%typemap(argout) const smk_kernel_info **out {
	Py_XDECREF($result);
	$result = Py_BuildValue("(KKKsssKKK)", (unsigned long long)(*$1)->text_offset,
	                        (unsigned long long)(*$1)->image_size,
	                        (unsigned long long)(*$1)->flags,
	                        (*$1)->release ? (*$1)->release : "",
	                        (*$1)->arch ? (*$1)->arch : "",
	                        (*$1)->format ? (*$1)->format : "",
	                        (unsigned long long)(*$1)->entry,
	                        (unsigned long long)(*$1)->pvh_entry,
	                        (unsigned long long)(*$1)->load_address);
	if (!$result)
		SWIG_fail;
}

/* smk_default_dir, smk_default_dir_for -> str. */
%typemap(in, numinputs=0) (char *out, size_t out_size) (char buf[4096]) {
	$1 = buf;
	$2 = sizeof buf;
}
%typemap(argout) (char *out, size_t out_size) {
	Py_XDECREF($result);
	$result = PyUnicode_DecodeFSDefault($1);
	if (!$result)
		SWIG_fail;
}

/* smk_asset_get_info -> (name, file_name, size, sha256, mode, arch,
 * compressed, embedded_size); an invalid asset raises ValueError. */
%typemap(out) const smk_asset_info * {
	if (!$1) {
		PyErr_SetString(PyExc_ValueError, "invalid asset");
		SWIG_fail;
	}
	$result = Py_BuildValue("(ssKsIsNK)", $1->name, $1->file_name,
	                        (unsigned long long)$1->size, $1->sha256,
	                        $1->mode, $1->arch,
	                        PyBool_FromLong($1->compressed),
	                        (unsigned long long)$1->embedded_size);
	if (!$result)
		SWIG_fail;
}

/* ---- The GIL ------------------------------------------------------------
 * Released around everything else; these return at once. */
%nothread smk_asset_get_info;
%nothread smk_asset_len;
%nothread smk_kernel_len;
%nothread smk_init_oci_len;
%nothread smk_supermachine_agent_len;
%nothread smk_kernel_release;
%nothread smk_strerror;
%nothread smk_error_name;
%nothread smk_version_number;
%nothread smk_version_string;
%nothread smk_default_dir;
%nothread smk_default_dir_for;
%nothread smk_arch_count;
%nothread smk_arch_name;
%nothread smk_default_arch;
%nothread smk_asset_total;
%nothread smk_asset_find;

%include "smk_common.i"
