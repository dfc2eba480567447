import CLinux
import Glibc

/// Helpers shared by the syscall wrappers of this target.
///
/// Policy (as SwiftNIO's `Posix` and swift-system's `valueOrErrno`): EINTR is retried where `retryOnInterrupt` is
/// true (the default); any other failure is returned as `Errno`. libaio and raw `syscall()` shims return `-errno`
/// instead of setting errno: use `negativeErrno(_:)` for those.
public enum SystemCall {
    /// Runs an errno-style call (returns -1 and sets errno on failure), retrying EINTR.
    @inlinable
    public static func valueOrErrno<I: FixedWidthInteger>(
        retryOnInterrupt: Bool = true, _ body: () -> I
    ) -> Result<I, Errno> {
        while true {
            let r = body()
            if r != -1 { return .success(r) }
            let e = Errno.current
            if retryOnInterrupt && e == .interrupted { continue }
            return .failure(e)
        }
    }

    /// Runs a call that returns `-errno` on failure and does not touch errno (libaio, raw `syscall` shims).
    @inlinable
    public static func negativeErrno<I: FixedWidthInteger & SignedInteger>(
        retryOnInterrupt: Bool = true, _ body: () -> I
    ) -> Result<I, Errno> {
        while true {
            let r = body()
            if r >= 0 { return .success(r) }
            // Values below CInt.min cannot be an errno; report them as EIO rather than trapping on narrowing.
            let e = Errno(rawValue: CInt(clamping: -Int64(r)))
            if retryOnInterrupt && e == .interrupted { continue }
            return .failure(e)
        }
    }

    /// The calling thread's kernel thread id. The corresponding C function is `gettid`.
    public static func threadID() -> Int { Int(CLinux_gettid()) }
}
