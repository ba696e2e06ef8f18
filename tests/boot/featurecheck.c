/*
 * featurecheck: prove, inside the boot test's guest, that a kernel feature
 * works by using its system calls (busybox has no tool for them).
 *
 *   featurecheck cgroup-bpf CGROUP2_DIR   a BPF_PROG_TYPE_CGROUP_DEVICE program
 *                                         attached to a new cgroup denies
 *                                         /dev/null, allows /dev/zero
 *   featurecheck keyctl                   add_key + KEYCTL_READ, and joining a
 *                                         named session keyring (what runc does)
 *   featurecheck acl FILE                 system.posix_acl_access set, read back,
 *                                         and reflected in the file mode
 *   featurecheck fanotify DIR             fanotify_init + a mark on DIR reports
 *                                         a close-after-write of a file in it
 *   featurecheck userfaultfd              a missing-page fault in a registered
 *                                         range is resolved with UFFDIO_COPY
 *
 * Prints one "ok: ..." line and exits 0, or prints what failed (with
 * errno's text) on stderr and exits 1. Built static for the guest's
 * architecture with payloads/musl-build.sh --arch, as the agent is.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *check_name = "featurecheck";

static int fail(const char *what)
{
    fprintf(stderr, "featurecheck %s: %s: %s\n", check_name, what, strerror(errno));
    return 1;
}

static int fail_msg(const char *what)
{
    fprintf(stderr, "featurecheck %s: %s\n", check_name, what);
    return 1;
}

/* ---- cgroup BPF ------------------------------------------------------- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Open `path` in a child moved into the cgroup `procs` names; the child's
 * exit status is the errno of the open (0: it succeeded). */
static int open_errno_in_cgroup(const char *procs, const char *path)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(procs, O_WRONLY);
        if (fd < 0 || write(fd, "0", 1) != 1)
            _exit(200);
        close(fd);
        fd = open(path, O_RDWR);
        _exit(fd < 0 ? (errno & 0xff) : 0);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int check_cgroup_bpf(const char *root)
{
    /* struct bpf_cgroup_dev_ctx { u32 access_type, major, minor; } in r1:
     * deny character device 1:3 (/dev/null), allow everything else. */
    struct bpf_insn prog[] = {
        { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 4 },
        { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 1, .off = 8 },
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
        { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 2, .off = 2, .imm = 1 },
        { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 3, .off = 1, .imm = 3 },
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
        { .code = BPF_JMP | BPF_EXIT },
    };
    char dir[4096], procs[4200], log[4096] = "";
    snprintf(dir, sizeof dir, "%s/featurecheck-devices", root);
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return fail("mkdir in the cgroup2 hierarchy");
    int cg = open(dir, O_RDONLY | O_DIRECTORY);
    if (cg < 0)
        return fail("open the cgroup directory");

    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uintptr_t)prog;
    attr.insn_cnt = sizeof prog / sizeof prog[0];
    attr.license = (uintptr_t)"GPL";
    attr.log_buf = (uintptr_t)log;
    attr.log_size = sizeof log;
    attr.log_level = 1;
    int prog_fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (prog_fd < 0) {
        if (log[0])
            fprintf(stderr, "verifier log: %s\n", log);
        return fail("bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE)");
    }
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cg;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return fail("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE)");

    int null_err = open_errno_in_cgroup(procs, "/dev/null");
    int zero_err = open_errno_in_cgroup(procs, "/dev/zero");
    sys_bpf(BPF_PROG_DETACH, &attr);
    close(prog_fd);
    close(cg);
    rmdir(dir);
    if (null_err != EPERM || zero_err != 0) {
        fprintf(stderr, "featurecheck cgroup-bpf: in the cgroup, open /dev/null -> %d,"
                " /dev/zero -> %d (want %d, 0)\n", null_err, zero_err, EPERM);
        return 1;
    }
    printf("ok: cgroup device program attached; /dev/null denied (EPERM), /dev/zero allowed\n");
    return 0;
}

/* ---- keyrings --------------------------------------------------------- */

static int check_keyctl(void)
{
    static const char secret[] = "boot-test secret";
    long session = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "featurecheck");
    if (session < 0)
        return fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
    long key = syscall(SYS_add_key, "user", "featurecheck:key", secret, sizeof secret - 1,
                       KEY_SPEC_SESSION_KEYRING);
    if (key < 0)
        return fail("add_key(user)");
    char buf[64] = "";
    long n = syscall(SYS_keyctl, KEYCTL_READ, key, buf, sizeof buf);
    if (n < 0)
        return fail("keyctl(KEYCTL_READ)");
    if (n != (long)sizeof secret - 1 || memcmp(buf, secret, (size_t)n) != 0)
        return fail_msg("keyctl(KEYCTL_READ) returned other bytes than add_key stored");
    long found = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
                         "featurecheck:key", 0);
    if (found != key)
        return fail("keyctl(KEYCTL_SEARCH) in the session keyring");
    printf("ok: session keyring %ld joined, user key %ld added, read back and found\n",
           session, key);
    return 0;
}

/* ---- POSIX ACLs ------------------------------------------------------- */

/* The system.posix_acl_access value (linux/posix_acl_xattr.h): a version
 * word, then entries sorted by tag, then id. Little-endian on aarch64 and
 * x86_64 alike. */
struct acl_entry {
    uint16_t tag, perm;
    uint32_t id;
};

static int check_acl(const char *path)
{
    enum { USER_OBJ = 1, USER = 2, GROUP_OBJ = 4, MASK = 0x10, OTHER = 0x20 };
    const uint32_t undefined = 0xffffffffu;
    struct {
        uint32_t version;
        struct acl_entry e[5];
    } acl = { 2, {
        { USER_OBJ, 6, undefined }, { USER, 4, 1000 }, { GROUP_OBJ, 4, undefined },
        { MASK, 6, undefined }, { OTHER, 0, undefined },
    } }, back;

    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return fail("create the file");
    close(fd);
    if (setxattr(path, "system.posix_acl_access", &acl, sizeof acl, 0) < 0)
        return fail("setxattr(system.posix_acl_access)");
    memset(&back, 0, sizeof back);
    ssize_t n = getxattr(path, "system.posix_acl_access", &back, sizeof back);
    if (n < 0)
        return fail("getxattr(system.posix_acl_access)");
    if (n != (ssize_t)sizeof acl || memcmp(&acl, &back, sizeof acl) != 0)
        return fail_msg("getxattr(system.posix_acl_access) differs from what was set");
    struct stat st;
    if (stat(path, &st) < 0)
        return fail("stat");
    /* The ACL's mask becomes the group bits: proof it was applied, not
     * just stored as an opaque attribute. */
    if ((st.st_mode & 0777) != 0660) {
        fprintf(stderr, "featurecheck acl: mode %o after the ACL, want 660\n",
                (unsigned)(st.st_mode & 0777));
        return 1;
    }
    printf("ok: ACL with user:1000:r-- set on %s, read back, mode now 660\n", path);
    return 0;
}

/* ---- fanotify --------------------------------------------------------- */

static int check_fanotify(const char *dir)
{
    int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
    if (fan < 0)
        return fail("fanotify_init");
    if (fanotify_mark(fan, FAN_MARK_ADD, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD, AT_FDCWD, dir) < 0)
        return fail("fanotify_mark");
    char path[4096];
    snprintf(path, sizeof path, "%s/fanotify-target", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) < 0)
        return fail("write a file in the watched directory");

    struct pollfd p = { .fd = fan, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1)
        return fail_msg("no fanotify event within 5 s");
    char buf[4096] __attribute__((aligned(8)));
    ssize_t n = read(fan, buf, sizeof buf);
    if (n < (ssize_t)sizeof(struct fanotify_event_metadata))
        return fail("read the fanotify event");
    struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
    char link[64], target[4096] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", m->fd);
    ssize_t t = m->fd >= 0 ? readlink(link, target, sizeof target - 1) : -1;
    if (t > 0)
        target[t] = 0;
    if (!(m->mask & FAN_CLOSE_WRITE) || strcmp(target, path) != 0) {
        fprintf(stderr, "featurecheck fanotify: event mask %#llx on %s, want FAN_CLOSE_WRITE on %s\n",
                (unsigned long long)m->mask, target, path);
        return 1;
    }
    printf("ok: fanotify reported FAN_CLOSE_WRITE on %s\n", path);
    return 0;
}

/* ---- userfaultfd ------------------------------------------------------ */

static void *touch(void *page)
{
    return (void *)(uintptr_t)*(volatile unsigned char *)page;
}

static int check_userfaultfd(void)
{
    long page_size = sysconf(_SC_PAGESIZE);
    int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    if (uffd < 0)
        return fail("userfaultfd");
    struct uffdio_api api = { .api = UFFD_API };
    if (ioctl(uffd, UFFDIO_API, &api) < 0)
        return fail("ioctl(UFFDIO_API)");
    unsigned char *area = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return fail("mmap");
    struct uffdio_register reg = {
        .range = { .start = (uintptr_t)area, .len = (uint64_t)page_size },
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
        return fail("ioctl(UFFDIO_REGISTER)");

    pthread_t thread;
    if ((errno = pthread_create(&thread, NULL, touch, area)) != 0)
        return fail("pthread_create");
    struct pollfd p = { .fd = uffd, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1)
        return fail_msg("no page fault reported within 5 s");
    struct uffd_msg msg;
    if (read(uffd, &msg, sizeof msg) != (ssize_t)sizeof msg)
        return fail("read the userfaultfd message");
    if (msg.event != UFFD_EVENT_PAGEFAULT)
        return fail_msg("the message is not a page fault");

    unsigned char *src = malloc((size_t)page_size);
    if (!src)
        return fail("malloc");
    memset(src, 0x5a, (size_t)page_size);
    struct uffdio_copy copy = {
        .dst = msg.arg.pagefault.address & ~(uint64_t)(page_size - 1),
        .src = (uintptr_t)src, .len = (uint64_t)page_size,
    };
    if (ioctl(uffd, UFFDIO_COPY, &copy) < 0)
        return fail("ioctl(UFFDIO_COPY)");
    void *seen;
    pthread_join(thread, &seen);
    if ((uintptr_t)seen != 0x5a)
        return fail_msg("the faulting thread did not see the copied page");
    printf("ok: a page fault was reported and resolved with UFFDIO_COPY\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2)
        check_name = argv[1];
    if (argc == 3 && strcmp(argv[1], "cgroup-bpf") == 0)
        return check_cgroup_bpf(argv[2]);
    if (argc == 2 && strcmp(argv[1], "keyctl") == 0)
        return check_keyctl();
    if (argc == 3 && strcmp(argv[1], "acl") == 0)
        return check_acl(argv[2]);
    if (argc == 3 && strcmp(argv[1], "fanotify") == 0)
        return check_fanotify(argv[2]);
    if (argc == 2 && strcmp(argv[1], "userfaultfd") == 0)
        return check_userfaultfd();
    fprintf(stderr, "usage: featurecheck cgroup-bpf DIR | keyctl | acl FILE | fanotify DIR | userfaultfd\n");
    return 2;
}
