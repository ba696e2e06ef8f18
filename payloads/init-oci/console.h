/* Output to the serial console. The host reads two lines from it by
 * contract (SUPERMACHINE_EXIT / SUPERMACHINE_ERROR, see IMAGE-CONFIG.md);
 * everything else init-oci prints starts with "init-oci: ". */
#ifndef INIT_OCI_CONSOLE_H
#define INIT_OCI_CONSOLE_H

/* Opens /dev/console for init-oci's own messages and makes it fd 0, 1 and
 * 2, which the agent and the entrypoint inherit. Works even when /dev is
 * not mounted (a private device node is made and unlinked). Idempotent. */
void console_open(void);

/* Writes one whole line ("\n" added) with a single write(2), so it cannot
 * interleave with other writers' output mid-line. Control characters
 * (below 0x20, and 0x7F) become '?', so the line stays one line; a line
 * longer than 1022 bytes is cut. The same for the two functions below. */
void console_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "init-oci: warning: ..." */
void console_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "init-oci: ..." only when the kernel command line has smk.debug. */
extern int console_debug_enabled;
void console_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
