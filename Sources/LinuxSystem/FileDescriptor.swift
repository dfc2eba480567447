import CLinux
import Glibc

/// An owned file descriptor: closed exactly once, when the last reference goes away.
///
/// Unlike swift-system's `FileDescriptor`, this type owns the lifetime of the descriptor. Share it by reference;
/// never close `rawValue` yourself.
public final class FileDescriptor: Sendable, CustomStringConvertible {
    /// The descriptor number. Valid for as long as this object is alive.
    public let rawValue: CInt

    /// Takes ownership of `rawValue`, which must be an open descriptor that nobody else will close.
    public init(taking rawValue: CInt) {
        precondition(rawValue >= 0, "FileDescriptor(taking:) needs an open descriptor, got \(rawValue)")
        self.rawValue = rawValue
    }

    deinit {
        // close(2) must not be retried on EINTR on Linux: the descriptor is released either way.
        _ = Glibc.close(rawValue)
    }

    public var description: String { "fd \(rawValue)" }

    /// Duplicates the descriptor with O_CLOEXEC. The corresponding C function is `fcntl(F_DUPFD_CLOEXEC)`.
    public func duplicate() throws(Errno) -> FileDescriptor {
        let fd = try SystemCall.valueOrErrno { fcntl(rawValue, F_DUPFD_CLOEXEC, 0) }.get()
        return FileDescriptor(taking: fd)
    }

    /// Opens `path` relative to `directory` (or the working directory when nil). The corresponding C function is
    /// `openat`. O_CLOEXEC is always added.
    public static func open(
        _ path: String, relativeTo directory: FileDescriptor? = nil, flags: CInt, mode: mode_t = 0
    ) throws(Errno) -> FileDescriptor {
        let dirfd = directory?.rawValue ?? AT_FDCWD
        let fd = try SystemCall.valueOrErrno { openat(dirfd, path, flags | O_CLOEXEC, mode) }.get()
        return FileDescriptor(taking: fd)
    }

    /// Opens `path` relative to `directory` (or the working directory when nil) with `access` and `options`. The
    /// corresponding C function is `openat`. O_CLOEXEC is always added.
    public static func open(
        _ path: String, relativeTo directory: FileDescriptor? = nil, access: OpenAccess = .readOnly,
        options: OpenOptions, mode: mode_t = 0
    ) throws(Errno) -> FileDescriptor {
        try open(path, relativeTo: directory, flags: access.rawValue | options.rawValue, mode: mode)
    }

    /// Reads up to `count` bytes at `offset`. The corresponding C function is `pread`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try SystemCall.valueOrErrno { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }.get()
    }

    /// Writes `buffer` at `offset`. The corresponding C function is `pwrite`.
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try SystemCall.valueOrErrno { pwrite(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }.get()
    }

    /// Reads from the current position. The corresponding C function is `read`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try SystemCall.valueOrErrno { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }.get()
    }

    /// Writes at the current position. The corresponding C function is `write`.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try SystemCall.valueOrErrno { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }.get()
    }

    /// Sets the file size. The corresponding C function is `ftruncate`.
    public func truncate(to size: Int64) throws(Errno) {
        _ = try SystemCall.valueOrErrno { ftruncate(rawValue, off_t(size)) }.get()
    }

    /// The status of the open file. The corresponding C function is `fstat`.
    public func status() throws(Errno) -> stat {
        var st = stat()
        _ = try SystemCall.valueOrErrno { fstat(rawValue, &st) }.get()
        return st
    }

    /// Sets or clears O_NONBLOCK. The corresponding C function is `fcntl(F_SETFL)`.
    public func setNonBlocking(_ on: Bool) throws(Errno) {
        let flags = try SystemCall.valueOrErrno { fcntl(rawValue, F_GETFL) }.get()
        let newFlags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        _ = try SystemCall.valueOrErrno { fcntl(rawValue, F_SETFL, newFlags) }.get()
    }

    /// The file's seals (F_SEAL_SEAL, F_SEAL_SHRINK...). The corresponding C function is `fcntl(F_GET_SEALS)`.
    /// - Throws: EINVAL when the file does not support sealing (only memfd, tmpfs and hugetlbfs files do).
    public func seals() throws(Errno) -> CInt {
        try SystemCall.valueOrErrno { fcntl(rawValue, F_GET_SEALS) }.get()
    }

    /// Adds `seals`. The corresponding C function is `fcntl(F_ADD_SEALS)`.
    /// - Throws: EPERM when F_SEAL_SEAL is set, EINVAL when the file does not support sealing.
    public func addSeals(_ seals: CInt) throws(Errno) {
        _ = try SystemCall.valueOrErrno { fcntl(rawValue, F_ADD_SEALS, seals) }.get()
    }

    /// Number of descriptors open in this process (entries of /proc/self/fd), for leak checks.
    public static func openCount() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(dir) }
        var n = 0
        while let entry = readdir(dir) {
            // SAFETY: the dirent returned by readdir is valid until the next readdir; only its first byte is read.
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { raw in raw[0] == UInt8(ascii: ".") }
            if !isDot { n += 1 }
        }
        return n - 1  // the descriptor opendir itself holds
    }
}
