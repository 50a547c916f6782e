/*
 * faultshim: makes one system call fail, once or from then on, in a process
 * it is preloaded into (LD_PRELOAD). Cairn's I/O-fault test (tools/io-faults)
 * uses it to fail the disk under LMDB, not the process.
 *
 *   FAULT_CALL   write | pwrite | writev | pwritev | fsync | fdatasync | msync | mmap
 *   FAULT_AT     the Nth matching call fails (1-based)
 *   FAULT_ERRNO  EIO | ENOSPC (default EIO)
 *   FAULT_STICKY 1: every matching call from the Nth on fails, as a dead disk does
 *   FAULT_PATH   only calls on files whose path contains this (default "data.mdb");
 *                mmap and msync are matched by the file they map (mmap) or by any
 *                call at all (msync, whose address names no file)
 *   FAULT_REPORT a file the shim appends one line to when it injects a fault
 *
 * Calls on other files (the terminal, sockets, lock.mdb) go through
 * untouched, so the process can still report what happened to it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *fault_call;
static long fault_at;
static int fault_errno = EIO;
static int fault_sticky;
static const char *fault_path = "data.mdb";
static const char *fault_report;
static atomic_long calls;
static atomic_int configured;

static void configure(void) {
    if (atomic_load(&configured)) return;
    fault_call = getenv("FAULT_CALL");
    const char *at = getenv("FAULT_AT");
    fault_at = at ? atol(at) : 0;
    const char *name = getenv("FAULT_ERRNO");
    if (name && strcmp(name, "ENOSPC") == 0) fault_errno = ENOSPC;
    const char *sticky = getenv("FAULT_STICKY");
    fault_sticky = sticky && strcmp(sticky, "1") == 0;
    const char *path = getenv("FAULT_PATH");
    if (path) fault_path = path;
    fault_report = getenv("FAULT_REPORT");
    atomic_store(&configured, 1);
}

/* Whether descriptor fd names a file whose path contains FAULT_PATH. */
static int fd_matches(int fd) {
    if (fd < 0) return 0;
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = 0;
    return strstr(target, fault_path) != NULL;
}

/* Whether this call (of `call`, on fd, or fd -1 when it names no file) fails. */
static int should_fail(const char *call, int fd) {
    configure();
    if (!fault_call || fault_at <= 0 || strcmp(call, fault_call) != 0) return 0;
    if (fd != -2 && !fd_matches(fd)) return 0;
    long n = atomic_fetch_add(&calls, 1) + 1;
    int fail = fault_sticky ? n >= fault_at : n == fault_at;
    if (fail && fault_report) {
        int out = open(fault_report, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (out >= 0) {
            char line[128];
            int len = snprintf(line, sizeof line, "%s call %ld: %s\n", call, n, fault_errno == ENOSPC ? "ENOSPC" : "EIO");
            ssize_t ignored = write(out, line, (size_t)len);
            (void)ignored;
            close(out);
        }
    }
    return fail;
}

/* The libc function this one stands in front of, looked up once. */
#define REAL(name) static __typeof__(&name) real_##name; if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t count) {
    REAL(write);
    if (should_fail("write", fd)) { errno = fault_errno; return -1; }
    return real_write(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite);
    if (should_fail("pwrite", fd)) { errno = fault_errno; return -1; }
    return real_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    REAL(pwrite64);
    if (should_fail("pwrite", fd)) { errno = fault_errno; return -1; }
    return real_pwrite64(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
    REAL(writev);
    if (should_fail("writev", fd)) { errno = fault_errno; return -1; }
    return real_writev(fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset) {
    REAL(pwritev);
    if (should_fail("pwritev", fd)) { errno = fault_errno; return -1; }
    return real_pwritev(fd, iov, count, offset);
}

int fsync(int fd) {
    REAL(fsync);
    if (should_fail("fsync", fd)) { errno = fault_errno; return -1; }
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    if (should_fail("fdatasync", fd)) { errno = fault_errno; return -1; }
    return real_fdatasync(fd);
}

int msync(void *addr, size_t length, int flags) {
    REAL(msync);
    if (should_fail("msync", -2)) { errno = fault_errno; return -1; }
    return real_msync(addr, length, flags);
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    REAL(mmap);
    /* Anonymous maps (the allocator's) never match: only a map of the data file does. */
    if (!(flags & MAP_ANONYMOUS) && should_fail("mmap", fd)) { errno = fault_errno == ENOSPC ? ENOMEM : fault_errno; return MAP_FAILED; }
    return real_mmap(addr, length, prot, flags, fd, offset);
}

void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    REAL(mmap64);
    if (!(flags & MAP_ANONYMOUS) && should_fail("mmap", fd)) { errno = fault_errno == ENOSPC ? ENOMEM : fault_errno; return MAP_FAILED; }
    return real_mmap64(addr, length, prot, flags, fd, offset);
}
