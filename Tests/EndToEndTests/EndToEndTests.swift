import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A QEMU (TCG) guest with the Debian kernel mounts a share served by `BackendUnderTest.current` and runs the
/// scripts in GuestScripts/; each script prints one `E2E-CHECK` line per check, which the host asserts by name, and
/// the host then checks its side of the share. One guest boot per group of checks keeps the suite near a minute.
///
/// It runs against vhostfsd in every `swift test`; `VHOSTFS_E2E_BACKEND=virtiofsd-c|command` points it at another
/// back-end for comparison (as root).
@Suite("End to end: a Linux guest uses the share", .serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
    /// The back-end every test starts.
    let backend = BackendUnderTest.current

    /// The tag of the share the guest init mounts on /mnt.
    static let tag = "share"

    /// Fails (never skips) when this host cannot run the suite, saying why.
    func requireHost() throws {
        let availability = QEMUGuest.checkAvailability()
        try #require(availability.isAvailable, "the guest cannot boot here: \(availability)")
        try #require(geteuid() == 0, "the end-to-end suite runs as root: the back-end must create files as other users")
    }

    /// Starts the back-end under test for `share` on `<base>/<name>.sock`.
    func startBackend(
        _ share: E2EShare, directory: String? = nil, name: String = "backend", tag: String = EndToEndTests.tag,
        xattr: Bool = false, extraArguments: [String] = []
    ) throws -> BackendProcess {
        try BackendProcess(
            backend: backend, sharedDirectory: directory ?? share.root, socketPath: share.sibling(name + ".sock"),
            tag: tag, xattr: xattr, extraArguments: extraArguments, logPath: share.sibling(name + ".log"))
    }

    /// Boots a guest with `devices`, mounts `share` on /mnt and runs `.e2e/<script>`, then checks that the run itself
    /// went well: mounted, the script reached its end, the guest unmounted and powered off.
    ///
    /// - Returns: the run and the script's checks, for the caller to assert by name.
    func boot(
        script: String, devices: [VhostUserFSDevice], backends: [BackendProcess],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (GuestRunResult, GuestCheckReport) {
        var guest = QEMUGuest(devices: devices, mountTag: Self.tag, script: ".e2e/" + script, timeout: .seconds(300))
        guest.guestWatchdogSeconds = 240
        let result = try await guest.run()
        let report = GuestCheckReport(consoleLog: result.consoleLog)
        let context = "\(result.summary())\nback-end logs:\n"
            + backends.map { "--- \($0.command.joined(separator: " "))\n\($0.log.suffix(3000))" }.joined()
        #expect(result.mountSucceeded == true, "the guest did not mount the share\n\(context)",
                sourceLocation: sourceLocation)
        #expect(result.scriptExitStatus == 0, "the guest script did not run to its end\n\(context)",
                sourceLocation: sourceLocation)
        #expect(report.endFailedCount != nil, "no E2E-END line\n\(context)", sourceLocation: sourceLocation)
        #expect(result.unmountSucceeded == true, "the guest could not unmount the share\n\(context)",
                sourceLocation: sourceLocation)
        #expect(result.poweredOffCleanly, "the guest did not power off cleanly\n\(context)",
                sourceLocation: sourceLocation)
        if backend.name == "vhostfsd" {
            // Without --tag the daemon does not offer the config space QEMU ignores, so QEMU does not warn about it.
            #expect(!result.qemuStandardError.contains("VHOST_USER_PROTOCOL_F_CONFIG"),
                    "QEMU warned about CONFIG: \(result.qemuStandardError)", sourceLocation: sourceLocation)
        }
        let seconds = Double(result.elapsed.components.seconds) + Double(result.elapsed.components.attoseconds) / 1e18
        print("e2e[\(backend.name)] \(script): \(report.checks.count) checks, "
            + "\(report.checks.filter { !$0.passed }.count) failed, guest run \(String(format: "%.1f", seconds)) s")
        return (result, report)
    }
}
