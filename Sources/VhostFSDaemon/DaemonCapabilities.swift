import Glibc
import LinuxSystem

/// The capabilities the daemon keeps, and dropping the rest (effective, permitted, inheritable, ambient and
/// bounding sets) before any thread starts, so that every thread inherits the reduced sets.
///
/// Raw capget/capset and prctl rather than libcap-ng: capabilities are per thread and this is two system calls and
/// a loop; libcap-ng keeps process-global state that is not thread-safe (the KILLPRIV_V2 switch changes
/// capabilities per reactor thread) and reads /proc/<pid>/status, which does not exist inside the sandbox. The
/// names `--modcaps` accepts are the kernel's (`CapabilitySet.names`), as libcap-ng's are.
enum DaemonCapabilities {
    /// What the passthrough needs, decided from what it does (virtiofsd keeps the same set, plus DAC_READ_SEARCH
    /// when it uses file handles):
    ///
    /// - chown: SETATTR uid/gid (fchownat).
    /// - dac_override: the daemon opens, reads and writes files for guest callers whatever the modes say (the guest
    ///   kernel checks permissions itself).
    /// - dac_read_search: open_by_handle_at (file handles), and search of directories the daemon does not own.
    /// - fowner: chmod, utimes and xattrs on files owned by guest users, O_NOATIME, sticky directories.
    /// - fsetid: chmod keeps set-group-ID on files of other groups; the KILLPRIV_V2 switch drops it around writes.
    /// - setgid, setuid: creation under the guest caller's uid, gid and groups (per-thread setresuid/setresgid,
    ///   setgroups).
    /// - mknod: MKNOD of device nodes (root file systems need them).
    /// - setfcap: setting security.capability.
    static let defaultSet: CapabilitySet = [
        .chown, .dacOverride, .dacReadSearch, .fowner, .fsetid, .setgid, .setuid, .mknod, .setfcap,
    ]

    /// What the supervisor outside the sandbox keeps: enough to remove the socket it created in a directory it does
    /// not own (dac_override, fowner for sticky directories).
    static let supervisorSet: CapabilitySet = [.dacOverride, .fowner]

    /// What the supervisor keeps in addition in a user namespace of the daemon's own: kill, over that namespace
    /// only. Without it the supervisor could neither forward a signal to nor (by the parent-death signal, sent with
    /// the supervisor's credentials) stop a daemon that took another host uid (uid 0 of a `--uid-map` that maps 0
    /// to a subordinate id).
    static let supervisorUserNamespaceSet: CapabilitySet = [.kill]

    /// Why capabilities could not be dropped.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The outcome, for the start-up log.
    struct Kept: CustomStringConvertible {
        let capabilities: CapabilitySet
        /// Default capabilities the daemon did not hold to begin with (run without root, or in a container).
        let unavailable: CapabilitySet
        /// Whether the bounding set was cut too (that needs CAP_SETPCAP).
        let boundingSetDropped: Bool

        var description: String {
            "capabilities \(capabilities)"
                + (unavailable.isEmpty ? "" : " (not held at start, so not kept: \(unavailable))")
                + (boundingSetDropped ? "" : " (bounding set unchanged: no CAP_SETPCAP)")
        }
    }

    /// Keeps `defaultSet` changed by `changes` and drops every other capability of the calling thread (and of the
    /// threads it starts afterwards), the bounding set included.
    ///
    /// - Throws: `Failure` when a capability `changes` adds is not held, or the kernel refuses the change.
    static func restrict(with changes: DaemonConfiguration.CapabilityChanges) throws(Failure) -> Kept {
        let wanted = changes.applied(to: defaultSet)
        let permitted: CapabilitySet
        do { permitted = try ThreadCapabilities.current().permitted } catch {
            throw Failure(description: "cannot read the daemon's capabilities: \(error)")
        }
        let missingAdded = changes.added.subtracting(permitted)
        guard missingAdded.isEmpty else {
            throw Failure(description: "--modcaps asks to keep \(missingAdded), which the daemon does not hold")
        }
        let kept = wanted.intersection(permitted)
        let boundingSetDropped = try restrict(to: kept)
        return Kept(capabilities: kept, unavailable: wanted.subtracting(permitted),
                    boundingSetDropped: boundingSetDropped)
    }

    /// Drops every capability but `kept` (which must be held): bounding set first (that needs CAP_SETPCAP, which is
    /// about to go), then ambient, then effective, permitted and inheritable.
    /// - Returns: whether the bounding set was cut (false without CAP_SETPCAP).
    @discardableResult
    static func restrict(to kept: CapabilitySet) throws(Failure) -> Bool {
        do throws(Errno) {
            let current = try ThreadCapabilities.current()
            let canDropBounding = current.effective.contains(.setpcap)
            if canDropBounding {
                for number in 0...max(ThreadCapabilities.lastSupported, 0)
                where !kept.contains(CapabilitySet(number: number))
                    && ThreadCapabilities.boundingSetContains(number) == true
                {
                    try ThreadCapabilities.dropFromBoundingSet(number)
                }
            }
            try ThreadCapabilities.clearAmbient()
            try ThreadCapabilities.set(effective: kept, permitted: kept, inheritable: [])
            return canDropBounding
        } catch {
            throw Failure(description: "cannot drop capabilities (keeping \(kept)): \(error)")
        }
    }
}
