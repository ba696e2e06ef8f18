/* libFuzzer harness for the core's arm64 Image header parser
 * (core/src/kernel_info.c), compiled in unchanged: the file is #included,
 * so its static parse() and its once-only cache are the shipped ones.
 *
 * Input: the start of a decoded kernel payload. Stubs of the three
 * functions kernel_info.c calls stand in for the rest of the core:
 * smk_decode_prefix() hands out the input as the payload's decoded bytes
 * (SMK_ERR_SIZE when it is shorter than asked, as decode.c does), and
 * smk_kernel_get_info() is called the way the library's users call it,
 * its cache reset before each input. The result is checked against the
 * header layout of Documentation/arch/arm64/booting.rst, read here on its
 * own: accepted exactly when at least 64 bytes with "ARM\x64" at 56, the
 * three fields little-endian at 8, 16 and 24, the release the build's, the
 * result cached; a refusal is SMK_ERR_NOT_IMAGE, leaves *out alone and is
 * not cached. */
#include "kernel_info.c"

#include "fuzz_common.h"

static const uint8_t *input;
static size_t input_len;
static unsigned decode_calls;
static struct smk_payload kernel_payload;
static const char release[] = "6.12.0-fuzz";

const struct smk_payload *smk_payload_get(smk_asset asset)
{
    REQUIRE(asset == SMK_ASSET_KERNEL);
    return &kernel_payload;
}

int smk_decode_prefix(const struct smk_payload *p, unsigned char *out, size_t len)
{
    REQUIRE(p == &kernel_payload);
    decode_calls++;
    if (len > input_len)
        return SMK_ERR_SIZE;
    if (len > 0)
        memcpy(out, input, len);
    return 0;
}

const char *smk_kernel_release(void)
{
    return release;
}

static uint64_t field(const uint8_t *d, size_t off)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v |= (uint64_t)d[off + i] << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const smk_kernel_info sentinel;
    const smk_kernel_info *out = &sentinel;

    input = data;
    input_len = size;
    decode_calls = 0;
    __atomic_store_n(&ready, 0, __ATOMIC_RELEASE);
    memset(&info, 0, sizeof info);

    int expect_ok = size >= 64 && memcmp(data + 56, "ARM\x64", 4) == 0;
    int rc = smk_kernel_get_info(&out);
    fuzz_expect(rc == 0, rc ? "not an Image header" : NULL);
    REQUIRE(decode_calls == 1);
    if (!expect_ok) {
        REQUIRE(rc == SMK_ERR_NOT_IMAGE);
        REQUIRE(out == &sentinel);
        /* Not cached: the next call parses again. */
        REQUIRE(smk_kernel_get_info(&out) == SMK_ERR_NOT_IMAGE);
        REQUIRE(decode_calls == 2 && out == &sentinel);
        return 0;
    }
    REQUIRE(rc == 0);
    REQUIRE(out == &info);
    REQUIRE(out->text_offset == field(data, 8));
    REQUIRE(out->image_size == field(data, 16));
    REQUIRE(out->flags == field(data, 24));
    REQUIRE(out->release == release);
    /* Cached: another call decodes nothing, even with the input gone. */
    input = NULL;
    input_len = 0;
    const smk_kernel_info *again = NULL;
    REQUIRE(smk_kernel_get_info(&again) == 0);
    REQUIRE(again == out && decode_calls == 1);
    REQUIRE(smk_kernel_get_info(NULL) == -EINVAL);
    return 0;
}
