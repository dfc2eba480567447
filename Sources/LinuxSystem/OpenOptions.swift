import Glibc

/// How a file is opened for I/O: the O_ACCMODE part of open(2)'s flags, as swift-system's
/// `FileDescriptor.AccessMode` (not an option set: O_RDONLY is 0).
public struct OpenAccess: RawRepresentable, Hashable, Sendable {
    /// The O_ACCMODE bits.
    public let rawValue: CInt

    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Read only. The corresponding C constant is `O_RDONLY`.
    public static var readOnly: OpenAccess { OpenAccess(rawValue: O_RDONLY) }
    /// Write only. The corresponding C constant is `O_WRONLY`.
    public static var writeOnly: OpenAccess { OpenAccess(rawValue: O_WRONLY) }
    /// Read and write. The corresponding C constant is `O_RDWR`.
    public static var readWrite: OpenAccess { OpenAccess(rawValue: O_RDWR) }

    /// The access mode of raw open(2) flags (untrusted ones, from a guest), nil for the invalid O_ACCMODE value 3.
    public init?(flags: CInt) {
        let mode = flags & O_ACCMODE
        guard mode != O_ACCMODE else { return nil }
        rawValue = mode
    }
}

/// The options of open(2), openat(2) and open_by_handle_at(2) besides the access mode, in the style of
/// swift-system's `FileDescriptor.OpenOptions` (which lacks O_PATH, O_NOATIME, O_DIRECT, O_TMPFILE and O_NOCTTY on
/// Linux). The wrappers always add O_CLOEXEC.
public struct OpenOptions: OptionSet, Hashable, Sendable {
    public let rawValue: CInt

    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// A location-only descriptor: no I/O, no permission to read needed. The corresponding C constant is `O_PATH`.
    public static var path: OpenOptions { OpenOptions(rawValue: O_PATH) }
    /// Fail with ELOOP when the last component is a symlink (with `.path`: open the link itself). The
    /// corresponding C constant is `O_NOFOLLOW`.
    public static var noFollow: OpenOptions { OpenOptions(rawValue: O_NOFOLLOW) }
    /// Fail with ENOTDIR unless a directory. The corresponding C constant is `O_DIRECTORY`.
    public static var directory: OpenOptions { OpenOptions(rawValue: O_DIRECTORY) }
    /// Create the file if it does not exist. The corresponding C constant is `O_CREAT`.
    public static var create: OpenOptions { OpenOptions(rawValue: O_CREAT) }
    /// With `.create`: fail with EEXIST when the name exists (a symlink included). The corresponding C constant is
    /// `O_EXCL`.
    public static var exclusiveCreate: OpenOptions { OpenOptions(rawValue: O_EXCL) }
    /// Truncate a regular file opened for writing. The corresponding C constant is `O_TRUNC`.
    public static var truncate: OpenOptions { OpenOptions(rawValue: O_TRUNC) }
    /// Every write at the end. The corresponding C constant is `O_APPEND`.
    public static var append: OpenOptions { OpenOptions(rawValue: O_APPEND) }
    /// Do not block in open or I/O (FIFOs, devices). The corresponding C constant is `O_NONBLOCK`.
    public static var nonBlocking: OpenOptions { OpenOptions(rawValue: O_NONBLOCK) }
    /// Never become the controlling terminal. The corresponding C constant is `O_NOCTTY`.
    public static var noControllingTerminal: OpenOptions { OpenOptions(rawValue: O_NOCTTY) }
    /// Writes complete with data and metadata on disk. The corresponding C constant is `O_SYNC`.
    public static var sync: OpenOptions { OpenOptions(rawValue: O_SYNC) }
    /// Writes complete with data on disk. The corresponding C constant is `O_DSYNC`.
    public static var dataSync: OpenOptions { OpenOptions(rawValue: O_DSYNC) }
    /// Reads do not update the access time (owner or CAP_FOWNER only). The corresponding C constant is
    /// `O_NOATIME`.
    public static var noAccessTime: OpenOptions { OpenOptions(rawValue: O_NOATIME) }
    /// I/O bypasses the page cache. The corresponding C constant is `O_DIRECT`.
    public static var direct: OpenOptions { OpenOptions(rawValue: O_DIRECT) }
    /// An unnamed regular file in the directory opened (includes O_DIRECTORY). The corresponding C constant is
    /// `O_TMPFILE`.
    public static var temporaryFile: OpenOptions { OpenOptions(rawValue: O_TMPFILE) }
    /// Closed across execve. The corresponding C constant is `O_CLOEXEC`.
    public static var closeOnExec: OpenOptions { OpenOptions(rawValue: O_CLOEXEC) }
}
