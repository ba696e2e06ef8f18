/* libFuzzer harness for the core's kernel description (core/src/
 * kernel_info.c), compiled in unchanged: the file is #included, so its
 * static parsers and its per-payload cache are the shipped ones. Its
 * smk_payloads.h is tests/fuzz/kernel_info/smk_payloads.h: one payload,
 * FUZZ_KERNEL, whose cache is parsed[0].
 *
 * Input: a whole decoded kernel payload. Stubs of what kernel_info.c calls
 * stand in for the rest of the core: smk_arch_slot() knows NULL, "" and
 * "fuzz"; smk_set_payload() and smk_payload_index() give the one payload,
 * whose info.size is the input's length; smk_decode_prefix() and
 * smk_decode_range() hand out the input's bytes, SMK_ERR_SIZE for a range
 * past info.size, as core/src/decode.c does. smk_kernel_get_info() is
 * called as the library's users call it, the cache reset before each input.
 *
 * The result is checked against the two formats read here on their own:
 *   - arm64 Image (Documentation/arch/arm64/booting.rst): accepted exactly
 *     when at least 64 bytes with "ARM\x64" at 56 (before any ELF test);
 *     text_offset, image_size, flags little-endian at 8, 16, 24; the rest 0.
 *   - x86_64 vmlinux: "\x7fELF", ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
 *     e_phentsize 56, 1..64 program headers all inside the input, and at
 *     least one PT_LOAD with p_memsz > 0; then entry = e_entry,
 *     load_address = the lowest such p_paddr, image_size = the highest
 *     p_paddr + p_memsz minus it, pvh_entry = the first "Xen" note of type
 *     18 (XEN_ELFNOTE_PHYS32_ENTRY) with descsz 4 or 8 (its value, LE) of
 *     the first PT_NOTE, in header order, that is 1 byte..1 MiB, inside
 *     the input and yields one that is not 0 (notes 4-byte aligned; the
 *     walk stops at a note that does not fit); text_offset, flags 0.
 * Both: release and arch those of the payload (the same pointers), format
 * "Image" or "ELF", *out the cache, and the result cached (later calls,
 * with or without an architecture's name, decode nothing). Only the header
 * [0, 64), the program header table and the PT_NOTE segments looked at
 * may be decoded. A refusal is SMK_ERR_NOT_IMAGE, leaves *out alone and is
 * not cached (the next call decodes again).
 *
 * Then each decode the parse made is failed in turn (SMK_ERR_CORRUPT): the
 * call returns that code, leaves *out alone, caches nothing, and the next
 * call gives the first result again.
 *
 * Known bug (kernel_info.c, parse_elf): `paddr + memsz` is not checked for
 * wrapping. A PT_LOAD that ends past 2^64 - 1 yields a load range that is
 * not the segments' (e.g. image_size smaller than a segment, or high < low
 * and an image_size near 2^64). Until that is fixed, such inputs ("span
 * wraps") may be accepted with any load_address/image_size, or refused;
 * everything else about them is checked. SMK_FUZZ_STRICT_SPAN=1 in the
 * environment demands the refusal instead, to reproduce the bug. */
#include "kernel_info.c"

#include "fuzz_common.h"

#if SMK_PAYLOAD_COUNT != 1
#error "tests/fuzz/kernel_info/smk_payloads.h must come before any other"
#endif

/* ---- the stubs ---------------------------------------------------------- */

static const char fuzz_arch[] = "fuzz";
static const char fuzz_release[] = "6.12.0-fuzz";
static struct smk_payload fuzz_payload = {
    { "kernel", "kernel", fuzz_arch, "", 0, 0644, 0, 0 }, NULL, 0 };

struct fz_range {
    uint64_t offset;
    uint64_t len;
};

#define FZ_MAX_DECODES 256
static const uint8_t *input;
static size_t input_len;
static struct fz_range decodes[FZ_MAX_DECODES];
static unsigned ndecodes;
static unsigned fail_at; /* 1-based: that decode fails; 0: none does */

int smk_arch_slot(const char *arch, size_t *out_slot)
{
    REQUIRE(out_slot != NULL);
    if (arch == NULL || arch[0] == '\0' || strcmp(arch, fuzz_arch) == 0) {
        *out_slot = 0;
        return 0;
    }
    return SMK_ERR_NO_ARCH;
}

const struct smk_payload *smk_set_payload(size_t slot, int kind)
{
    REQUIRE(slot == 0 && kind == SMK_ASSET_KERNEL);
    return &fuzz_payload;
}

size_t smk_payload_index(const struct smk_payload *p)
{
    REQUIRE(p == &fuzz_payload);
    return 0;
}

const char *smk_payload_release(const struct smk_payload *p)
{
    REQUIRE(p == &fuzz_payload);
    return fuzz_release;
}

static int fz_decode(const struct smk_payload *p, uint64_t offset,
                     unsigned char *out, size_t len)
{
    REQUIRE(p == &fuzz_payload && p->info.size == input_len);
    REQUIRE(ndecodes < FZ_MAX_DECODES);
    decodes[ndecodes].offset = offset;
    decodes[ndecodes].len = len;
    if (++ndecodes == fail_at)
        return SMK_ERR_CORRUPT;
    if (offset > p->info.size || len > p->info.size - offset)
        return SMK_ERR_SIZE;
    REQUIRE(out != NULL || len == 0);
    if (len > 0)
        memcpy(out, input + offset, len); /* ASan: out must hold len bytes */
    return 0;
}

int smk_decode_prefix(const struct smk_payload *p, unsigned char *out, size_t len)
{
    return fz_decode(p, 0, out, len);
}

int smk_decode_range(const struct smk_payload *p, uint64_t offset,
                     unsigned char *out, size_t len)
{
    return fz_decode(p, offset, out, len);
}

/* ---- the formats, read here --------------------------------------------- */

#define FZ_MAX_ALLOWED (2 + 64)

struct fz_expect {
    int ok;
    int span_wraps; /* a loadable segment ends past 2^64 - 1 */
    const char *format;
    uint64_t text_offset, image_size, flags, entry, pvh_entry, load_address;
    struct fz_range allowed[FZ_MAX_ALLOWED]; /* what may be decoded */
    unsigned nallowed;
};

static uint64_t fz_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void fz_allow(struct fz_expect *e, uint64_t offset, uint64_t len)
{
    REQUIRE(e->nallowed < FZ_MAX_ALLOWED);
    e->allowed[e->nallowed].offset = offset;
    e->allowed[e->nallowed].len = len;
    e->nallowed++;
}

/* The value of the first Xen PHYS32_ENTRY note of notes[0, len), or 0. */
static uint64_t fz_pvh(const uint8_t *notes, uint64_t len)
{
    uint64_t at = 0;
    while (len - at >= 12) {
        const uint8_t *n = notes + at;
        uint64_t namesz = fz_le(n, 4), descsz = fz_le(n + 4, 4);
        uint64_t type = fz_le(n + 8, 4);
        uint64_t name_room = (namesz + 3) / 4 * 4;
        uint64_t desc_room = (descsz + 3) / 4 * 4;
        if (12 + name_room + desc_room > len - at)
            return 0; /* a note that does not fit ends the walk */
        if (type == 18 && namesz == 4 && n[12] == 'X' && n[13] == 'e' &&
            n[14] == 'n' && n[15] == '\0' && (descsz == 4 || descsz == 8))
            return fz_le(n + 12 + name_room, (unsigned)descsz);
        at += 12 + name_room + desc_room;
    }
    return 0;
}

static void fz_read_elf(const uint8_t *d, size_t n, struct fz_expect *e)
{
    uint64_t phoff = fz_le(d + 32, 8);
    uint64_t phentsize = fz_le(d + 54, 2), phnum = fz_le(d + 56, 2);
    uint64_t low = 0, high = 0;
    int loads = 0;

    if (d[4] != 2 || d[5] != 1 || d[6] != 1) /* ELFCLASS64, LSB, EV_CURRENT */
        return;
    if (phentsize != 56 || phnum < 1 || phnum > 64)
        return;
    if (phoff > n || phnum * 56 > n - phoff)
        return;
    fz_allow(e, phoff, phnum * 56);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + i * 56;
        uint64_t type = fz_le(ph, 4), offset = fz_le(ph + 8, 8);
        uint64_t paddr = fz_le(ph + 24, 8), filesz = fz_le(ph + 32, 8);
        uint64_t memsz = fz_le(ph + 40, 8);
        if (type == 1 && memsz != 0) { /* PT_LOAD */
            if (paddr > UINT64_MAX - memsz) /* ends at 2^64 or beyond */
                e->span_wraps = 1;
            if (!loads || paddr < low)
                low = paddr;
            if (!loads || paddr + memsz > high)
                high = paddr + memsz;
            loads = 1;
        } else if (type == 4 && e->pvh_entry == 0 && filesz >= 1 &&
                   filesz <= (1u << 20) && offset <= n && filesz <= n - offset) {
            fz_allow(e, offset, filesz); /* PT_NOTE */
            e->pvh_entry = fz_pvh(d + offset, filesz);
        }
    }
    if (!loads)
        return;
    e->ok = 1;
    e->format = "ELF";
    e->entry = fz_le(d + 24, 8);
    e->load_address = low;
    e->image_size = high - low; /* meaningful only without span_wraps */
}

static void fz_read(const uint8_t *d, size_t n, struct fz_expect *e)
{
    memset(e, 0, sizeof *e);
    fz_allow(e, 0, 64);
    if (n < 64)
        return;
    if (d[56] == 'A' && d[57] == 'R' && d[58] == 'M' && d[59] == 0x64) {
        e->ok = 1;
        e->format = "Image";
        e->text_offset = fz_le(d + 8, 8);
        e->image_size = fz_le(d + 16, 8);
        e->flags = fz_le(d + 24, 8);
        return;
    }
    if (d[0] == 0x7f && d[1] == 'E' && d[2] == 'L' && d[3] == 'F')
        fz_read_elf(d, n, e);
}

/* ---- the checks --------------------------------------------------------- */

static int strict_span = -1;

static void reset_cache(void)
{
    __atomic_store_n(&parsed[0].ready, 0, __ATOMIC_RELEASE);
    memset(&parsed[0].info, 0x5a, sizeof parsed[0].info); /* all overwritten */
}

/* Every decode since the reset was inside a range the format allows. */
static void check_decodes(const struct fz_expect *e)
{
    REQUIRE(ndecodes >= 1 && ndecodes <= e->nallowed);
    REQUIRE(decodes[0].offset == 0 && decodes[0].len == 64);
    for (unsigned i = 0; i < ndecodes; i++) {
        int inside = 0;
        for (unsigned j = 0; j < e->nallowed && !inside; j++)
            inside = decodes[i].offset >= e->allowed[j].offset &&
                     decodes[i].len <= e->allowed[j].len &&
                     decodes[i].offset - e->allowed[j].offset <=
                         e->allowed[j].len - decodes[i].len;
        REQUIRE(inside);
    }
}

static void check_info(const smk_kernel_info *k, const struct fz_expect *e)
{
    REQUIRE(k == &parsed[0].info);
    REQUIRE(k->format != NULL && strcmp(k->format, e->format) == 0);
    REQUIRE(k->release == fuzz_release);
    REQUIRE(k->arch == fuzz_arch);
    REQUIRE(k->text_offset == e->text_offset);
    REQUIRE(k->flags == e->flags);
    REQUIRE(k->entry == e->entry);
    REQUIRE(k->pvh_entry == e->pvh_entry);
    if (!e->span_wraps) {
        REQUIRE(k->load_address == e->load_address);
        REQUIRE(k->image_size == e->image_size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const smk_kernel_info sentinel;
    const smk_kernel_info *out = &sentinel, *again = &sentinel;
    smk_kernel_info first;
    struct fz_expect e;

    if (strict_span < 0) {
        const char *s = getenv("SMK_FUZZ_STRICT_SPAN");
        strict_span = s != NULL && strcmp(s, "1") == 0;
    }
    input = data;
    input_len = size;
    fuzz_payload.info.size = size;
    fuzz_payload.data = data;
    fuzz_payload.data_size = size;
    memset(&first, 0, sizeof first);
    fz_read(data, size, &e);
    reset_cache();
    ndecodes = 0;
    fail_at = 0;

    /* What is refused before any decoding. */
    REQUIRE(smk_kernel_get_info_for("no-such-arch", &out) == SMK_ERR_NO_ARCH);
    REQUIRE(smk_kernel_get_info_for(NULL, NULL) == -EINVAL);
    REQUIRE(smk_kernel_get_info(NULL) == -EINVAL);
    REQUIRE(ndecodes == 0 && out == &sentinel);

    int rc = smk_kernel_get_info(&out);
    unsigned parse_decodes = ndecodes;
    fuzz_expect(rc == 0, rc ? "not an Image nor an ELF vmlinux" : NULL);
    check_decodes(&e);
    if (rc != 0) {
        REQUIRE(rc == SMK_ERR_NOT_IMAGE);
        REQUIRE(!e.ok || e.span_wraps);
        REQUIRE(out == &sentinel);
        /* Not cached: the next call parses again, the same way. */
        REQUIRE(smk_kernel_get_info_for(fuzz_arch, &out) == SMK_ERR_NOT_IMAGE);
        REQUIRE(ndecodes == 2 * parse_decodes && out == &sentinel);
    } else {
        REQUIRE(e.ok);
        if (e.span_wraps && strict_span) {
            fprintf(stderr, "a PT_LOAD ends past 2^64 - 1, yet accepted: "
                    "load_address 0x%llx, image_size 0x%llx\n",
                    (unsigned long long)out->load_address,
                    (unsigned long long)out->image_size);
            abort();
        }
        check_info(out, &e);
        first = *out;
        /* Cached: later calls decode nothing, whichever name they use. */
        REQUIRE(smk_kernel_get_info_for("", &again) == 0 && again == out);
        again = &sentinel;
        REQUIRE(smk_kernel_get_info_for(fuzz_arch, &again) == 0 && again == out);
        REQUIRE(smk_kernel_get_info(&again) == 0 && again == out);
        REQUIRE(ndecodes == parse_decodes);
        check_info(out, &e);
    }

    /* A failing decode: its code comes back, nothing is kept, and the next
     * call gets the first result. */
    for (unsigned k = 1; k <= parse_decodes; k++) {
        reset_cache();
        ndecodes = 0;
        fail_at = k;
        again = &sentinel;
        REQUIRE(smk_kernel_get_info(&again) == SMK_ERR_CORRUPT);
        REQUIRE(again == &sentinel && ndecodes == k);
        REQUIRE(!__atomic_load_n(&parsed[0].ready, __ATOMIC_ACQUIRE));
        fail_at = 0;
        ndecodes = 0;
        REQUIRE(smk_kernel_get_info(&again) == rc);
        REQUIRE(ndecodes == parse_decodes);
        if (rc == 0) {
            REQUIRE(again == &parsed[0].info);
            REQUIRE(again->format == first.format && again->arch == first.arch &&
                    again->release == first.release &&
                    again->text_offset == first.text_offset &&
                    again->image_size == first.image_size &&
                    again->flags == first.flags && again->entry == first.entry &&
                    again->pvh_entry == first.pvh_entry &&
                    again->load_address == first.load_address);
        } else {
            REQUIRE(again == &sentinel);
        }
    }
    return 0;
}
