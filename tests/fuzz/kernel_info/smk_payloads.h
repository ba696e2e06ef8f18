/* The generated header's part that core/src/kernel_info.c reads, for the
 * kernel_info_fuzz harness only (tests/fuzz/kernel_info_fuzz.c): one
 * architecture with one payload, the kernel the harness's stubs hand out.
 * Its directory comes before core/src on the harness's include path; the
 * build's real header (cmake/SmkPayloads.cmake) is never seen. */
#ifndef SMK_PAYLOADS_H
#define SMK_PAYLOADS_H

#define SMK_PAYLOAD_ARCH_COUNT 1
#define SMK_PAYLOAD_COUNT 1
#define SMK_PAYLOAD_ARCHS(X) X(FUZZ, "fuzz")
#define SMK_PAYLOADS(X) X(FUZZ_KERNEL, FUZZ, KERNEL)

#endif
