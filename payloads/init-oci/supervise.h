/* PID 1's main loop: keep the agent alive, run the entrypoint, reap
 * orphans, forward signals. */
#ifndef INIT_OCI_SUPERVISE_H
#define INIT_OCI_SUPERVISE_H

#include <stddef.h>

#include "image_config.h"

/* Agent restart delays: doubling from the first to the cap, and back to
 * the first once the agent has stayed up for AGENT_STABLE_MS. */
#define AGENT_RESTART_FIRST_MS 100u
#define AGENT_RESTART_MAX_MS 2000u
#define AGENT_STABLE_MS 10000L

/* Blocks the signals the loop waits for (SIGCHLD, SIGTERM, SIGINT). Call
 * first thing, so that none arriving during boot is lost: blocked, they
 * stay pending until the loop takes them. */
void supervise_block_signals(void);

/* Starts the agent at agent_path (unless NULL) and the entrypoint, then
 * loops until the entrypoint exits; returns its wait status. Fatal when
 * the entrypoint cannot be started. */
int supervise(const struct image_config *cfg, const char *agent_path);

/* The delay before the next agent restart, given the previous delay (0 if
 * none) and how long the agent ran before it died. */
unsigned agent_restart_delay_ms(unsigned previous_ms, long ran_ms);

/* The console line for the entrypoint's wait status:
 * "SUPERMACHINE_EXIT code=N" or "SUPERMACHINE_EXIT signal=N". */
void exit_line_format(int wait_status, char *buf, size_t len);

#endif
