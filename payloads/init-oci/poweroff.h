/* How the guest ends its VM: the reboot(2) command to use. Shared by
 * init-oci (shutdown.c) and the agent (its SHUTDOWN request, agent/conn.c);
 * header-only, so neither program's source list (nor a host test build of
 * those sources) needs another file.
 *
 * aarch64: RB_POWER_OFF, which the kernel does through PSCI SYSTEM_OFF.
 *
 * x86_64: RB_POWER_OFF is ACPI S5, and it must be chosen beforehand: where
 * the kernel has no power-off method it quietly turns RB_POWER_OFF into a
 * halt (kernel/reboot.c) and never returns, leaving a VM that runs on with
 * its CPUs stopped. So "power off, and restart if that returns" cannot work.
 * The kernel can power off exactly when ACPI offers S5: a \_S5 object in
 * the DSDT or an SSDT and, on hardware-reduced ACPI, the FADT's sleep
 * control and status registers (acpi_sleep_state_supported() in
 * drivers/acpi/sleep.c). QEMU's pc and q35, QEMU microvm with ACPI, and
 * Cloud Hypervisor have both. Firecracker's ACPI tables (1.8 and later) have
 * neither, and a machine without ACPI (older Firecracker, QEMU
 * `-M microvm,acpi=off`, the kernel's acpi=off) shows no tables at all.
 * There the VM ends by a restart, RB_AUTOBOOT: the kernel tries ACPI's
 * reset register, then the keyboard controller (0xFE to port 0x64), which
 * Firecracker takes as the guest stopping; QEMU with -no-reboot exits on
 * any reset. The host's reboot= parameter picks the kernel's method:
 * reboot=k goes to the keyboard controller at once, and QEMU microvm, which
 * has no keyboard controller, needs reboot=t (a triple fault).
 * The kernel's restart rather than our own outb(0xFE, 0x64): it shuts the
 * devices down first and honours reboot=.
 *
 * The tables are read at the moment of use, from /sys/firmware/acpi/tables
 * (root only). When they cannot be read there (sysfs not mounted, a read
 * error), RB_POWER_OFF: at worst the VM halts, while a restart under a VMM
 * that reboots (QEMU without -no-reboot, Cloud Hypervisor) would boot the
 * image and run its entrypoint again. */
#ifndef INIT_OCI_POWEROFF_H
#define INIT_OCI_POWEROFF_H

#include <sys/reboot.h>

#if defined(__x86_64__)

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POWEROFF_ACPI_TABLES "/sys/firmware/acpi/tables"

static uint64_t poweroff_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    while (n-- > 0)
        v = v << 8 | p[n];
    return v;
}

/* Whether the FADT (the FACP table) lets Linux enter S5: anything but
 * hardware-reduced ACPI does; hardware-reduced ACPI needs both sleep
 * registers. Flags are at byte 112 (HW_REDUCED_ACPI is bit 20);
 * SLEEP_CONTROL_REG and SLEEP_STATUS_REG are generic address structures at
 * 244 and 256, each with its 64-bit address 4 bytes in. An older, shorter
 * FADT lacks them, and Linux reads missing fields as 0. */
static int poweroff_fadt_allows_s5(const uint8_t *fadt, size_t n)
{
    uint64_t flags = n >= 116 ? poweroff_le(fadt + 112, 4) : 0;
    if (!(flags & (1u << 20)))
        return 1;
    uint64_t ctl = n >= 256 ? poweroff_le(fadt + 248, 8) : 0;
    uint64_t sts = n >= 268 ? poweroff_le(fadt + 260, 8) : 0;
    return ctl != 0 && sts != 0;
}

/* 1 when the AML table at path contains the name _S5_, 0 when not, -1 when
 * it cannot be read. A plain byte search: AML stores a name as its four
 * characters, and no VMM's tables use _S5_ for anything else. */
static int poweroff_aml_has_s5(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint8_t buf[4096 + 3];
    size_t keep = 0; /* the last 3 bytes, for a name across two reads */
    int found = 0;
    for (;;) {
        ssize_t n = read(fd, buf + keep, sizeof buf - keep);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                found = -1;
            break;
        }
        size_t have = keep + (size_t)n;
        if (memmem(buf, have, "_S5_", 4) != NULL) {
            found = 1;
            break;
        }
        keep = have < 3 ? have : 3;
        memmove(buf, buf + have - keep, keep);
    }
    close(fd);
    return found;
}

/* RB_POWER_OFF where the kernel can power this machine off through ACPI S5,
 * RB_AUTOBOOT where it cannot; see the top of this file. */
static int poweroff_reboot_cmd(void)
{
    struct stat st;
    if (stat("/sys/firmware", &st) != 0)
        return RB_POWER_OFF; /* sysfs is not mounted: cannot tell */
    uint8_t fadt[512];
    int fd = open(POWEROFF_ACPI_TABLES "/FACP", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? RB_AUTOBOOT : RB_POWER_OFF; /* ENOENT: no ACPI */
    ssize_t n;
    do
        n = read(fd, fadt, sizeof fadt);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return RB_POWER_OFF;
    if (!poweroff_fadt_allows_s5(fadt, (size_t)n))
        return RB_AUTOBOOT;

    /* One DSDT; SSDTs as SSDT, or SSDT1, SSDT2... when there are several. */
    DIR *d = opendir(POWEROFF_ACPI_TABLES);
    if (d == NULL)
        return RB_POWER_OFF;
    int s5 = 0, unreadable = 0;
    struct dirent *e;
    while (!s5 && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "DSDT", 4) != 0 && strncmp(e->d_name, "SSDT", 4) != 0)
            continue;
        char path[sizeof POWEROFF_ACPI_TABLES + 256];
        snprintf(path, sizeof path, "%s/%s", POWEROFF_ACPI_TABLES, e->d_name);
        int r = poweroff_aml_has_s5(path);
        s5 = r > 0;
        unreadable |= r < 0;
    }
    closedir(d);
    return s5 || unreadable ? RB_POWER_OFF : RB_AUTOBOOT;
}

#else

static inline int poweroff_reboot_cmd(void)
{
    return RB_POWER_OFF;
}

#endif
#endif
