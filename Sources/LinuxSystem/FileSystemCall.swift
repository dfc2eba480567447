import CLinux
import Glibc

/// Thin typed wrappers over the path and file system calls of the passthrough filesystem.
///
/// Names are NUL-terminated C strings the caller has already copied out of guest memory and validated; directory
/// arguments are raw descriptor numbers the caller keeps open for the duration of the call. Every wrapper retries
/// EINTR and reports failure as `Errno`. None allocates.
public enum FileSystemCall {
    /// UTIME_NOW for `setTimes`: `((1l << 30) - 1l)` in <bits/stat.h>, a macro Swift does not import.
    public static let timeNow = (1 << 30) - 1
    /// UTIME_OMIT for `setTimes`: `((1l << 30) - 2l)` in <bits/stat.h>.
    public static let timeOmit = (1 << 30) - 2

    /// Opens `path` relative to `directory` with `access` and `options`; O_CLOEXEC is always added. The
    /// corresponding C function is `openat`.
    @inlinable
    public static func open(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, access: OpenAccess = .readOnly,
        options: OpenOptions, mode: mode_t = 0
    ) throws(Errno) -> FileDescriptor {
        let flags = access.rawValue | options.rawValue | O_CLOEXEC
        let fd = try SystemCall.valueOrErrno { openat(directory, path, flags, mode) }.get()
        return FileDescriptor(taking: fd)
    }

    /// Status of `path` relative to `directory`. The corresponding C function is `fstatat`.
    @inlinable
    public static func status(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, flags: CInt
    ) throws(Errno) -> stat {
        var st = stat()
        _ = try SystemCall.valueOrErrno { fstatat(directory, path, &st, flags) }.get()
        return st
    }

    /// Status of the inode `descriptor` names (works on O_PATH descriptors, does not follow symlinks). The
    /// corresponding C function is `fstatat(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)`.
    @inlinable
    public static func status(of descriptor: CInt) throws(Errno) -> stat {
        var st = stat()
        _ = try SystemCall.valueOrErrno {
            fstatat(descriptor, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
        }.get()
        return st
    }

    /// Extended status of `path` relative to `directory`, not following a final symlink or automount. The
    /// corresponding C function is `statx`.
    public static func extendedStatus(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, mask: UInt32
    ) throws(Errno) -> statx {
        var sx = statx()
        _ = try SystemCall.valueOrErrno { CLinux_statx(directory, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, mask, &sx) }
            .get()
        return sx
    }

    /// Extended status of the inode `descriptor` names. `flags` may carry AT_STATX_* sync bits. The corresponding
    /// C function is `statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | flags, mask)`.
    @inlinable
    public static func extendedStatus(of descriptor: CInt, flags: CInt, mask: UInt32) throws(Errno) -> statx {
        var sx = statx()
        let f = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | (flags & AT_STATX_SYNC_TYPE)
        _ = try SystemCall.valueOrErrno { CLinux_statx(descriptor, "", f, mask, &sx) }.get()
        return sx
    }

    /// Creates a directory. The corresponding C function is `mkdirat`.
    @inlinable
    public static func makeDirectory(
        _ name: UnsafePointer<CChar>, relativeTo directory: CInt, mode: mode_t
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { mkdirat(directory, name, mode) }.get()
    }

    /// Creates a file system node (regular file, device, FIFO, socket). The corresponding C function is `mknodat`.
    @inlinable
    public static func makeNode(
        _ name: UnsafePointer<CChar>, relativeTo directory: CInt, mode: mode_t, device: dev_t
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { mknodat(directory, name, mode, device) }.get()
    }

    /// Creates a symbolic link `name` whose content is `target` (never resolved here). The corresponding C function
    /// is `symlinkat`.
    @inlinable
    public static func makeSymbolicLink(
        _ name: UnsafePointer<CChar>, relativeTo directory: CInt, target: UnsafePointer<CChar>
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { symlinkat(target, directory, name) }.get()
    }

    /// Removes a name (AT_REMOVEDIR in `flags` for a directory). The corresponding C function is `unlinkat`.
    @inlinable
    public static func unlink(_ name: UnsafePointer<CChar>, relativeTo directory: CInt, flags: CInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno { unlinkat(directory, name, flags) }.get()
    }

    /// Renames with RENAME_* `flags`. The corresponding C function is `renameat2`.
    @inlinable
    public static func rename(
        _ name: UnsafePointer<CChar>, relativeTo directory: CInt,
        to newName: UnsafePointer<CChar>, relativeTo newDirectory: CInt, flags: UInt32
    ) throws(Errno) {
        _ = try SystemCall.negativeErrno { CLinux_renameat2(directory, name, newDirectory, newName, flags) }.get()
    }

    /// Creates a hard link. The corresponding C function is `linkat`.
    @inlinable
    public static func link(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt,
        to newName: UnsafePointer<CChar>, relativeTo newDirectory: CInt, flags: CInt
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { linkat(directory, path, newDirectory, newName, flags) }.get()
    }

    /// Reads a symbolic link's content into `buffer` and returns its length (not NUL-terminated). The
    /// corresponding C function is `readlinkat`.
    @inlinable
    public static func readLink(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Int {
        guard let base = buffer.baseAddress else { throw .invalidArgument }
        return try SystemCall.valueOrErrno {
            readlinkat(directory, path, base.assumingMemoryBound(to: CChar.self), buffer.count)
        }.get()
    }

    /// Changes permissions. The corresponding C function is `fchmodat`.
    @inlinable
    public static func setMode(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, mode: mode_t
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { fchmodat(directory, path, mode, 0) }.get()
    }

    /// Changes permissions of an open file. The corresponding C function is `fchmod`.
    @inlinable
    public static func setMode(of descriptor: CInt, mode: mode_t) throws(Errno) {
        _ = try SystemCall.valueOrErrno { fchmod(descriptor, mode) }.get()
    }

    /// Changes owner and/or group (uid_t.max / gid_t.max leave one unchanged). The corresponding C function is
    /// `fchownat`.
    @inlinable
    public static func setOwner(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, owner: uid_t, group: gid_t, flags: CInt
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { fchownat(directory, path, owner, group, flags) }.get()
    }

    /// Sets access and modification times (`timeNow`/`timeOmit` in tv_nsec). The corresponding C function is
    /// `utimensat`.
    @inlinable
    public static func setTimes(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, access: timespec, modification: timespec,
        flags: CInt
    ) throws(Errno) {
        var times = (access, modification)
        _ = try SystemCall.valueOrErrno {
            withUnsafePointer(to: &times) { p in
                p.withMemoryRebound(to: timespec.self, capacity: 2) { utimensat(directory, path, $0, flags) }
            }
        }.get()
    }

    /// Sets times of an open file. The corresponding C function is `futimens`.
    @inlinable
    public static func setTimes(of descriptor: CInt, access: timespec, modification: timespec) throws(Errno) {
        var times = (access, modification)
        _ = try SystemCall.valueOrErrno {
            withUnsafePointer(to: &times) { p in
                p.withMemoryRebound(to: timespec.self, capacity: 2) { futimens(descriptor, $0) }
            }
        }.get()
    }

    /// Sets the size of the file at `path`. The corresponding C function is `truncate`.
    @inlinable
    public static func truncate(_ path: UnsafePointer<CChar>, size: Int64) throws(Errno) {
        _ = try SystemCall.valueOrErrno { Glibc.truncate(path, off_t(size)) }.get()
    }

    /// Sets the size of an open file. The corresponding C function is `ftruncate`.
    @inlinable
    public static func truncate(_ descriptor: CInt, size: Int64) throws(Errno) {
        _ = try SystemCall.valueOrErrno { ftruncate(descriptor, off_t(size)) }.get()
    }

    /// File system statistics (works on O_PATH descriptors). The corresponding C function is `fstatvfs`.
    @inlinable
    public static func fileSystemStatus(of descriptor: CInt) throws(Errno) -> statvfs {
        var st = statvfs()
        _ = try SystemCall.valueOrErrno { fstatvfs(descriptor, &st) }.get()
        return st
    }

    /// Flushes file data (and metadata unless `dataOnly`). The corresponding C functions are `fsync` and
    /// `fdatasync`.
    @inlinable
    public static func synchronize(_ descriptor: CInt, dataOnly: Bool) throws(Errno) {
        _ = try SystemCall.valueOrErrno { dataOnly ? fdatasync(descriptor) : fsync(descriptor) }.get()
    }

    /// Flushes the whole file system containing `descriptor`. The corresponding C function is `syncfs`.
    @inlinable
    public static func synchronizeFileSystem(_ descriptor: CInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_syncfs(descriptor) }.get()
    }

    /// BSD lock operation (LOCK_SH/LOCK_EX/LOCK_UN, optionally LOCK_NB). EINTR is not retried so that a caller
    /// can tell. The corresponding C function is `flock`.
    @inlinable
    public static func lock(_ descriptor: CInt, operation: CInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno(retryOnInterrupt: false) { flock(descriptor, operation) }.get()
    }

    /// Allocates, punches or zeroes a range (FALLOC_FL_* `mode`). Unlike `posix_fallocate`, reports failure
    /// through errno. The corresponding C function is `fallocate`.
    @inlinable
    public static func allocate(_ descriptor: CInt, mode: CInt, offset: Int64, length: Int64) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_fallocate(descriptor, mode, off_t(offset), off_t(length)) }.get()
    }

    /// Copies up to `length` bytes between files in the kernel; returns the count. The corresponding C function
    /// is `copy_file_range`.
    @inlinable
    public static func copyRange(
        from source: CInt, at sourceOffset: Int64, to destination: CInt, at destinationOffset: Int64,
        length: Int, flags: UInt32
    ) throws(Errno) -> Int {
        var inOff = off_t(sourceOffset)
        var outOff = off_t(destinationOffset)
        return try SystemCall.valueOrErrno {
            CLinux_copy_file_range(source, &inOff, destination, &outOff, length, flags)
        }.get()
    }

    /// Repositions (SEEK_SET/CUR/END/DATA/HOLE) and returns the new offset. The corresponding C function is `lseek`.
    @inlinable
    public static func seek(_ descriptor: CInt, offset: Int64, whence: CInt) throws(Errno) -> Int64 {
        Int64(try SystemCall.valueOrErrno { lseek(descriptor, off_t(offset), whence) }.get())
    }

    /// Checks access with the effective ids (AT_EACCESS is added). The corresponding C function is `faccessat`.
    @inlinable
    public static func checkAccess(
        _ path: UnsafePointer<CChar>, relativeTo directory: CInt, mode: CInt
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { faccessat(directory, path, mode, AT_EACCESS) }.get()
    }

    /// Closes a duplicate of `descriptor`: what close(2) of the guest's file means to the host (flushes on NFS,
    /// releases classic POSIX locks of this process). The corresponding C functions are `dup` and `close`.
    @inlinable
    public static func closeDuplicate(of descriptor: CInt) throws(Errno) {
        let d = try SystemCall.valueOrErrno { dup(descriptor) }.get()
        _ = try SystemCall.valueOrErrno(retryOnInterrupt: false) { Glibc.close(d) }.get()
    }

    /// RWF_NOWAIT for `readVectors`: fail with EAGAIN instead of waiting for I/O (data not in the page cache).
    public static let noWait = CInt(RWF_NOWAIT)

    /// Reads into `count` vectors at `offset` with RWF_* `flags`; returns the byte count (0 at end of file). The
    /// corresponding C function is `preadv2`.
    @inlinable
    public static func readVectors(
        _ descriptor: CInt, _ vectors: UnsafePointer<iovec>, count: Int, offset: Int64, flags: CInt
    ) throws(Errno) -> Int {
        guard let n = CInt(exactly: count) else { throw .invalidArgument }
        return try SystemCall.valueOrErrno { CLinux_preadv2(descriptor, vectors, n, off_t(offset), flags) }.get()
    }

    /// Writes `count` vectors at `offset` with RWF_* `flags`; returns the byte count written (possibly short). The
    /// corresponding C function is `pwritev2`.
    @inlinable
    public static func writeVectors(
        _ descriptor: CInt, _ vectors: UnsafePointer<iovec>, count: Int, offset: Int64, flags: CInt
    ) throws(Errno) -> Int {
        guard let n = CInt(exactly: count) else { throw .invalidArgument }
        return try SystemCall.valueOrErrno { CLinux_pwritev2(descriptor, vectors, n, off_t(offset), flags) }.get()
    }

    /// Open-file-description lock command (F_OFD_GETLK / F_OFD_SETLK) on `lock`. The corresponding C function is
    /// `fcntl`.
    @inlinable
    public static func openFileDescriptionLock(_ descriptor: CInt, command: CInt, lock: inout flock) throws(Errno) {
        _ = try SystemCall.valueOrErrno { fcntl(descriptor, command, &lock) }.get()
    }
}
