import CLinux
import Glibc

/// Per-thread credentials and filesystem attributes.
///
/// Glibc's `setresuid`/`setresgid`/`setgroups` apply to every thread of the process (POSIX semantics, done with
/// signals). These wrappers use the raw system calls, which change only the calling thread: a reactor creating a
/// file for a guest caller must not change the credentials of the other reactors.
public enum ThreadCredentials {
    /// The calling thread's effective user id. The corresponding C function is `geteuid`.
    @inlinable public static var effectiveUserID: uid_t { geteuid() }

    /// The calling thread's effective group id. The corresponding C function is `getegid`.
    @inlinable public static var effectiveGroupID: gid_t { getegid() }

    /// Sets only the effective user id of the calling thread (real and saved unchanged, so root can switch back).
    /// The corresponding C function is the raw `setresuid` system call.
    public static func setEffectiveUserID(_ uid: uid_t) throws(Errno) {
        _ = try SystemCall.negativeErrno { CLinux_thread_setresuid(uid_t.max, uid, uid_t.max) }.get()
    }

    /// Sets only the effective group id of the calling thread. The corresponding C function is the raw
    /// `setresgid` system call.
    public static func setEffectiveGroupID(_ gid: gid_t) throws(Errno) {
        _ = try SystemCall.negativeErrno { CLinux_thread_setresgid(gid_t.max, gid, gid_t.max) }.get()
    }

    /// Replaces the supplementary groups of the calling thread. The corresponding C function is the raw
    /// `setgroups` system call.
    public static func setSupplementaryGroups(_ groups: UnsafeBufferPointer<gid_t>) throws(Errno) {
        _ = try SystemCall.negativeErrno { CLinux_thread_setgroups(groups.count, groups.baseAddress) }.get()
    }

    /// Copies the calling thread's supplementary groups into `groups` and returns how many there are. The
    /// corresponding C function is `getgroups`.
    public static func supplementaryGroups(into groups: UnsafeMutableBufferPointer<gid_t>) throws(Errno) -> Int {
        guard let cap = Int32(exactly: groups.count) else { throw .invalidArgument }
        return Int(try SystemCall.valueOrErrno { getgroups(cap, groups.baseAddress) }.get())
    }

    /// Sets the file mode creation mask and returns the previous one. Per thread only after
    /// `unshareFileSystemAttributes()`. The corresponding C function is `umask`.
    @inlinable @discardableResult
    public static func setUmask(_ mask: mode_t) -> mode_t { umask(mask) }

    /// Gives the calling thread its own umask, working directory and root (instead of sharing the process's), so
    /// that `setUmask` affects this thread only. The corresponding C function is `unshare(CLONE_FS)`.
    public static func unshareFileSystemAttributes() throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_unshare(CLinux_CLONE_FS) }.get()
    }
}
