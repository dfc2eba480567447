import FSDevAIO
import Glibc
import LinuxSystem

/// The user namespace an ordinary user's daemon creates for `--sandbox=namespace`, as virtiofsd does for rootless
/// use (its sandbox.rs): inside it the daemon holds capabilities over the namespace, which is what the mount, PID,
/// network and IPC namespaces and pivot_root need, and nothing more on the host.
///
/// The maps:
/// - Without `--uid-map`/`--gid-map` the namespace maps the user's own uid and gid to themselves, count 1, as
///   virtiofsd does: the daemon keeps its ids (the guest sees the user's files as the user's uid, others as the
///   overflow id 65534), and files are created under them, as with `--sandbox=none`. The daemon writes these maps
///   itself (an unprivileged process may map its own ids, after denying setgroups), so no setuid helper is needed.
/// - With them, they become the namespace's maps, written by newuidmap/newgidmap (Debian's uidmap package; the
///   ranges must be the user's own id or lie in its /etc/subuid and /etc/subgid entries), run from a helper process
///   forked before the namespace exists, since they must run outside it. The kernel then translates these ids and
///   the daemon no longer applies them itself (`IDTranslationSettings.maps(namespaceEntered: true)`). Where uid or
///   gid 0 is mapped, the daemon takes it (as virtiofsd does), so that an unswitched creation gets the host id the
///   operator mapped to root.
///
/// Threads: `create` must be called while the process has one thread (unshare(CLONE_NEWUSER) refuses otherwise).
struct DaemonUserNamespace: Sendable, Hashable, CustomStringConvertible {
    /// The namespace's uid map, as written.
    let uidRanges: [NamespaceIDRange]
    /// The namespace's gid map, as written.
    let gidRanges: [NamespaceIDRange]
    /// Whether `uidRanges` came from `--uid-map` (written by newuidmap) rather than being the user's own uid.
    let uidMapGiven: Bool
    /// Whether `gidRanges` came from `--gid-map`.
    let gidMapGiven: Bool

    /// Whether the calling process needs a user namespace for the namespace sandbox: it is not root and lacks
    /// CAP_SYS_ADMIN (a non-root process granted CAP_SYS_ADMIN, e.g. by systemd's AmbientCapabilities, sets up the
    /// namespaces as root does).
    static func isNeeded() -> Bool {
        let effective = (try? ThreadCapabilities.current().effective) ?? []
        return geteuid() != 0 && !effective.contains(.sysAdmin)
    }

    /// Whether guest callers' ids can be switched to: both maps hold more than one id. With only the daemon's own
    /// ids mapped, every other guest id would be EINVAL, so files are created under the daemon's ids instead.
    var mapsGuestIDs: Bool {
        func total(_ ranges: [NamespaceIDRange]) -> UInt64 { ranges.reduce(0) { $0 + UInt64($1.count) } }
        return total(uidRanges) > 1 && total(gidRanges) > 1
    }

    /// One phrase for the start-up log.
    var description: String {
        func side(_ kind: String, _ ranges: [NamespaceIDRange], given: Bool, tool: String) -> String {
            let map = ranges.map(\.description).joined(separator: " ")
            return "\(kind) \(map) (\(given ? tool : "the user's own, written by the daemon"))"
        }
        return "user namespace mapping " + side("uids", uidRanges, given: uidMapGiven, tool: "newuidmap") + ", "
            + side("gids", gidRanges, given: gidMapGiven, tool: "newgidmap")
    }

    /// Moves the calling process into a new user namespace and writes its maps: `uidMap` and `gidMap` with
    /// newuidmap/newgidmap where given, the user's own id otherwise.
    ///
    /// - Throws: `DaemonSandbox.Failure` naming the step (unshare, newuidmap with its own message, a map write).
    static func create(uidMap: [NamespaceIDRange], gidMap: [NamespaceIDRange]) throws(DaemonSandbox.Failure)
        -> DaemonUserNamespace
    {
        // The ids as the parent namespace knows them: inside, before a map exists, both read as the overflow id.
        let outsideUID = UInt32(geteuid())
        let outsideGID = UInt32(getegid())
        let mapper = try IDMapHelper.start(mapping: getpid(), uidMap: uidMap, gidMap: gidMap)
        do {
            try ProcessCall.unshare(CLONE_NEWUSER)
        } catch {
            mapper?.cancel()
            throw DaemonSandbox.Failure(.namespace, "unshare(CLONE_NEWUSER)", error, hint: Self.unshareHint)
        }
        try mapper?.run()
        let own = { (id: UInt32) in [NamespaceIDRange(inside: id, outside: id, count: 1)] }
        var step = ""
        do throws(Errno) {
            if uidMap.isEmpty {
                step = "write /proc/self/uid_map"
                try ProcessCall.writeProcFile("/proc/self/uid_map", "\(outsideUID) \(outsideUID) 1\n")
            }
            if gidMap.isEmpty {
                // An unprivileged process may write its own gid map only once setgroups is denied.
                step = "write /proc/self/setgroups"
                try ProcessCall.writeProcFile("/proc/self/setgroups", "deny")
                step = "write /proc/self/gid_map"
                try ProcessCall.writeProcFile("/proc/self/gid_map", "\(outsideGID) \(outsideGID) 1\n")
            }
        } catch {
            throw DaemonSandbox.Failure(.namespace, step, error, hint: DaemonSandbox.Failure.rootlessHint)
        }
        return DaemonUserNamespace(
            uidRanges: uidMap.isEmpty ? own(outsideUID) : uidMap, gidRanges: gidMap.isEmpty ? own(outsideGID) : gidMap,
            uidMapGiven: !uidMap.isEmpty, gidMapGiven: !gidMap.isEmpty)
    }

    /// In the daemon, once the mounts are done: takes gid 0 and uid 0 of the namespace where the maps have them.
    ///
    /// - Returns: whether an id changed (a credential change clears the parent-death signal, which the caller must
    ///   then ask for again).
    func takeIdentity() throws(DaemonSandbox.Failure) -> Bool {
        var changed = false
        do throws(Errno) {
            if gidRanges.contains(where: { $0.inside == 0 }) && getegid() != 0 {
                try ProcessCall.setGroupIDs(0)
                changed = true
            }
            if uidRanges.contains(where: { $0.inside == 0 }) && geteuid() != 0 {
                try ProcessCall.setUserIDs(0)
                changed = true
            }
        } catch {
            throw DaemonSandbox.Failure(.namespace, "take uid and gid 0 of the user namespace", error,
                                        hint: DaemonSandbox.Failure.rootlessHint)
        }
        return changed
    }

    /// What to do when unprivileged user namespaces are not allowed.
    static let unshareHint =
        "an ordinary user's namespace sandbox needs unprivileged user namespaces: sysctl user.max_user_namespaces "
        + "above 0, and kernel.unprivileged_userns_clone=1 or kernel.apparmor_restrict_unprivileged_userns=0 where "
        + "those exist; otherwise start as root, or use --sandbox=none"
}
