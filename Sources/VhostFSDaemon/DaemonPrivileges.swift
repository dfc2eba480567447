import Glibc
import LinuxSystem

/// What the daemon can do with the identity and capabilities it runs with, decided once at start (after any
/// sandbox or user namespace has been entered, since entering one changes both).
///
/// Root (or a process holding CAP_SETUID and CAP_SETGID, e.g. root in a user namespace) creates files as the guest
/// caller by switching the reactor thread's ids. An ordinary user serves the share with its own rights instead, as
/// virtiofsd does unprivileged: no per-thread setresuid, files the guest creates belong to the daemon's user, and
/// what the user may not do on the host (chown to others, device nodes) fails with the host's errno.
struct DaemonPrivileges: Sendable, Hashable {
    /// The daemon's effective uid and gid.
    var userID: UInt32
    var groupID: UInt32
    /// Its effective capabilities.
    var capabilities: CapabilitySet

    /// The calling thread's identity and effective capabilities (capget: no /proc needed, so it works inside the
    /// sandbox); no capabilities if capget fails.
    static func current() -> DaemonPrivileges {
        DaemonPrivileges(
            userID: UInt32(geteuid()), groupID: UInt32(getegid()),
            capabilities: (try? ThreadCapabilities.current().effective) ?? [])
    }

    /// Creation under the guest caller's ids (CAP_SETUID and CAP_SETGID).
    var switchesCredentials: Bool { capabilities.contains([.setuid, .setgid]) }

    /// Opening nodes by file handle (open_by_handle_at needs CAP_DAC_READ_SEARCH).
    var opensFileHandles: Bool { capabilities.contains(.dacReadSearch) }

    /// One line saying which root-only features are off and what that means, nil when none is.
    var notice: String? {
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
}
