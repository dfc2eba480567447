import Glibc

/// The calling thread's effective capability set (capabilities(7)), as the kernel reports it in the `CapEff:` line
/// of `/proc/thread-self/status`. Used to tell, at start, which privileged features the daemon can offer.
public struct EffectiveCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// CAP_CHOWN (0): give files any owner.
    public static let chown = EffectiveCapabilities(rawValue: 1 << 0)
    /// CAP_DAC_OVERRIDE (1): bypass file permission checks.
    public static let dacOverride = EffectiveCapabilities(rawValue: 1 << 1)
    /// CAP_DAC_READ_SEARCH (2): bypass read and search checks; needed by open_by_handle_at.
    public static let dacReadSearch = EffectiveCapabilities(rawValue: 1 << 2)
    /// CAP_FOWNER (3): act as the owner of any file.
    public static let fowner = EffectiveCapabilities(rawValue: 1 << 3)
    /// CAP_FSETID (4): keep set-user-ID bits on writes.
    public static let fsetid = EffectiveCapabilities(rawValue: 1 << 4)
    /// CAP_SETGID (6): change group ids (setresgid, setgroups).
    public static let setgid = EffectiveCapabilities(rawValue: 1 << 6)
    /// CAP_SETUID (7): change user ids (setresuid).
    public static let setuid = EffectiveCapabilities(rawValue: 1 << 7)
    /// CAP_MKNOD (27): create device nodes.
    public static let mknod = EffectiveCapabilities(rawValue: 1 << 27)

    /// The calling thread's effective set.
    ///
    /// - Throws: the errno of opening or reading `/proc/thread-self/status`; EINVAL if it has no `CapEff:` line.
    public static func current() throws(Errno) -> EffectiveCapabilities {
        let fd = try FileDescriptor.open("/proc/thread-self/status", flags: O_RDONLY)
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            // withUnsafeMutableBytes rethrows untyped errors: carry the typed result out instead.
            let n = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) -> Int in try fd.read(into: buffer) }
            }.get()
            if n == 0 { break }
            text += chunk[..<n]
        }
        guard let capabilities = parse(status: text) else { throw .invalidArgument }
        return capabilities
    }

    /// The set in the `CapEff:` line of a `/proc/<pid>/status` text, nil when there is none or it is not hex.
    static func parse(status: [UInt8]) -> EffectiveCapabilities? {
        for line in status.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("CapEff:") else { continue }
            let hex = text.dropFirst("CapEff:".count).drop { $0 == " " || $0 == "\t" }
            return UInt64(hex, radix: 16).map(EffectiveCapabilities.init(rawValue:))
        }
        return nil
    }
}
