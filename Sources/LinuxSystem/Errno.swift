import Glibc

/// A POSIX error number, as the kernel reports it.
///
/// Every layer above the system speaks `Errno`; the FUSE layer sends its negated raw value to the guest.
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The C errno value (positive).
    public let rawValue: CInt

    @inlinable public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    @inlinable public static var current: Errno { Errno(rawValue: errno) }

    public var description: String {
        guard let s = strerror(rawValue) else { return "errno \(rawValue)" }
        return String(cString: s) + " (errno \(rawValue))"
    }

    /// Operation not permitted. The corresponding C error is `EPERM`.
    public static let notPermitted = Errno(rawValue: EPERM)
    /// No such file or directory. The corresponding C error is `ENOENT`.
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// Interrupted system call. The corresponding C error is `EINTR`.
    public static let interrupted = Errno(rawValue: EINTR)
    /// Input/output error. The corresponding C error is `EIO`.
    public static let ioError = Errno(rawValue: EIO)
    /// Bad file descriptor. The corresponding C error is `EBADF`.
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    /// Resource temporarily unavailable. The corresponding C error is `EAGAIN`.
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// Cannot allocate memory. The corresponding C error is `ENOMEM`.
    public static let noMemory = Errno(rawValue: ENOMEM)
    /// Permission denied. The corresponding C error is `EACCES`.
    public static let permissionDenied = Errno(rawValue: EACCES)
    /// Bad address. The corresponding C error is `EFAULT`.
    public static let badAddress = Errno(rawValue: EFAULT)
    /// Device or resource busy. The corresponding C error is `EBUSY`.
    public static let busy = Errno(rawValue: EBUSY)
    /// File exists. The corresponding C error is `EEXIST`.
    public static let fileExists = Errno(rawValue: EEXIST)
    /// Invalid cross-device link. The corresponding C error is `EXDEV`.
    public static let crossDevice = Errno(rawValue: EXDEV)
    /// Not a directory. The corresponding C error is `ENOTDIR`.
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    /// Is a directory. The corresponding C error is `EISDIR`.
    public static let isDirectory = Errno(rawValue: EISDIR)
    /// Invalid argument. The corresponding C error is `EINVAL`.
    public static let invalidArgument = Errno(rawValue: EINVAL)
    /// Too many open files. The corresponding C error is `EMFILE`.
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    /// Too many open files in system. The corresponding C error is `ENFILE`.
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    /// File too large. The corresponding C error is `EFBIG`.
    public static let fileTooLarge = Errno(rawValue: EFBIG)
    /// No space left on device. The corresponding C error is `ENOSPC`.
    public static let noSpace = Errno(rawValue: ENOSPC)
    /// Read-only file system. The corresponding C error is `EROFS`.
    public static let readOnlyFileSystem = Errno(rawValue: EROFS)
    /// Broken pipe. The corresponding C error is `EPIPE`.
    public static let brokenPipe = Errno(rawValue: EPIPE)
    /// Numerical result out of range. The corresponding C error is `ERANGE`.
    public static let outOfRange = Errno(rawValue: ERANGE)
    /// File name too long. The corresponding C error is `ENAMETOOLONG`.
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    /// Function not implemented. The corresponding C error is `ENOSYS`.
    public static let notImplemented = Errno(rawValue: ENOSYS)
    /// Directory not empty. The corresponding C error is `ENOTEMPTY`.
    public static let directoryNotEmpty = Errno(rawValue: ENOTEMPTY)
    /// Too many levels of symbolic links. The corresponding C error is `ELOOP`.
    public static let tooManySymbolicLinks = Errno(rawValue: ELOOP)
    /// No data available (no such xattr). The corresponding C error is `ENODATA`.
    public static let noData = Errno(rawValue: ENODATA)
    /// Value too large for defined data type. The corresponding C error is `EOVERFLOW`.
    public static let overflow = Errno(rawValue: EOVERFLOW)
    /// Operation not supported. The corresponding C error is `EOPNOTSUPP`.
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    /// Connection reset by peer. The corresponding C error is `ECONNRESET`.
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    /// Connection refused. The corresponding C error is `ECONNREFUSED`.
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// Protocol error. The corresponding C error is `EPROTO`.
    public static let protocolError = Errno(rawValue: EPROTO)
    /// Operation canceled. The corresponding C error is `ECANCELED`.
    public static let canceled = Errno(rawValue: ECANCELED)
    /// Message too long. The corresponding C error is `EMSGSIZE`.
    public static let messageTooLong = Errno(rawValue: EMSGSIZE)
    /// Too many links. The corresponding C error is `EMLINK`.
    public static let tooManyLinks = Errno(rawValue: EMLINK)
    /// No such device. The corresponding C error is `ENODEV`.
    public static let noDevice = Errno(rawValue: ENODEV)
    /// Stale file handle. The corresponding C error is `ESTALE`.
    public static let stale = Errno(rawValue: ESTALE)
}
