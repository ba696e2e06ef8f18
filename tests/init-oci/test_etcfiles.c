/* Writing /etc/hostname, /etc/hosts and /etc/resolv.conf into a root
 * (payloads/init-oci/etcfiles.c), here a temporary directory: the content,
 * /etc created when missing, and links the image may carry at those paths
 * replaced, never written through. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../payloads/init-oci/etcfiles.h"
#include "check.h"

static char root[] = "/tmp/init-oci-etcfiles.XXXXXX";
static char err[512];

static const char *path_in(const char *rel)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", root, rel);
    return p;
}

static const char *slurp(const char *rel)
{
    static char buf[2048];
    int fd = open(path_in(rel), O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static void put(const char *rel, const char *text)
{
    int fd = open(path_in(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static int is_regular(const char *rel, mode_t mode)
{
    struct stat st;
    return lstat(path_in(rel), &st) == 0 && S_ISREG(st.st_mode) &&
           (st.st_mode & 07777) == mode && st.st_nlink == 1;
}

static struct netconf_plan plan_with_dns(void)
{
    struct netconf_plan plan;
    memset(&plan, 0, sizeof plan);
    strcpy(plan.hostname, "web");
    plan.hosts_addr = 0x0A00020F; /* 10.0.2.15 */
    plan.ndns = 2;
    strcpy(plan.dns[0], "10.0.2.3");
    strcpy(plan.dns[1], "fd00::3");
    plan.dns_source = "smk.dns";
    strcpy(plan.search, "example.com");
    return plan;
}

static void test_fresh_root(void)
{
    /* No /etc at all: created. */
    struct netconf_plan plan = plan_with_dns();
    CHECK(etc_files_write(root, &plan, err, sizeof err) == 0);
    struct stat st;
    CHECK(stat(path_in("etc"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
    CHECK_STR(slurp("etc/hostname"), "web\n");
    CHECK_STR(slurp("etc/hosts"), "127.0.0.1\tlocalhost\n"
                                  "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                  "10.0.2.15\tweb\n");
    CHECK_STR(slurp("etc/resolv.conf"), "# Written by init-oci at boot, from smk.dns.\n"
                                        "nameserver 10.0.2.3\nnameserver fd00::3\n"
                                        "search example.com\n");
    CHECK(is_regular("etc/hostname", 0644) && is_regular("etc/hosts", 0644) &&
          is_regular("etc/resolv.conf", 0644));
}

static void test_links_replaced(void)
{
    /* The image's /etc/resolv.conf is a symlink (systemd-resolved's stub,
     * here to a file outside /etc); /etc/hosts a hard link; /etc/hostname
     * a dangling symlink. Each is replaced; what they point to is not
     * touched. */
    put("outside", "nameserver 9.9.9.9\n");
    put("hosts-other-link", "image hosts\n");
    unlink(path_in("etc/resolv.conf"));
    unlink(path_in("etc/hosts"));
    unlink(path_in("etc/hostname"));
    CHECK(symlink(path_in("outside"), path_in("etc/resolv.conf")) == 0);
    CHECK(link(path_in("hosts-other-link"), path_in("etc/hosts")) == 0);
    CHECK(symlink("../nowhere/hostname", path_in("etc/hostname")) == 0);

    struct netconf_plan plan = plan_with_dns();
    CHECK(etc_files_write(root, &plan, err, sizeof err) == 0);
    CHECK(is_regular("etc/resolv.conf", 0644) && is_regular("etc/hosts", 0644) &&
          is_regular("etc/hostname", 0644));
    CHECK_HAS(slurp("etc/resolv.conf"), "nameserver 10.0.2.3\n");
    CHECK_STR(slurp("outside"), "nameserver 9.9.9.9\n");
    CHECK_STR(slurp("hosts-other-link"), "image hosts\n");
    CHECK(is_regular("hosts-other-link", 0600)); /* its link count is back to 1 */
    CHECK(access(path_in("nowhere"), F_OK) != 0 && errno == ENOENT);
    CHECK_STR(slurp("etc/hostname"), "web\n");
}

static void test_no_dns_keeps_image_file(void)
{
    put("etc/resolv.conf", "# the image's own\n");
    struct netconf_plan plan = plan_with_dns();
    plan.ndns = 0;
    strcpy(plan.hostname, "other");
    CHECK(etc_files_write(root, &plan, err, sizeof err) == 0);
    CHECK_STR(slurp("etc/resolv.conf"), "# the image's own\n");
    CHECK_STR(slurp("etc/hostname"), "other\n");
    CHECK_HAS(slurp("etc/hosts"), "10.0.2.15\tother\n");

    /* No valid host name: /etc/hostname stays, hosts has localhost only. */
    plan.hostname[0] = '\0';
    CHECK(etc_files_write(root, &plan, err, sizeof err) == 0);
    CHECK_STR(slurp("etc/hostname"), "other\n");
    CHECK_STR(slurp("etc/hosts"), "127.0.0.1\tlocalhost\n"
                                  "::1\tlocalhost ip6-localhost ip6-loopback\n");
}

static void test_errors(void)
{
    /* A directory where the file goes: a clear error, nothing removed. */
    CHECK(mkdir(path_in("etc/hosts.d"), 0755) == 0);
    CHECK(etc_file_replace(root, "hosts.d", "x\n", err, sizeof err) == -1);
    CHECK_STR(err, "replace /etc/hosts.d: Is a directory");
    CHECK(rmdir(path_in("etc/hosts.d")) == 0);

    /* /etc is not a directory. */
    char other[] = "/tmp/init-oci-etcfiles-file.XXXXXX";
    CHECK(mkdtemp(other) != NULL);
    char etc[600];
    snprintf(etc, sizeof etc, "%s/etc", other);
    int fd = open(etc, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
    CHECK(etc_file_replace(other, "hosts", "x\n", err, sizeof err) == -1);
    CHECK_STR(err, "open /etc: Not a directory");
    unlink(etc);
    rmdir(other);

    /* Root's etc, as the guest names it: only the message's path differs. */
    CHECK(etc_file_replace("/nonexistent-init-oci-root", "hosts", "x\n", err, sizeof err) == -1);
    CHECK_STR(err, "create /etc: No such file or directory");
}

static void cleanup(void)
{
    const char *files[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf", "outside",
                           "hosts-other-link"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(path_in(files[i]));
    rmdir(path_in("etc"));
    rmdir(root);
}

int main(void)
{
    umask(077); /* the files' modes must not depend on it */
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_fresh_root();
    test_links_replaced();
    test_no_dns_keeps_image_file();
    test_errors();
    cleanup();
    return CHECK_DONE("init-oci etcfiles");
}
