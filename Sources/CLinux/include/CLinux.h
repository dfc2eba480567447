// C shim for what Swift cannot import directly from Glibc and the kernel UAPI headers.
// Symbols are named CLinux_<c name>. Built with _GNU_SOURCE (Package.swift).
#ifndef CLINUX_H
#define CLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sched.h>
#include <pthread.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <dirent.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_config.h>
#include <linux/vhost_types.h>

#include "CLinuxSandbox.h"

/// Largest number of file descriptors one vhost-user message may carry (vhost-user.rst: 32 fds).
#define CLINUX_MAX_FDS 32

/// sendmsg with SCM_RIGHTS. Returns bytes sent or -1 with errno set. MSG_NOSIGNAL is always added.
ssize_t CLinux_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/// recvmsg with SCM_RIGHTS for up to CLINUX_MAX_FDS descriptors, MSG_CMSG_CLOEXEC.
/// Stores received fds in `fds` (capacity CLINUX_MAX_FDS) and their count in `*nfds`.
/// `*truncated` is set to 1 when MSG_CTRUNC or MSG_TRUNC was reported (fds received are still returned so that the
/// caller can close them). Returns bytes received, 0 on EOF, -1 with errno set.
ssize_t CLinux_recvmsg_fds(int sock, void *buf, size_t len, int *fds, size_t *nfds, int *truncated);

/// CPU_ZERO + CPU_SET for each of `cpus`, then pthread_setaffinity_np on the calling thread. Returns 0 or an errno.
int CLinux_pin_current_thread(const int *cpus, size_t count);

/// sched_getaffinity of the calling thread into `cpus` (capacity `cap`); returns the count or -errno.
int CLinux_current_affinity(int *cpus, size_t cap);

/// Raw per-thread credential syscalls. Glibc's setresuid/setresgid/setgroups change every thread of the process
/// (POSIX semantics via signals); the raw syscalls change only the calling thread, which is what the fsdev needs.
/// Return 0 or -errno.
long CLinux_thread_setresuid(uid_t r, uid_t e, uid_t s);
long CLinux_thread_setresgid(gid_t r, gid_t e, gid_t s);
long CLinux_thread_setgroups(size_t size, const gid_t *list);

/// renameat2(2). Returns 0 or -errno.
long CLinux_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// Largest file handle the kernel returns (MAX_HANDLE_SZ in <fcntl.h>).
#define CLINUX_MAX_HANDLE_SIZE 128
/// AT_HANDLE_MNT_ID_UNIQUE (Linux 6.12): name_to_handle_at stores a 64-bit mount id that is never reused. Older
/// headers (Debian 12's) lack it; older kernels refuse it with EINVAL.
#define CLINUX_AT_HANDLE_MNT_ID_UNIQUE 0x001

/// name_to_handle_at(2) into a MAX_HANDLE_SZ buffer. Copies the handle's bytes into `bytes` (capacity
/// CLINUX_MAX_HANDLE_SIZE), their count into `*length`, the handle type into `*type`, and the mount id into
/// `*mount_id` (the 64-bit unique id with CLINUX_AT_HANDLE_MNT_ID_UNIQUE in `flags`, the classic int otherwise).
/// Returns 0, or -1 with errno set. (struct file_handle ends in a flexible array, which Swift cannot build.)
int CLinux_name_to_handle_at(int dirfd, const char *path, unsigned char *bytes, unsigned int *length, int *type,
                             uint64_t *mount_id, int flags);

/// open_by_handle_at(2) of a handle given as its bytes and type. Returns a descriptor, or -1 with errno set.
int CLinux_open_by_handle_at(int mount_fd, const unsigned char *bytes, unsigned int length, int type, int flags);

/// Heap bytes in use (mallinfo2's uordblks + hblkhd), for memory benchmarks. <malloc.h> is not part of Swift's
/// Glibc module.
size_t CLinux_heap_bytes_in_use(void);

/// bind/connect/accept4 with plain pointers. In GNU mode Glibc declares them with transparent-union arguments,
/// which Swift cannot pass; these forward unchanged.
int CLinux_bind(int fd, const struct sockaddr *addr, socklen_t len);
int CLinux_connect(int fd, const struct sockaddr *addr, socklen_t len);
int CLinux_accept4(int fd, int flags);

/// gettid(2).
long CLinux_gettid(void);

/// SIGBUS guard for guest memory (GuestMemoryGuard.c). The first registration installs a SIGBUS handler (the
/// previous disposition is kept for every other SIGBUS). A fault inside a registered range is repaired by mapping
/// anonymous zero pages (`granule` bytes, MAP_FIXED) over the faulting page of that range and counted; any other
/// SIGBUS gets the previous disposition. Register returns a slot (>= 0) or -errno (-ENOSPC: 4096 live ranges);
/// unregister before unmapping the range.
long CLinux_guest_memory_guard_register(void *start, size_t length, size_t granule);
void CLinux_guest_memory_guard_unregister(long slot);
/// Faults repaired in the range of `slot`.
uint32_t CLinux_guest_memory_guard_faults(long slot);
/// Faults repaired in any range so far (a cheap "did anything happen" check for pollers).
uint64_t CLinux_guest_memory_guard_generation(void);

/// errno of the calling thread (a macro in Glibc).
static inline int CLinux_errno(void) { extern int *__errno_location(void); return *__errno_location(); }

#endif
