/* The two ways init-oci ends: both power the VM off (on x86_64 without
 * ACPI S5: restart it, which the VMM takes as the guest stopping; see
 * poweroff.h), neither returns (PID 1 returning from main would panic the
 * kernel). */
#ifndef INIT_OCI_SHUTDOWN_H
#define INIT_OCI_SHUTDOWN_H

/* SIGTERM to every process, a short grace period, SIGKILL, sync, power off. */
_Noreturn void shutdown_power_off(void);

/* Prints "SUPERMACHINE_ERROR <message>" on the console, then powers off. */
_Noreturn void shutdown_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
