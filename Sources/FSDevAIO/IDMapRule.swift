/// One rule of virtiofsd's `--translate-uid`/`--translate-gid` (virtiofsd README, "--translate-uid"): how a range of
/// guest ids becomes host ids, or host ids guest ids, inside the daemon, without a user namespace.
///
/// A range is `[base, base + count)`; `base + count` may be at most 4294967295 (so `(uid_t)-1`, "no change" in
/// chown, is never translated). Rules of one direction must not overlap; ids outside every rule pass unchanged.
public enum IDMapRule: Sendable, Hashable, CustomStringConvertible {
    /// `guest:G:H:N`: guest ids `G..<G+N` become host ids `H..<H+N` (guest to host only).
    case guest(guestBase: UInt32, hostBase: UInt32, count: UInt32)
    /// `host:H:G:N`: host ids `H..<H+N` become guest ids `G..<G+N` (host to guest only).
    case host(hostBase: UInt32, guestBase: UInt32, count: UInt32)
    /// `squash-guest:G:H:N`: every guest id in `G..<G+N` becomes host id `H`.
    case squashGuest(guestBase: UInt32, host: UInt32, count: UInt32)
    /// `squash-host:H:G:N`: every host id in `H..<H+N` becomes guest id `G`.
    case squashHost(hostBase: UInt32, guest: UInt32, count: UInt32)
    /// `forbid-guest:G:N`: guest ids `G..<G+N` may not be given to a file (creation or chown): EPERM.
    case forbidGuest(guestBase: UInt32, count: UInt32)
    /// `map:G:H:N`: both `guest:G:H:N` and `host:H:G:N`.
    case map(guestBase: UInt32, hostBase: UInt32, count: UInt32)

    /// The rule in virtiofsd's syntax.
    public var description: String {
        switch self {
        case .guest(let g, let h, let n): "guest:\(g):\(h):\(n)"
        case .host(let h, let g, let n): "host:\(h):\(g):\(n)"
        case .squashGuest(let g, let h, let n): "squash-guest:\(g):\(h):\(n)"
        case .squashHost(let h, let g, let n): "squash-host:\(h):\(g):\(n)"
        case .forbidGuest(let g, let n): "forbid-guest:\(g):\(n)"
        case .map(let g, let h, let n): "map:\(g):\(h):\(n)"
        }
    }
}
