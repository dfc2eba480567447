import Glibc

/// A resource limit's soft (enforced) and hard (ceiling) values.
public struct ResourceLimit: Equatable, Sendable, CustomStringConvertible {
    /// No limit (RLIM_INFINITY, a macro Swift imports wrongly).
    public static let infinity = UInt64.max

    /// The limit the kernel enforces.
    public var soft: UInt64
    /// The most the soft limit may be raised to without CAP_SYS_RESOURCE.
    public var hard: UInt64

    public init(soft: UInt64, hard: UInt64) {
        self.soft = soft
        self.hard = hard
    }

    public var description: String {
        func text(_ v: UInt64) -> String { v == Self.infinity ? "unlimited" : String(v) }
        return "soft \(text(soft)), hard \(text(hard))"
    }

    /// RLIMIT_NOFILE of this process: one more than the highest descriptor number it may open. The corresponding
    /// C function is `getrlimit`.
    public static func openDescriptors() throws(Errno) -> ResourceLimit {
        var limit = rlimit()
        _ = try SystemCall.valueOrErrno { getrlimit(RLIMIT_NOFILE, &limit) }.get()
        return ResourceLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Sets RLIMIT_NOFILE of this process. Raising the hard limit needs CAP_SYS_RESOURCE (EPERM without it). The
    /// corresponding C function is `setrlimit` (the prlimit64 system call).
    public static func setOpenDescriptors(_ limit: ResourceLimit) throws(Errno) {
        var value = rlimit(rlim_cur: rlim_t(limit.soft), rlim_max: rlim_t(limit.hard))
        _ = try SystemCall.valueOrErrno { setrlimit(RLIMIT_NOFILE, &value) }.get()
    }
}
