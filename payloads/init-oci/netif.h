/* The network at boot: lo, the interfaces the smk.* parameters name, the
 * default route and the host name. netconf.c decides; this file only asks
 * the kernel what is there and applies the plan, with ioctls (IPv4; IPv6
 * is the kernel's SLAAC on every interface that is up). */
#ifndef INIT_OCI_NETIF_H
#define INIT_OCI_NETIF_H

#include "netconf.h"

/* How long a named interface may take to appear, as for smk.rootdev. */
#define NET_IFACE_WAIT_MS 5000

/* Waits for the interfaces p names, plans (netconf_plan) against what the
 * kernel's ip= configured, prints the plan's warnings, brings lo up, then
 * configures the interfaces, the default route and the host name. The
 * plan goes to out, for etc_files_write() once in the new root. Fatal when
 * a named interface does not appear or the kernel refuses a setting. */
void net_setup(const struct netconf_params *p, const char *config_hostname,
               struct netconf_plan *out);

#endif
