import FSDev
import Glibc
import LinuxSystem

/// Runs creation under the caller's identity, on the calling (reactor) thread only.
///
/// Effective uid/gid are switched with the raw per-thread system calls and restored afterwards; the supplementary
/// groups become exactly the caller's FUSE_CREATE_SUPP_GROUP group (or none), so that the daemon's own groups never
/// leak into the caller's permissions; the umask is the caller's (per thread: channels unshare CLONE_FS).
enum CallerCredentials {
    /// Runs `body` as `context`. When the caller already is the daemon's identity only the umask changes.
    static func with<R>(_ context: RequestContext, _ body: () throws(Errno) -> R) throws(Errno) -> R {
        let savedMask = ThreadCredentials.setUmask(mode_t(context.umask & 0o777))
        defer { ThreadCredentials.setUmask(savedMask) }
        let euid = ThreadCredentials.effectiveUserID
        let egid = ThreadCredentials.effectiveGroupID
        if context.uid == euid && context.gid == egid && context.supplementaryGroup == nil {
            return try body()
        }
        return try withUnsafeTemporaryAllocation(of: gid_t.self, capacity: 256) {
            (saved: UnsafeMutableBufferPointer<gid_t>) throws(Errno) -> R in
            let savedCount = try ThreadCredentials.supplementaryGroups(into: saved)
            var group = gid_t(context.supplementaryGroup ?? 0)
            try withUnsafePointer(to: &group) { (p: UnsafePointer<gid_t>) throws(Errno) in
                try ThreadCredentials.setSupplementaryGroups(
                    UnsafeBufferPointer(start: p, count: context.supplementaryGroup == nil ? 0 : 1))
            }
            defer {
                let restored = Result { () throws(Errno) in
                    try ThreadCredentials.setSupplementaryGroups(UnsafeBufferPointer(rebasing: saved[..<savedCount]))
                }
                precondition((try? restored.get()) != nil, "cannot restore supplementary groups: \(restored)")
            }
            try ThreadCredentials.setEffectiveGroupID(gid_t(context.gid))
            defer {
                let restored = Result { () throws(Errno) in try ThreadCredentials.setEffectiveGroupID(egid) }
                precondition((try? restored.get()) != nil, "cannot restore effective gid \(egid): \(restored)")
            }
            try ThreadCredentials.setEffectiveUserID(uid_t(context.uid))
            defer {
                let restored = Result { () throws(Errno) in try ThreadCredentials.setEffectiveUserID(euid) }
                precondition((try? restored.get()) != nil, "cannot restore effective uid \(euid): \(restored)")
            }
            return try body()
        }
    }
}
