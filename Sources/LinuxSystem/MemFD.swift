import CLinux
import Glibc

/// Anonymous memory files: the "guest RAM" of tests and the test kit (as QEMU's memory-backend-memfd).
public enum MemFD {
    /// Creates a memfd of `size` bytes; with `allowSealing` it accepts seals (MFD_ALLOW_SEALING, as QEMU's
    /// memory-backend-memfd creates it), otherwise it is born with F_SEAL_SEAL. The corresponding C functions are
    /// `memfd_create` and `ftruncate`.
    public static func create(name: String, size: UInt64, allowSealing: Bool = false) throws(Errno) -> FileDescriptor {
        let flags = UInt32(MFD_CLOEXEC) | (allowSealing ? UInt32(MFD_ALLOW_SEALING) : 0)
        let fd = try SystemCall.valueOrErrno { CLinux_memfd_create(name, flags) }.get()
        let owned = FileDescriptor(taking: fd)
        guard let s = Int64(exactly: size) else { throw .invalidArgument }
        try owned.truncate(to: s)
        return owned
    }
}
