#define _GNU_SOURCE // before any include: Glibc's GNU-only calls and constants, for this file only (see CLinux.h)
#include "CLinux.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

// The wire layouts the Swift code relies on. If a header changes, the build fails here, not at run time.
_Static_assert(sizeof(struct vring_desc) == 16, "virtio 1.2 §2.7.5: descriptor is 16 bytes");
_Static_assert(sizeof(struct fuse_in_header) == 40, "fuse_in_header");
_Static_assert(sizeof(struct fuse_out_header) == 16, "fuse_out_header");
_Static_assert(sizeof(struct fuse_attr) == 88, "fuse_attr");
_Static_assert(sizeof(struct fuse_entry_out) == 128, "fuse_entry_out");
_Static_assert(sizeof(struct fuse_init_in) == 64, "fuse_init_in (7.36+)");
_Static_assert(sizeof(struct fuse_init_out) == 64, "fuse_init_out");
_Static_assert(sizeof(struct virtio_fs_config) == 40, "virtio 1.2 §5.11.4: tag[36] + num_request_queues");

// The GNU-only constants the header spells out must be Glibc's.
#define CLINUX_SAME(name) _Static_assert(CLinux_##name == name, #name " differs from Glibc's")
CLINUX_SAME(O_PATH); CLINUX_SAME(O_DIRECT); CLINUX_SAME(O_NOATIME); CLINUX_SAME(O_TMPFILE);
CLINUX_SAME(AT_EMPTY_PATH); CLINUX_SAME(AT_NO_AUTOMOUNT); CLINUX_SAME(AT_STATX_SYNC_TYPE);
CLINUX_SAME(RWF_NOWAIT); CLINUX_SAME(MFD_CLOEXEC); CLINUX_SAME(MFD_ALLOW_SEALING);
CLINUX_SAME(F_ADD_SEALS); CLINUX_SAME(F_GET_SEALS); CLINUX_SAME(F_SEAL_SEAL); CLINUX_SAME(F_SEAL_SHRINK);
CLINUX_SAME(F_SEAL_GROW); CLINUX_SAME(F_SEAL_WRITE);
CLINUX_SAME(F_OFD_GETLK); CLINUX_SAME(F_OFD_SETLK); CLINUX_SAME(F_OFD_SETLKW);
CLINUX_SAME(CLONE_FS); CLINUX_SAME(CLONE_THREAD); CLINUX_SAME(CLONE_NEWNS); CLINUX_SAME(CLONE_NEWIPC);
CLINUX_SAME(CLONE_NEWUSER); CLINUX_SAME(CLONE_NEWPID); CLINUX_SAME(CLONE_NEWNET);
CLINUX_SAME(SEEK_DATA); CLINUX_SAME(SEEK_HOLE);
CLINUX_SAME(RENAME_NOREPLACE); CLINUX_SAME(RENAME_EXCHANGE); CLINUX_SAME(RENAME_WHITEOUT);
CLINUX_SAME(STATX_MODE); CLINUX_SAME(STATX_BASIC_STATS); CLINUX_SAME(STATX_BTIME); CLINUX_SAME(STATX_MNT_ID);

int CLinux_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buffer) {
    return statx(dirfd, path, flags, mask, buffer);
}
ssize_t CLinux_preadv2(int fd, const struct iovec *vectors, int count, off_t offset, int flags) {
    return preadv2(fd, vectors, count, offset, flags);
}
ssize_t CLinux_pwritev2(int fd, const struct iovec *vectors, int count, off_t offset, int flags) {
    return pwritev2(fd, vectors, count, offset, flags);
}
ssize_t CLinux_copy_file_range(int in_fd, off_t *in_offset, int out_fd, off_t *out_offset, size_t length,
                               unsigned int flags) {
    return copy_file_range(in_fd, in_offset, out_fd, out_offset, length, flags);
}
int CLinux_fallocate(int fd, int mode, off_t offset, off_t length) { return fallocate(fd, mode, offset, length); }
int CLinux_syncfs(int fd) { return syncfs(fd); }
int CLinux_memfd_create(const char *name, unsigned int flags) { return memfd_create(name, flags); }
ssize_t CLinux_getdents64(int fd, void *buffer, size_t length) { return getdents64(fd, buffer, length); }
int CLinux_pthread_setname_self(const char *name) { return pthread_setname_np(pthread_self(), name); }
int CLinux_unshare(int flags) { return unshare(flags); }
int CLinux_setns(int fd, int nstype) { return setns(fd, nstype); }
int CLinux_setresuid(uid_t r, uid_t e, uid_t s) { return setresuid(r, e, s); }
int CLinux_setresgid(gid_t r, gid_t e, gid_t s) { return setresgid(r, e, s); }
int CLinux_pipe2(int ends[2], int flags) { return pipe2(ends, flags); }
int CLinux_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    *pid = credentials.pid;
    *uid = credentials.uid;
    *gid = credentials.gid;
    return 0;
}

ssize_t CLinux_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds) {
    if (nfds > CLINUX_MAX_FDS) { errno = EINVAL; return -1; }
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    union { char buf[CMSG_SPACE(sizeof(int) * CLINUX_MAX_FDS)]; struct cmsghdr align; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t r;
    do { r = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t CLinux_recvmsg_fds(int sock, void *buf, size_t len, int *fds, size_t *nfds, int *truncated) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    union { char buf[CMSG_SPACE(sizeof(int) * CLINUX_MAX_FDS)]; struct cmsghdr align; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    *nfds = 0;
    *truncated = 0;
    ssize_t r;
    do { r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (r < 0 && errno == EINTR);
    if (r < 0) return r;
    if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) *truncated = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int tmp[CLINUX_MAX_FDS];
        if (n > CLINUX_MAX_FDS) n = CLINUX_MAX_FDS;
        memcpy(tmp, CMSG_DATA(c), n * sizeof(int));
        for (size_t i = 0; i < n; i++) {
            if (*nfds < CLINUX_MAX_FDS) fds[(*nfds)++] = tmp[i];
            else { close(tmp[i]); *truncated = 1; }
        }
    }
    return r;
}

int CLinux_pin_current_thread(const int *cpus, size_t count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (size_t i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return EINVAL;
        CPU_SET(cpus[i], &set);
    }
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int CLinux_current_affinity(int *cpus, size_t cap) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    int n = 0;
    for (int i = 0; i < CPU_SETSIZE && (size_t)n < cap; i++) {
        if (CPU_ISSET(i, &set)) cpus[n++] = i;
    }
    return n;
}

static long raw_result(long r) { return r < 0 ? -errno : r; }

long CLinux_thread_setresuid(uid_t r, uid_t e, uid_t s) { return raw_result(syscall(SYS_setresuid, r, e, s)); }
long CLinux_thread_setresgid(gid_t r, gid_t e, gid_t s) { return raw_result(syscall(SYS_setresgid, r, e, s)); }
long CLinux_thread_setgroups(size_t size, const gid_t *list) { return raw_result(syscall(SYS_setgroups, size, list)); }
long CLinux_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return raw_result(syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags));
}
long CLinux_gettid(void) { return syscall(SYS_gettid); }

int CLinux_name_to_handle_at(int dirfd, const char *path, unsigned char *bytes, unsigned int *length, int *type,
                             uint64_t *mount_id, int flags) {
    _Alignas(struct file_handle) unsigned char storage[sizeof(struct file_handle) + CLINUX_MAX_HANDLE_SIZE];
    struct file_handle *handle = (struct file_handle *)storage;
    handle->handle_bytes = CLINUX_MAX_HANDLE_SIZE;
    // With AT_HANDLE_MNT_ID_UNIQUE the kernel stores a u64 where the classic call stores an int.
    union { int classic; uint64_t unique; } id = { .unique = 0 };
    if (name_to_handle_at(dirfd, path, handle, &id.classic, flags) != 0) return -1;
    if (handle->handle_bytes > CLINUX_MAX_HANDLE_SIZE) {
        errno = EOVERFLOW;
        return -1;
    }
    memcpy(bytes, handle->f_handle, handle->handle_bytes);
    *length = handle->handle_bytes;
    *type = handle->handle_type;
    *mount_id = (flags & CLINUX_AT_HANDLE_MNT_ID_UNIQUE) ? id.unique : (uint64_t)(unsigned int)id.classic;
    return 0;
}

int CLinux_open_by_handle_at(int mount_fd, const unsigned char *bytes, unsigned int length, int type, int flags) {
    if (length > CLINUX_MAX_HANDLE_SIZE) {
        errno = EINVAL;
        return -1;
    }
    _Alignas(struct file_handle) unsigned char storage[sizeof(struct file_handle) + CLINUX_MAX_HANDLE_SIZE];
    struct file_handle *handle = (struct file_handle *)storage;
    handle->handle_bytes = length;
    handle->handle_type = type;
    memcpy(handle->f_handle, bytes, length);
    return open_by_handle_at(mount_fd, handle, flags);
}

int CLinux_bind(int fd, const struct sockaddr *addr, socklen_t len) { return bind(fd, addr, len); }
int CLinux_connect(int fd, const struct sockaddr *addr, socklen_t len) { return connect(fd, addr, len); }
int CLinux_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

size_t CLinux_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
