/* Starting the agent and the entrypoint. */
#ifndef INIT_OCI_SPAWN_H
#define INIT_OCI_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "image_config.h"

/* execve() of file, looked up in path (a PATH value; an empty entry means
 * the current directory) when file has no '/'. Returns only on failure:
 * an errno value, with the path that failed (or file) copied to tried.
 * ENOENT means found nowhere; EACCES means found but not executable. */
int exec_search(const char *file, char *const argv[], char *const envp[],
                const char *path, char *tried, size_t triedlen);

/* Forks the entrypoint: own session, user and groups from the config,
 * workdir, PATH lookup, exec. Returns its pid, or -1 with a message in err
 * when it could not start (the child reports exec failures back through a
 * close-on-exec pipe, so a missing binary is an error here, not an exit
 * status). */
pid_t spawn_entrypoint(const struct image_config *cfg, char *err, size_t errlen);

/* Forks the agent at path with stdin on /dev/null. Returns its pid or -1. */
pid_t spawn_agent(const char *path);

#endif
