/*
 * smk_common.i - the language-neutral part of the SWIG interface to
 * supermachine_kernel.h: which declarations are wrapped and under which
 * names.  A language module (python.i here) defines its typemaps first and
 * then %includes this file, so another SWIG binding can reuse it as is.
 *
 * SPDX-License-Identifier: Apache-2.0
 */

/* smk_asset_extract_to -> asset_extract_to, SMK_ERR_SIZE -> ERR_SIZE. */
%rename("%(regex:/^(smk_|SMK_)(.*)/\\2/)s") "";

/* The structures are returned as plain values by each language's typemaps
 * (see python.i), never as wrapped C objects, so bindings own no C memory. */
%ignore smk_asset_info;
%ignore smk_kernel_info;

/* The seed's pointer accessors give no length and no error code; bindings
 * use smk_asset_bytes, which gives both. */
%ignore smk_kernel_bytes;
%ignore smk_init_oci_bytes;
%ignore smk_supermachine_agent_bytes;

/* Deprecated aliases: each binding provides its own, with its language's
 * deprecation mechanism, over smk_extract_kernel_to[_with_parents]. */
%ignore smk_extract_to;
%ignore smk_extract_to_with_parents;

/* Helpers of the header, not API. */
%ignore SMK_STRINGIFY;
%ignore SMK_STRINGIFY_;

%{
#include "supermachine_kernel.h"
%}

/* SWIG's preprocessor is neither GCC nor C++, so SMK_API and SMK_DEPRECATED
 * expand to nothing here. */
%include "supermachine_kernel.h"
