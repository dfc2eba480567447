import Glibc
import LinuxSystem

/// What the daemon can do with the identity and capabilities it runs with, decided once at start (after any
/// sandbox or user namespace has been entered, since entering one changes both).
///
/// Root (or a process holding CAP_SETUID and CAP_SETGID, e.g. root in a user namespace) creates files as the guest
/// caller by switching the reactor thread's ids. An ordinary user serves the share with its own rights instead, as
/// virtiofsd does unprivileged: no per-thread setresuid, files the guest creates belong to the daemon's user, and
/// what the user may not do on the host (chown to others, device nodes) fails with the host's errno.
///
/// In a user namespace of its own (an ordinary user's `--sandbox=namespace`) the daemon holds capabilities over that
/// namespace only: they reach files whose owner and group the namespace maps, never device nodes or file handles,
/// and ids can only be switched to mapped ones.
struct DaemonPrivileges: Sendable, Hashable {
    /// The daemon's effective uid and gid (as its user namespace sees them).
    var userID: UInt32
    var groupID: UInt32
    /// Its effective capabilities (over its user namespace).
    var capabilities: CapabilitySet
    /// The user namespace the daemon set up for itself; nil when it runs in the one it was started in.
    var userNamespace: DaemonUserNamespace? = nil

    /// The calling thread's identity and effective capabilities (capget: no /proc needed, so it works inside the
    /// sandbox); no capabilities if capget fails.
    static func current(userNamespace: DaemonUserNamespace? = nil) -> DaemonPrivileges {
        DaemonPrivileges(
            userID: UInt32(geteuid()), groupID: UInt32(getegid()),
            capabilities: (try? ThreadCapabilities.current().effective) ?? [], userNamespace: userNamespace)
    }

    /// Creation under the guest caller's ids (CAP_SETUID and CAP_SETGID; in a user namespace, one whose maps hold
    /// more than the daemon's own ids).
    var switchesCredentials: Bool {
        capabilities.contains([.setuid, .setgid]) && (userNamespace.map(\.mapsGuestIDs) ?? true)
    }

    /// Opening nodes by file handle (open_by_handle_at needs CAP_DAC_READ_SEARCH in the initial user namespace).
    var opensFileHandles: Bool { capabilities.contains(.dacReadSearch) && userNamespace == nil }

    /// One line saying which root-only features are off and what that means, nil when none is.
    var notice: String? {
        if let userNamespace { return namespaceNotice(userNamespace) }
        var off: [String] = []
        if !switchesCredentials {
            off.append(
                "credential switching (no CAP_SETUID/CAP_SETGID: files the guest creates belong to "
                    + "\(userID):\(groupID), whichever guest user creates them)")
        }
        if !opensFileHandles { off.append("file handles (no CAP_DAC_READ_SEARCH for open_by_handle_at)") }
        if !capabilities.contains(.chown) { off.append("giving files other owners (no CAP_CHOWN: EPERM)") }
        if !capabilities.contains(.mknod) { off.append("device nodes (no CAP_MKNOD: EPERM)") }
        guard !off.isEmpty else { return nil }
        let who = userID == 0 ? "as root with reduced capabilities" : "as uid \(userID) gid \(groupID)"
        return "running \(who): the share is served with this identity's rights; off: "
            + off.joined(separator: "; ")
    }

    /// `notice` in a user namespace of the daemon's own.
    private func namespaceNotice(_ namespace: DaemonUserNamespace) -> String {
        var off: [String] = []
        if !switchesCredentials {
            let why =
                capabilities.contains([.setuid, .setgid])
                ? "the user namespace maps only the daemon's own ids"
                : "no CAP_SETUID/CAP_SETGID"
            off.append(
                "credential switching (\(why): files the guest creates belong to \(userID):\(groupID), whichever "
                    + "guest user creates them; --uid-map and --gid-map with ranges from /etc/subuid and /etc/subgid "
                    + "create them as the guest's ids)")
        }
        off.append("file handles (open_by_handle_at needs CAP_DAC_READ_SEARCH outside any user namespace)")
        off.append("device nodes (a user namespace cannot create them: EPERM)")
        off.append(
            "ids outside the namespace's maps (host files they own show as the overflow id; giving them to a file "
                + "is EINVAL)")
        off.append("trusted.* extended attributes (EPERM, whatever --xattrmap allows)")
        return "running as uid \(userID) gid \(groupID) in a \(namespace): the share is served with this user's "
            + "rights on the host; off: " + off.joined(separator: "; ")
    }
}
