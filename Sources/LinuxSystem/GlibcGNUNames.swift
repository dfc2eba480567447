import CLinux
import Glibc

// What Glibc declares only under _GNU_SOURCE, by its C name. The package builds without _GNU_SOURCE (so that its
// products can be dependencies of other packages: SwiftPM refuses unsafe flags there), and Swift's Glibc module then
// lacks these. CLinux exports them as CLinux_<c name>, checked against Glibc's values when CLinux.c is compiled in
// GNU mode; this file gives them back their C names, with the types Swift gave them in GNU mode, so that code reads
// like the man pages. Calls that need _GNU_SOURCE go through CLinux_* functions inside LinuxSystem.

/// open(2): a descriptor that only names a file (no I/O). `O_PATH`.
@inlinable public var O_PATH: CInt { CLinux_O_PATH }
/// open(2): bypass the page cache. `O_DIRECT`.
@inlinable public var O_DIRECT: CInt { CLinux_O_DIRECT }
/// open(2): do not update the access time. `O_NOATIME`.
@inlinable public var O_NOATIME: CInt { CLinux_O_NOATIME }
/// open(2): an unnamed file in the given directory. `O_TMPFILE`.
@inlinable public var O_TMPFILE: CInt { CLinux_O_TMPFILE }

/// *at(2): operate on the directory descriptor itself when the path is empty. `AT_EMPTY_PATH`.
@inlinable public var AT_EMPTY_PATH: CInt { CLinux_AT_EMPTY_PATH }
/// *at(2): do not trigger an automount at the final component. `AT_NO_AUTOMOUNT`.
@inlinable public var AT_NO_AUTOMOUNT: CInt { CLinux_AT_NO_AUTOMOUNT }
/// statx(2): the mask of the sync-type flags. `AT_STATX_SYNC_TYPE`.
@inlinable public var AT_STATX_SYNC_TYPE: CInt { CLinux_AT_STATX_SYNC_TYPE }

/// preadv2(2): fail with EAGAIN rather than wait for the disk. `RWF_NOWAIT`.
@inlinable public var RWF_NOWAIT: CInt { CLinux_RWF_NOWAIT }

/// memfd_create(2): close on exec. `MFD_CLOEXEC`.
@inlinable public var MFD_CLOEXEC: UInt32 { CLinux_MFD_CLOEXEC }
/// memfd_create(2): the file accepts seals. `MFD_ALLOW_SEALING`.
@inlinable public var MFD_ALLOW_SEALING: UInt32 { CLinux_MFD_ALLOW_SEALING }

/// fcntl(2): add seals. `F_ADD_SEALS`.
@inlinable public var F_ADD_SEALS: CInt { CLinux_F_ADD_SEALS }
/// fcntl(2): read the seals. `F_GET_SEALS`.
@inlinable public var F_GET_SEALS: CInt { CLinux_F_GET_SEALS }
/// Seal: no further seals. `F_SEAL_SEAL`.
@inlinable public var F_SEAL_SEAL: CInt { CLinux_F_SEAL_SEAL }
/// Seal: the file may not shrink. `F_SEAL_SHRINK`.
@inlinable public var F_SEAL_SHRINK: CInt { CLinux_F_SEAL_SHRINK }
/// Seal: the file may not grow. `F_SEAL_GROW`.
@inlinable public var F_SEAL_GROW: CInt { CLinux_F_SEAL_GROW }
/// Seal: the contents may not change. `F_SEAL_WRITE`.
@inlinable public var F_SEAL_WRITE: CInt { CLinux_F_SEAL_WRITE }
/// fcntl(2): test an open file description lock. `F_OFD_GETLK`.
@inlinable public var F_OFD_GETLK: CInt { CLinux_F_OFD_GETLK }
/// fcntl(2): take or release an open file description lock, without waiting. `F_OFD_SETLK`.
@inlinable public var F_OFD_SETLK: CInt { CLinux_F_OFD_SETLK }
/// fcntl(2): take an open file description lock, waiting for it. `F_OFD_SETLKW`.
@inlinable public var F_OFD_SETLKW: CInt { CLinux_F_OFD_SETLKW }

/// unshare(2): a private working directory, root and umask. `CLONE_FS`.
@inlinable public var CLONE_FS: CInt { CLinux_CLONE_FS }
/// clone(2): the child is a thread of the caller's process. `CLONE_THREAD`.
@inlinable public var CLONE_THREAD: CInt { CLinux_CLONE_THREAD }
/// unshare(2): a new mount namespace. `CLONE_NEWNS`.
@inlinable public var CLONE_NEWNS: CInt { CLinux_CLONE_NEWNS }
/// unshare(2): a new IPC namespace. `CLONE_NEWIPC`.
@inlinable public var CLONE_NEWIPC: CInt { CLinux_CLONE_NEWIPC }
/// unshare(2): a new user namespace. `CLONE_NEWUSER`.
@inlinable public var CLONE_NEWUSER: CInt { CLinux_CLONE_NEWUSER }
/// unshare(2): a new PID namespace for the children. `CLONE_NEWPID`.
@inlinable public var CLONE_NEWPID: CInt { CLinux_CLONE_NEWPID }
/// unshare(2): a new network namespace. `CLONE_NEWNET`.
@inlinable public var CLONE_NEWNET: CInt { CLinux_CLONE_NEWNET }

/// lseek(2): the next data at or after the offset. `SEEK_DATA`.
@inlinable public var SEEK_DATA: CInt { CLinux_SEEK_DATA }
/// lseek(2): the next hole at or after the offset. `SEEK_HOLE`.
@inlinable public var SEEK_HOLE: CInt { CLinux_SEEK_HOLE }

/// renameat2(2): fail if the target exists. `RENAME_NOREPLACE`.
@inlinable public var RENAME_NOREPLACE: CInt { CLinux_RENAME_NOREPLACE }
/// renameat2(2): swap the two names. `RENAME_EXCHANGE`.
@inlinable public var RENAME_EXCHANGE: CInt { CLinux_RENAME_EXCHANGE }
/// renameat2(2): leave a whiteout at the source (overlay file systems). `RENAME_WHITEOUT`.
@inlinable public var RENAME_WHITEOUT: CInt { CLinux_RENAME_WHITEOUT }

/// unshare(2). Returns 0, or -1 with errno set. The corresponding C function is `unshare`.
@discardableResult @inlinable
public func unshare(_ flags: CInt) -> CInt { CLinux_unshare(flags) }

/// getrlimit(2) with a named resource (`RLIMIT_NOFILE`): Glibc takes the resource as an enum only in GNU mode, as an
/// int otherwise. Returns 0, or -1 with errno set. The corresponding C function is `getrlimit`.
@discardableResult @inlinable
public func getrlimit(_ resource: __rlimit_resource, _ limit: UnsafeMutablePointer<rlimit>) -> CInt {
    Glibc.getrlimit(__rlimit_resource_t(resource.rawValue), limit)
}

/// setrlimit(2) with a named resource (`RLIMIT_NOFILE`), as `getrlimit(_:_:)`. Returns 0, or -1 with errno set. The
/// corresponding C function is `setrlimit`.
@discardableResult @inlinable
public func setrlimit(_ resource: __rlimit_resource, _ limit: UnsafePointer<rlimit>) -> CInt {
    Glibc.setrlimit(__rlimit_resource_t(resource.rawValue), limit)
}

/// getrusage(2) with a named target (`RUSAGE_SELF`), as `getrlimit(_:_:)`. Returns 0, or -1 with errno set. The
/// corresponding C function is `getrusage`.
@discardableResult @inlinable
public func getrusage(_ who: __rusage_who, _ usage: UnsafeMutablePointer<rusage>) -> CInt {
    Glibc.getrusage(__rusage_who_t(who.rawValue), usage)
}

/// statx(2)'s result (Glibc declares it only in GNU mode; CLinux takes it from <linux/stat.h>). `struct statx`.
public typealias statx = CLinux.statx
/// A statx(2) time stamp. `struct statx_timestamp`.
public typealias statx_timestamp = CLinux.statx_timestamp
/// statx(2) mask: the fields of `stat`. `STATX_BASIC_STATS`.
@inlinable public var STATX_BASIC_STATS: UInt32 { CLinux_STATX_BASIC_STATS }
/// statx(2) mask: `stx_mode`. `STATX_MODE`.
@inlinable public var STATX_MODE: UInt32 { CLinux_STATX_MODE }
/// statx(2) mask: `stx_btime`. `STATX_BTIME`.
@inlinable public var STATX_BTIME: UInt32 { CLinux_STATX_BTIME }
/// statx(2) mask: `stx_mnt_id`. `STATX_MNT_ID`.
@inlinable public var STATX_MNT_ID: UInt32 { CLinux_STATX_MNT_ID }
