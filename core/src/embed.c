/*
 * The payloads' bytes, pulled into read-only data by the assembler's
 * .incbin from the paths the generated header names.
 *
 * Top-level asm in a C file rather than a .S file so that every build
 * system that compiles C (cgo, setuptools, node-gyp, CMake) can build it.
 * The assembler reads the payload files, so build tools that do not track
 * .incbin must rebuild this file when a payload changes: the generated
 * header carries each payload's SHA-256, so its text changes with them.
 */
#include "smk_payloads.h"

#ifndef SMK_PAYLOADS_EXTERNAL  /* else payload_files.c maps the files */

#if defined(__APPLE__)
#  define SMK_SYM_(name) "_" #name
#  define SMK_SECTION ".const\n"
#  define SMK_HIDE(sym) ".private_extern " sym "\n"
#  define SMK_TYPE(sym)
#  define SMK_END_SECTION ".text\n"
#else
#  define SMK_SYM_(name) #name
#  define SMK_SECTION ".section .rodata.smk_payloads,\"a\"\n"
#  define SMK_HIDE(sym) ".hidden " sym "\n"
#  define SMK_TYPE(sym) ".type " sym ", %object\n"
#  define SMK_END_SECTION ".previous\n"
#endif
#define SMK_SYM(name) SMK_SYM_(name)

/* Raw payloads (build-time overrides) are handed out in place by
 * smk_asset_bytes, which promises page alignment, so every payload starts
 * on a 16 KiB boundary, the largest page size of the hosts we run on. */
#define SMK_EMBED(start, end, path)                                \
	__asm__(SMK_SECTION                                        \
	        ".p2align 14\n"                                    \
	        ".globl " SMK_SYM(start) "\n"                      \
	        SMK_HIDE(SMK_SYM(start)) SMK_TYPE(SMK_SYM(start))  \
	        SMK_SYM(start) ":\n"                               \
	        ".incbin \"" path "\"\n"                           \
	        ".globl " SMK_SYM(end) "\n"                        \
	        SMK_HIDE(SMK_SYM(end))                             \
	        SMK_SYM(end) ":\n"                                 \
	        SMK_END_SECTION)

#define SMK_EMBED_PAYLOAD(ID, ARCH, KIND)                               \
	SMK_EMBED(smk_blob_##ID, smk_blob_##ID##_end, SMK_PAYLOAD_##ID##_BLOB);
SMK_PAYLOADS(SMK_EMBED_PAYLOAD)
#else
typedef int smk_embed_unused; /* ISO C wants a declaration here */
#endif
