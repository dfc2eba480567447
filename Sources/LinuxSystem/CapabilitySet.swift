import CLinux
import Glibc

/// A set of Linux capabilities (capabilities(7)) as a 64-bit mask, bit n standing for capability n, with the
/// kernel's names (`chown`, `dac_override`, ... `checkpoint_restore`, as in linux/capability.h without `CAP_`).
public struct CapabilitySet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The set holding capability number `number` (0...63).
    public init(number: Int) {
        precondition((0..<64).contains(number), "capability numbers are 0...63")
        rawValue = 1 << UInt64(number)
    }

    /// The names of capabilities 0...40, in number order (linux/capability.h, Linux 5.9+).
    public static let names = [
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
        "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
        "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
        "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
        "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
        "checkpoint_restore",
    ]

    /// The capability named `name`, case-insensitively, with or without the `cap_` prefix; nil if unknown.
    public init?(name: String) {
        var lowered = name.lowercased()
        if lowered.hasPrefix("cap_") { lowered.removeFirst(4) }
        guard let number = Self.names.firstIndex(of: lowered) else { return nil }
        self.init(number: number)
    }

    /// The capability numbers in the set, ascending.
    public var numbers: [Int] { (0..<64).filter { rawValue & (1 << UInt64($0)) != 0 } }

    /// The names of the capabilities in the set, in number order (`cap_<n>` for numbers without a name).
    public var memberNames: [String] { numbers.map { $0 < Self.names.count ? Self.names[$0] : "cap_\($0)" } }

    /// The names joined with commas, or "none".
    public var description: String { isEmpty ? "none" : memberNames.joined(separator: ",") }

    /// The set in the `CapEff:` line of a `/proc/<pid>/status` text (another process's, or this one's outside the
    /// sandbox), nil when there is none or it is not hex. For the calling thread use `ThreadCapabilities.current()`,
    /// which needs no /proc.
    public static func parse(status: [UInt8]) -> CapabilitySet? {
        for line in status.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("CapEff:") else { continue }
            let hex = text.dropFirst("CapEff:".count).drop { $0 == " " || $0 == "\t" }
            return UInt64(hex, radix: 16).map(CapabilitySet.init(rawValue:))
        }
        return nil
    }

    public static let chown = CapabilitySet(number: 0)
    public static let dacOverride = CapabilitySet(number: 1)
    public static let dacReadSearch = CapabilitySet(number: 2)
    public static let fowner = CapabilitySet(number: 3)
    public static let fsetid = CapabilitySet(number: 4)
    public static let kill = CapabilitySet(number: 5)
    public static let setgid = CapabilitySet(number: 6)
    public static let setuid = CapabilitySet(number: 7)
    public static let setpcap = CapabilitySet(number: 8)
    public static let sysAdmin = CapabilitySet(number: 21)
    public static let sysResource = CapabilitySet(number: 24)
    public static let mknod = CapabilitySet(number: 27)
    public static let setfcap = CapabilitySet(number: 31)
}

/// The calling thread's capabilities, through the raw system calls: capabilities are per thread, and threads
/// started afterwards inherit the caller's sets.
public enum ThreadCapabilities {
    /// The effective, permitted and inheritable sets of the calling thread. The corresponding C function is
    /// `capget`.
    public static func current() throws(Errno) -> (effective: CapabilitySet, permitted: CapabilitySet,
                                                   inheritable: CapabilitySet)
    {
        var e: UInt64 = 0, p: UInt64 = 0, i: UInt64 = 0
        _ = try SystemCall.negativeErrno { CLinux_capget(&e, &p, &i) }.get()
        return (CapabilitySet(rawValue: e), CapabilitySet(rawValue: p), CapabilitySet(rawValue: i))
    }

    /// Sets the calling thread's sets. A capability can be added to the permitted set only if it is there
    /// already, and to the effective set only if it is permitted. The corresponding C function is `capset`.
    public static func set(
        effective: CapabilitySet, permitted: CapabilitySet, inheritable: CapabilitySet = []
    ) throws(Errno) {
        _ = try SystemCall.negativeErrno {
            CLinux_capset(effective.rawValue, permitted.rawValue, inheritable.rawValue)
        }.get()
    }

    /// Whether capability `number` is in the bounding set; nil when the running kernel does not know it. The
    /// corresponding C function is `prctl(PR_CAPBSET_READ)`.
    public static func boundingSetContains(_ number: Int) -> Bool? {
        let r = CLinux_prctl(PR_CAPBSET_READ, UInt(number), 0, 0, 0)
        return r < 0 ? nil : r == 1
    }

    /// The highest capability number the running kernel knows (probed with PR_CAPBSET_READ, as
    /// /proc/sys/kernel/cap_last_cap may be out of reach).
    public static var lastSupported: Int {
        var last = -1
        while last < 63, boundingSetContains(last + 1) != nil { last += 1 }
        return last
    }

    /// The bounding set: every capability the process can ever hold again.
    public static var boundingSet: CapabilitySet {
        var set: CapabilitySet = []
        for number in 0...max(lastSupported, 0) where boundingSetContains(number) == true {
            set.insert(CapabilitySet(number: number))
        }
        return set
    }

    /// Removes `number` from the bounding set (needs CAP_SETPCAP). The corresponding C function is
    /// `prctl(PR_CAPBSET_DROP)`.
    public static func dropFromBoundingSet(_ number: Int) throws(Errno) {
        _ = try SystemCall.valueOrErrno { CLinux_prctl(PR_CAPBSET_DROP, UInt(number), 0, 0, 0) }.get()
    }

    /// Empties the ambient set. The corresponding C function is `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`.
    public static func clearAmbient() throws(Errno) {
        _ = try SystemCall.valueOrErrno {
            CLinux_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
        }.get()
    }
}
