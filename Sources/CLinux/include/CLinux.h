// C shim for what Swift cannot import directly from Glibc and the kernel UAPI headers.
// Symbols are named CLinux_<c name>.
//
// This header is read without _GNU_SOURCE, as Swift reads Glibc: a header that defined it would build fd_set and
// friends in GNU mode here and in plain mode in Glibc, and Clang refuses the two definitions. The .c files define
// _GNU_SOURCE before any include, and what Glibc hides without it (O_PATH, statx, preadv2, memfd_create, unshare, ...)
// is exported below as CLinux_<c name> functions and constants, checked against Glibc's own in CLinux.c. LinuxSystem
// (Glibc+GNU.swift) gives the constants back to Swift under their C names.
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
#include <linux/stat.h>

#include "CLinuxSandbox.h"

// MARK: - What Glibc declares only under _GNU_SOURCE
// Values copied from Glibc 2.36 / Linux UAPI; CLinux.c asserts each equals Glibc's own at build time. The types match
// what Swift imported from Glibc in GNU mode (Int32, UInt32 where the C macro is unsigned).

/// open(2) flags.
#define CLinux_O_PATH 010000000
#define CLinux_O_DIRECT 040000
#define CLinux_O_NOATIME 01000000
#define CLinux_O_TMPFILE 020200000
/// *at(2) flags.
#define CLinux_AT_EMPTY_PATH 0x1000
#define CLinux_AT_NO_AUTOMOUNT 0x800
#define CLinux_AT_STATX_SYNC_TYPE 0x6000
/// preadv2(2)/pwritev2(2) flag: fail with EAGAIN instead of waiting for the disk.
#define CLinux_RWF_NOWAIT 0x00000008
/// memfd_create(2) flags.
#define CLinux_MFD_CLOEXEC 1U
#define CLinux_MFD_ALLOW_SEALING 2U
/// fcntl(2) file seals and open file description locks.
#define CLinux_F_ADD_SEALS 1033
#define CLinux_F_GET_SEALS 1034
#define CLinux_F_SEAL_SEAL 0x0001
#define CLinux_F_SEAL_SHRINK 0x0002
#define CLinux_F_SEAL_GROW 0x0004
#define CLinux_F_SEAL_WRITE 0x0008
#define CLinux_F_OFD_GETLK 36
#define CLinux_F_OFD_SETLK 37
#define CLinux_F_OFD_SETLKW 38
/// unshare(2)/clone(2) flags.
#define CLinux_CLONE_FS 0x00000200
#define CLinux_CLONE_THREAD 0x00010000
#define CLinux_CLONE_NEWNS 0x00020000
#define CLinux_CLONE_NEWIPC 0x08000000
#define CLinux_CLONE_NEWUSER 0x10000000
#define CLinux_CLONE_NEWPID 0x20000000
#define CLinux_CLONE_NEWNET 0x40000000
/// lseek(2) whences.
#define CLinux_SEEK_DATA 3
#define CLinux_SEEK_HOLE 4
/// renameat2(2) flags.
#define CLinux_RENAME_NOREPLACE 1
#define CLinux_RENAME_EXCHANGE 2
#define CLinux_RENAME_WHITEOUT 4
/// statx(2) masks (struct statx itself comes from <linux/stat.h>). LinuxSystem gives these back their C names; the
/// kernel header's macros of the same names are hidden from Swift below, so that a file importing both modules
/// sees one of each.
#define CLinux_STATX_MODE 0x00000002U
#define CLinux_STATX_BASIC_STATS 0x000007ffU
#define CLinux_STATX_BTIME 0x00000800U
#define CLinux_STATX_MNT_ID 0x00001000U
#ifndef _GNU_SOURCE
#undef STATX_MODE
#undef STATX_BASIC_STATS
#undef STATX_BTIME
#undef STATX_MNT_ID
#endif

/// statx(2) (struct statx and the STATX_* masks come from <linux/stat.h>). Returns 0, or -1 with errno set.
int CLinux_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buffer);
/// preadv2(2) and pwritev2(2). Return bytes transferred, or -1 with errno set.
ssize_t CLinux_preadv2(int fd, const struct iovec *vectors, int count, off_t offset, int flags);
ssize_t CLinux_pwritev2(int fd, const struct iovec *vectors, int count, off_t offset, int flags);
/// copy_file_range(2). Returns bytes copied, or -1 with errno set.
ssize_t CLinux_copy_file_range(int in_fd, off_t *in_offset, int out_fd, off_t *out_offset, size_t length,
                               unsigned int flags);
/// fallocate(2), syncfs(2). Return 0, or -1 with errno set.
int CLinux_fallocate(int fd, int mode, off_t offset, off_t length);
int CLinux_syncfs(int fd);
/// memfd_create(2). Returns a descriptor, or -1 with errno set.
int CLinux_memfd_create(const char *name, unsigned int flags);
/// getdents64(2). Returns bytes read into `buffer`, 0 at the end, or -1 with errno set.
ssize_t CLinux_getdents64(int fd, void *buffer, size_t length);
/// pthread_setname_np(3) of the calling thread (at most 15 bytes). Returns 0 or an errno.
int CLinux_pthread_setname_self(const char *name);
/// unshare(2), setns(2). Return 0, or -1 with errno set.
int CLinux_unshare(int flags);
int CLinux_setns(int fd, int nstype);
/// Glibc's setresuid(2)/setresgid(2): every thread of the process (unlike CLinux_thread_setresuid). Return 0, or -1
/// with errno set.
int CLinux_setresuid(uid_t r, uid_t e, uid_t s);
int CLinux_setresgid(gid_t r, gid_t e, gid_t s);
/// pipe2(2). Returns 0, or -1 with errno set.
int CLinux_pipe2(int ends[2], int flags);
/// The peer of a connected Unix socket (getsockopt SO_PEERCRED; struct ucred is GNU-only). Returns 0, or -1 with
/// errno set.
int CLinux_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

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
