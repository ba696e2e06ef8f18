/* The init-oci executable (host build) outside a guest: --check-config
 * prints what would run or the error, and anything else refuses to run
 * unless it is PID 1. Usage: test_cli PATH-TO-INIT-OCI */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *init_oci;
static char out[8192], errout[8192];

static void slurp(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

/* Runs init-oci with up to two arguments; returns its exit code. */
static int run(const char *a1, const char *a2)
{
    char outpath[] = "/tmp/init-oci-cli.XXXXXX", errpath[] = "/tmp/init-oci-cli.XXXXXX";
    int fo = mkstemp(outpath), fe = mkstemp(errpath);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fo, 1);
        dup2(fe, 2);
        execl(init_oci, init_oci, a1, a2, (char *)NULL);
        _exit(126);
    }
    int st;
    waitpid(pid, &st, 0);
    lseek(fo, 0, SEEK_SET);
    lseek(fe, 0, SEEK_SET);
    slurp(fo, out, sizeof out);
    slurp(fe, errout, sizeof errout);
    close(fo);
    close(fe);
    unlink(outpath);
    unlink(errpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_config(const char *path, const char *json)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, json, strlen(json)) == (ssize_t)strlen(json));
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_cli PATH-TO-INIT-OCI\n");
        return 2;
    }
    init_oci = argv[1];
    char dir[] = "/tmp/init-oci-cli-dir.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char good[300], bad[300];
    snprintf(good, sizeof good, "%s/good.json", dir);
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    write_config(good, "{\"config\": {\"Entrypoint\": [\"/bin/sh\", \"-c\"],"
                       " \"Cmd\": [\"echo hi\"], \"Env\": [\"A=1\"],"
                       " \"WorkingDir\": \"/w\", \"User\": \"7:8\"}}");
    write_config(bad, "{\"config\": {\"Entrypoint\": \"/bin/sh\"}}");
    char named[300];
    snprintf(named, sizeof named, "%s/named.json", dir);
    write_config(named, "{\"config\": {\"Cmd\": [\"/app\"], \"Hostname\": \"web\"}}");

    CHECK(run("--check-config", good) == 0);
    CHECK_STR(out, "argv[0]=/bin/sh\nargv[1]=-c\nargv[2]=echo hi\n"
                   "env[0]=A=1\nenv[1]=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                   "/usr/bin:/sbin:/bin\nenv[2]=HOME=/\nworkdir=/w\nuser=7:8\n");
    CHECK_STR(errout, "");

    /* The host name is shown when the config has one. */
    CHECK(run("--check-config", named) == 0);
    CHECK_STR(out, "argv[0]=/app\nenv[0]=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                   "/usr/bin:/sbin:/bin\nenv[1]=HOME=/root\nworkdir=/\nuser=0:0\n"
                   "hostname=web\n");

    CHECK(run("--check-config", bad) == 1);
    CHECK_STR(out, "");
    char want[600];
    snprintf(want, sizeof want, "init-oci: %s: line 1 col 27: config.Entrypoint: "
             "expected an array of strings or null, found string\n", bad);
    CHECK_STR(errout, want);

    CHECK(run("--check-config", "/nonexistent/config.json") == 1);
    CHECK_STR(errout, "init-oci: open /nonexistent/config.json: No such file or directory\n");

    CHECK(run("--check-config", NULL) == 2);
    CHECK_HAS(errout, "usage: init-oci --check-config FILE");

    /* Not PID 1: refuse, touch nothing. */
    CHECK(run(NULL, NULL) == 2);
    CHECK_HAS(errout, "init-oci: refusing to run: this is the guest's PID 1");

    unlink(good);
    unlink(bad);
    unlink(named);
    rmdir(dir);
    return CHECK_DONE("init-oci cli");
}
