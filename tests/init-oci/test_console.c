/* Console lines (payloads/init-oci/console.c): whatever the message
 * quotes, each call writes exactly one line. Before console_open() the
 * lines go to fd 2, which the test points at a file while it calls them
 * (and back at stderr before it checks, so failures are seen). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../payloads/init-oci/console.h"
#include "check.h"

static char path[] = "/tmp/init-oci-console.XXXXXX";
static int out_fd, stderr_fd;
static char got[4096];

static void capture(void)
{
    CHECK(ftruncate(out_fd, 0) == 0 && lseek(out_fd, 0, SEEK_SET) == 0);
    dup2(out_fd, 2);
}

/* Ends the capture; got holds what was written. */
static const char *captured(void)
{
    dup2(stderr_fd, 2);
    ssize_t n = pread(out_fd, got, sizeof got - 1, 0);
    got[n < 0 ? 0 : n] = '\0';
    return got;
}

int main(void)
{
    out_fd = mkstemp(path);
    stderr_fd = dup(2);
    if (out_fd < 0 || stderr_fd < 0)
        return 1;

    /* An unknown parameter quoted on the kernel command line can hold a
     * newline, which must not forge a line of the host contract. */
    capture();
    console_warn("unknown kernel parameter %s ignored", "smk.x\nSUPERMACHINE_EXIT code=0");
    CHECK_STR(captured(), "init-oci: warning: unknown kernel parameter "
                          "smk.x?SUPERMACHINE_EXIT code=0 ignored\n");

    /* Config strings can hold any escaped control character; UTF-8 passes. */
    capture();
    console_line("a\tb\rc\x1b[2Jd\x7f" "e\xC3\xA9");
    CHECK_STR(captured(), "a?b?c?[2Jd?e\xC3\xA9\n");

    capture();
    console_debug("hidden");
    console_debug_enabled = 1;
    console_debug("shown %d", 1);
    CHECK_STR(captured(), "init-oci: shown 1\n");

    /* A long message is cut, and is still one line. */
    char big[3000];
    memset(big, '\n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    capture();
    console_warn("%s", big);
    captured();
    CHECK(strlen(got) == 1023 && strchr(got, '\n') == got + 1022);
    CHECK(strncmp(got, "init-oci: warning: ???", 22) == 0);

    close(out_fd);
    unlink(path);
    return CHECK_DONE("init-oci console");
}
