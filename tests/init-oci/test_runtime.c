/* Process handling, run on the host: PATH lookup, starting the entrypoint
 * (and each way it can fail to start), the supervisor loop (exit status,
 * signal forwarding, agent restarts with backoff) and the exit line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../payloads/init-oci/spawn.h"
#include "../../payloads/init-oci/supervise.h"
#include "check.h"

#define TEST_PATH "/nonexistent:/usr/bin:/bin"

static char dir[] = "/tmp/init-oci-runtime.XXXXXX";
static char *env[] = {"PATH=" TEST_PATH, "FOO=bar", NULL};

static void write_file(const char *name, const char *data, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, data, strlen(data)) == (ssize_t)strlen(data));
    close(fd);
    chmod(path, mode);
}

static void reap_all(void)
{
    while (waitpid(-1, NULL, 0) > 0)
        ;
}

/* Runs exec_search in a child; returns its wait status. */
static int run_search(const char *file, const char *path, const char *cwd)
{
    pid_t pid = fork();
    if (pid == 0) {
        char tried[512];
        char *argv[] = {(char *)file, NULL};
        if (cwd != NULL && chdir(cwd) != 0)
            _exit(100);
        _exit(exec_search(file, argv, env, path, tried, sizeof tried));
    }
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static void test_exec_search(void)
{
    int st = run_search("true", TEST_PATH, NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = run_search("no-such-program-xyz", TEST_PATH, NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == ENOENT);
    st = run_search("/nonexistent/prog", TEST_PATH, NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == ENOENT);
    /* An empty PATH entry is the current directory. */
    st = run_search("hello", "/nonexistent:", dir);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    st = run_search("hello", "", dir);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    /* Found but not executable: EACCES, even if later entries lack it. */
    char path[300];
    snprintf(path, sizeof path, "%s:/nonexistent", dir);
    st = run_search("noexec", path, NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EACCES);

    /* Any other error stops the search and names the candidate. */
    char tried[512], want[600];
    char *argv[] = {"garbage", NULL};
    snprintf(path, sizeof path, "/nonexistent:%s:/bin", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int e = exec_search("garbage", argv, env, path, tried, sizeof tried);
        snprintf(want, sizeof want, "%s/garbage", dir);
        _exit(e == ENOEXEC && strcmp(tried, want) == 0 ? 0 : 1);
    }
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static struct image_config make_config(char **argv, const char *workdir)
{
    struct image_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.argv = argv;
    for (cfg.argc = 0; argv[cfg.argc] != NULL; cfg.argc++)
        ;
    cfg.env = env;
    cfg.envc = 2;
    cfg.path = TEST_PATH;
    cfg.workdir = workdir;
    cfg.uid = getuid();
    cfg.gid = getgid();
    return cfg;
}

/* The error spawn_entrypoint reports, or NULL if it started. */
static const char *spawn_error(char **argv, const char *workdir)
{
    static char err[1200];
    struct image_config cfg = make_config(argv, workdir);
    pid_t pid = spawn_entrypoint(&cfg, err, sizeof err);
    reap_all();
    return pid < 0 ? err : NULL;
}

static void test_spawn_errors(void)
{
    char *missing[] = {"no-such-program-xyz", NULL};
    CHECK_STR(spawn_error(missing, "/"),
              "entrypoint no-such-program-xyz: not found in PATH=" TEST_PATH);
    char *abs_missing[] = {"/nonexistent/prog", "arg", NULL};
    CHECK_STR(spawn_error(abs_missing, "/"),
              "exec entrypoint /nonexistent/prog: No such file or directory");
    char *ok[] = {"true", NULL};
    CHECK_STR(spawn_error(ok, "/nonexistent-dir"),
              "chdir to WorkingDir /nonexistent-dir: No such file or directory");
    CHECK(spawn_error(ok, "/") == NULL);

    char path[300], want[400];
    snprintf(path, sizeof path, "%s/garbage", dir);
    char *garbage[] = {path, NULL};
    snprintf(want, sizeof want, "exec entrypoint %s: Exec format error", path);
    CHECK_STR(spawn_error(garbage, "/"), want);

    /* No execute bit: refused even for root. */
    snprintf(path, sizeof path, "%s/noexec", dir);
    char *noexec[] = {path, NULL};
    snprintf(want, sizeof want, "exec entrypoint %s: Permission denied", path);
    CHECK_STR(spawn_error(noexec, "/"), want);
}

/* Runs supervise() with fd 2 captured; returns the entrypoint's status and
 * leaves the captured console output in log. */
static int supervise_captured(char **argv, const char *workdir, const char *agent,
                              char *log, size_t loglen)
{
    char logpath[300];
    snprintf(logpath, sizeof logpath, "%s/console.log", dir);
    int fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int saved = dup(2);
    dup2(fd, 2);
    struct image_config cfg = make_config(argv, workdir);
    int st = supervise(&cfg, agent);
    dup2(saved, 2);
    close(saved);
    reap_all();
    ssize_t n = pread(fd, log, loglen - 1, 0);
    log[n > 0 ? n : 0] = '\0';
    close(fd);
    return st;
}

static void test_supervise(void)
{
    char log[4096], line[64];

    char *code7[] = {"sh", "-c", "exit 7", NULL};
    int st = supervise_captured(code7, "/", NULL, log, sizeof log);
    exit_line_format(st, line, sizeof line);
    CHECK_STR(line, "SUPERMACHINE_EXIT code=7");

    /* Env and working directory reach the entrypoint. */
    char script[600], realdir[300];
    char *envcheck[] = {"sh", "-c", script, NULL};
    CHECK(realpath(dir, realdir) != NULL);
    snprintf(script, sizeof script, "[ \"$(pwd -P)\" = \"%s\" ] && [ \"$FOO\" = bar ] "
             "&& [ \"$PATH\" = \"" TEST_PATH "\" ]", realdir);
    st = supervise_captured(envcheck, dir, NULL, log, sizeof log);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* A SIGTERM for PID 1 (pending here, as it would be during boot) is
     * forwarded to the entrypoint. */
    char *sleeper[] = {"sleep", "10", NULL};
    raise(SIGTERM);
    st = supervise_captured(sleeper, "/", NULL, log, sizeof log);
    exit_line_format(st, line, sizeof line);
    CHECK_STR(line, "SUPERMACHINE_EXIT signal=15");
    raise(SIGINT);
    st = supervise_captured(sleeper, "/", NULL, log, sizeof log);
    exit_line_format(st, line, sizeof line);
    CHECK_STR(line, "SUPERMACHINE_EXIT signal=2");

    /* A crashing agent is restarted with a growing delay. */
    char *short_sleep[] = {"sleep", "0.5", NULL};
    char agent[300];
    snprintf(agent, sizeof agent, "%s/crash-agent", dir);
    st = supervise_captured(short_sleep, "/", agent, log, sizeof log);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_HAS(log, "init-oci: warning: agent exited with code 4; restarting in 100 ms\n");
    CHECK_HAS(log, "init-oci: warning: agent exited with code 4; restarting in 200 ms\n");
    CHECK(strstr(log, "restarting in 1600 ms") == NULL);
    /* A missing agent binary: the child reports it, and is retried too. */
    st = supervise_captured(short_sleep, "/", "/nonexistent/agent", log, sizeof log);
    CHECK_HAS(log, "init-oci: warning: exec /nonexistent/agent: No such file or directory\n");
    CHECK_HAS(log, "agent exited with code 127; restarting in 100 ms\n");
}

static void test_restart_delay(void)
{
    unsigned d = 0, seq[8];
    for (int i = 0; i < 8; i++)
        seq[i] = d = agent_restart_delay_ms(d, 5);
    unsigned want[8] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
    CHECK(memcmp(seq, want, sizeof want) == 0);
    /* An agent that stayed up a while starts over from the first delay. */
    CHECK(agent_restart_delay_ms(2000, AGENT_STABLE_MS) == 100);
    CHECK(agent_restart_delay_ms(2000, AGENT_STABLE_MS - 1) == 2000);
}

static void test_exit_line(void)
{
    char line[64];
    int codes[] = {0, 1, 255};
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(codes[i]);
        int st;
        waitpid(pid, &st, 0);
        exit_line_format(st, line, sizeof line);
        char want[64];
        snprintf(want, sizeof want, "SUPERMACHINE_EXIT code=%d", codes[i]);
        CHECK_STR(line, want);
    }
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGKILL, SIG_DFL);
        pause();
        _exit(0);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    exit_line_format(st, line, sizeof line);
    CHECK_STR(line, "SUPERMACHINE_EXIT signal=9");
}

int main(void)
{
    /* As in PID 1: the supervisor takes these with sigwaitinfo. */
    supervise_block_signals();
    CHECK(mkdtemp(dir) != NULL);
    write_file("hello", "#!/bin/sh\nexit 3\n", 0755);
    write_file("noexec", "#!/bin/sh\nexit 0\n", 0644);
    write_file("garbage", "this is not a program\n", 0755);
    write_file("crash-agent", "#!/bin/sh\nexit 4\n", 0755);

    test_exec_search();
    test_spawn_errors();
    test_supervise();
    test_restart_delay();
    test_exit_line();

    const char *names[] = {"hello", "noexec", "garbage", "crash-agent", "console.log"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return CHECK_DONE("init-oci runtime");
}
