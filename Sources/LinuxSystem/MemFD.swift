import CLinux
import Glibc

/// Anonymous memory files: the "guest RAM" of tests and the test kit (as QEMU's memory-backend-memfd).
public enum MemFD {
    /// Creates a memfd of `size` bytes. The corresponding C functions are `memfd_create` and `ftruncate`.
    public static func create(name: String, size: UInt64) throws(Errno) -> FileDescriptor {
        let fd = try SystemCall.valueOrErrno { memfd_create(name, UInt32(MFD_CLOEXEC)) }.get()
        let owned = FileDescriptor(taking: fd)
        guard let s = Int64(exactly: size) else { throw .invalidArgument }
        try owned.truncate(to: s)
        return owned
    }
}
