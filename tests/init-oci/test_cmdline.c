/* Kernel command line parsing of the smk.* parameters. */
#include <string.h>

#include "../../payloads/init-oci/cmdline.h"
#include "check.h"

static struct boot_params bp;
static char warn[256], err[512];

static int parse(const char *cmdline)
{
    return boot_params_parse(&bp, cmdline, warn, sizeof warn, err, sizeof err);
}

static void test_defaults(void)
{
    /* What /proc/cmdline holds: words and a trailing newline. */
    CHECK(parse("console=ttyAMA0 panic=-1 root=/dev/vda rw\n") == 0);
    CHECK_STR(bp.rootdev, "");
    CHECK_STR(bp.rootfstype, "ext4");
    CHECK_STR(bp.config, "/image/config.json");
    CHECK(bp.debug == 0);
    CHECK_STR(warn, "");
    CHECK(parse("") == 0 && strcmp(bp.config, "/image/config.json") == 0);
}

static void test_values(void)
{
    CHECK(parse("console=ttyAMA0 smk.rootdev=/dev/vdb smk.rootfstype=xfs "
                "smk.config=/image/other.json smk.debug\n") == 0);
    CHECK_STR(bp.rootdev, "/dev/vdb");
    CHECK_STR(bp.rootfstype, "xfs");
    CHECK_STR(bp.config, "/image/other.json");
    CHECK(bp.debug == 1);
    CHECK(parse("smk.debug=1") == 0 && bp.debug == 1);
    CHECK(parse("smk.debug=0") == 0 && bp.debug == 0);
    /* The last occurrence wins, as for kernel parameters. */
    CHECK(parse("smk.rootdev=/dev/vda smk.rootdev=/dev/vdc") == 0);
    CHECK_STR(bp.rootdev, "/dev/vdc");
    /* Only the winner is validated. */
    CHECK(parse("smk.rootdev=bad smk.rootdev=/dev/vda") == 0);
    /* Tabs and repeated spaces separate words. */
    CHECK(parse("  a\t\tsmk.rootdev=/dev/vda  ") == 0);
    CHECK_STR(bp.rootdev, "/dev/vda");
}

static void test_quotes(void)
{
    /* The kernel lets quotes group words; they are not part of the value. */
    CHECK(parse("x=\"a b\" smk.config=\"/image/my config.json\" y") == 0);
    CHECK_STR(bp.config, "/image/my config.json");
    CHECK(parse("\"smk.config=/image/q.json\"") == 0);
    CHECK_STR(bp.config, "/image/q.json");
    /* A quote that never closes runs to the end of the line. */
    CHECK(parse("smk.config=\"/image/a b") == 0);
    CHECK_STR(bp.config, "/image/a b");
}

static void test_unknown_and_bad(void)
{
    CHECK(parse("smk.rootdevice=/dev/vda") == 0);
    CHECK_STR(warn, "unknown kernel parameter smk.rootdevice ignored");
    CHECK_STR(bp.rootdev, "");
    CHECK(parse("smkx.rootdev=/dev/vda") == 0 && warn[0] == '\0'); /* not ours */

    CHECK(parse("smk.rootdev=vda") == -1);
    CHECK_STR(err, "kernel parameter smk.rootdev=vda: expected a device path such as /dev/vda");
    CHECK(parse("smk.rootdev=") == 0 && bp.rootdev[0] == '\0'); /* empty = default */
    CHECK(parse("smk.rootfstype=ext4;rm") == -1);
    CHECK_STR(err, "kernel parameter smk.rootfstype=ext4;rm: expected a filesystem type "
                   "such as ext4");
    CHECK(parse("smk.rootfstype=") == -1);
    CHECK(parse("smk.config=image/config.json") == -1);
    CHECK_STR(err, "kernel parameter smk.config=image/config.json: expected an absolute path");
    CHECK(parse("smk.config") == -1);

    char longp[600] = "smk.config=/";
    memset(longp + 12, 'a', 400);
    longp[412] = '\0';
    CHECK(parse(longp) == -1);
    CHECK_STR(err, "kernel parameter smk.config: value longer than 255 bytes");
    longp[12 + 254] = '\0'; /* a 255-byte value fits */
    CHECK(parse(longp) == 0 && strlen(bp.config) == 255);
}

int main(void)
{
    test_defaults();
    test_values();
    test_quotes();
    test_unknown_and_bad();
    return CHECK_DONE("init-oci cmdline");
}
