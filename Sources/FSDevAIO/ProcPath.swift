import CLinux
import Glibc
import LinuxSystem

/// `/proc/self/fd/N` names for a descriptor, formatted on the stack: how the device reaches the inode behind an
/// O_PATH descriptor for calls that need a real open or a path (reopen, chmod, utimes, xattrs, truncate), without
/// ever walking a guest-supplied path.
enum ProcPath {
    private static let prefix: StaticString = "/proc/self/fd/"

    /// Runs `body` with the NUL-terminated path `/proc/self/fd/<descriptor>`, or just `<descriptor>` when
    /// `relative` (to be resolved against the device's O_PATH descriptor of /proc/self/fd, one component less to
    /// walk).
    ///
    /// On a thread whose working directory is the device's /proc/self/fd (a channel's reactor, see
    /// `enterProcSelfFD`), the absolute form is also given as just `<descriptor>`: inside the daemon's sandbox there
    /// is no /proc to walk, and the path calls without an `*at` variant (truncate, the xattr calls) resolve it
    /// against the working directory.
    @inline(__always)
    static func with<R>(
        _ descriptor: CInt, relative: Bool = false, _ body: (UnsafePointer<CChar>) throws(Errno) -> R
    ) throws(Errno) -> R {
        let relative = relative || CLinux_thread_cwd_is_proc_self_fd() != 0
        return try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) {
            (buffer: UnsafeMutableBufferPointer<CChar>) throws(Errno) -> R in
            guard let base = buffer.baseAddress, descriptor >= 0 else { throw .badFileDescriptor }
            let p = prefix.utf8Start
            var n = 0
            while !relative && n < prefix.utf8CodeUnitCount {
                base[n] = CChar(bitPattern: p[n])
                n += 1
            }
            // Digits in reverse, then flipped in place.
            var v = UInt32(descriptor)
            let start = n
            repeat {
                base[n] = CChar(0x30 + Int(v % 10))
                v /= 10
                n += 1
            } while v > 0
            var i = start, j = n - 1
            while i < j {
                base.swapAt(i, j)
                i += 1
                j -= 1
            }
            base[n] = 0
            return try body(UnsafePointer(base))
        }
    }

    /// Makes the calling thread's working directory `procSelfFD` (a descriptor of /proc/self/fd) so that the
    /// absolute form of `with` becomes a one-component relative name. The thread must have its own fs_struct
    /// (`ThreadCredentials.unshareFileSystemAttributes()`), or the whole process would change directory.
    static func enterProcSelfFD(_ procSelfFD: FileDescriptor) throws(Errno) {
        try MountCall.changeDirectory(to: procSelfFD)
        CLinux_set_thread_cwd_is_proc_self_fd(1)
    }
}

extension UnsafeMutablePointer where Pointee == CChar {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
