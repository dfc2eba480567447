import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// The checks GuestScripts/lifecycle-first.sh prints, in order.
    static let firstGuestChecks = [
        "first-guest-wrote", "aux-mount", "aux-host-file", "aux-umount", "aux-unmounted", "aux-remount",
        "aux-read-after-remount", "aux-write-after-remount", "exdev-between-virtiofs-mounts", "aux-umount-again",
        "aux-mount-read-only", "aux-read-only-refuses-writes", "aux-read-only-reads", "aux-umount-read-only",
        "share-second-mount", "share-second-mount-same-files", "share-second-umount", "share-still-mounted",
    ]

    /// The checks GuestScripts/lifecycle-killed.sh prints before the host kills its QEMU.
    static let killedGuestChecks = ["killed-guest-sees-first-guest", "killed-guest-busy"]

    /// The checks GuestScripts/lifecycle-last.sh prints, in order.
    static let lastGuestChecks = [
        "last-guest-sees-first-guest", "last-guest-sees-killed-guest", "last-guest-sees-busy-file", "last-guest-wrote",
        "last-guest-lists",
    ]

    @Test("unmount and remount in a guest; the back-end outlives a powered-off and a killed guest, exits on SIGTERM",
          .timeLimit(.minutes(8)))
    func lifecycle() async throws {
        try requireHost()
        let share = try E2EShare()
        let auxDirectory = share.sibling("aux")
        try FileManager.default.createDirectory(atPath: auxDirectory, withIntermediateDirectories: true)
        try share.write(auxDirectory + "/host-file.txt", absolute: true, "prepared on the host\n")

        let server = try startBackend(share)
        let aux = try startBackend(share, directory: auxDirectory, name: "aux", tag: "aux")
        let devices = [
            VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag),
            VhostUserFSDevice(socketPath: aux.socketPath, tag: "aux"),
        ]
        let (_, first) = try await boot(script: "lifecycle-first.sh", devices: devices, backends: [server, aux])
        first.expectAll(Self.firstGuestChecks, context: "aux log:\n\(aux.log.suffix(3000))")
        #expect(HostSide.text(share.path("first-guest.txt")) == "written by the first guest\n")
        #expect(HostSide.text(auxDirectory + "/before-remount.txt") == "one\n")
        #expect(HostSide.text(auxDirectory + "/after-remount.txt") == "two\n")
        #expect(HostSide.names(auxDirectory) == ["host-file.txt", "before-remount.txt", "after-remount.txt"])
        #expect(HostSide.lstat(share.path("linked")) == nil)

        // The guest powered off, so QEMU closed the vhost-user connection; the back-end must still be serving.
        try await Task.sleep(for: .milliseconds(500))
        let survived = server.isRunning && BackendProcess.isListening(server.socketPath)
        let state = server.poll().map { "\($0)" } ?? "running but not listening"
        if !backend.servesSuccessiveFrontEnds {
            withKnownIssue("\(backend.name) serves one front-end and exits when it disconnects") {
                #expect(survived, "the back-end did not outlive its first guest: \(state)")
            }
            #expect(server.stop() == .exited(0), "\(server.log.suffix(2000))")
            return
        }
        #expect(survived, "the back-end did not outlive its first guest (\(state)):\n\(server.log.suffix(3000))")
        guard survived else { return }

        // A guest whose QEMU is killed while it has requests in flight: no unmount, no FUSE DESTROY.
        let killed = try await bootAndKill(
            script: "lifecycle-killed.sh", device: VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag),
            when: "E2E-CHECK killed-guest-busy=", consoleLogPath: share.sibling("killed-console.log"))
        GuestCheckReport(consoleLog: killed).expectAll(
            Self.killedGuestChecks,
            context: "console:\n\(killed.suffix(3000))\nback-end log:\n\(server.log.suffix(3000))")
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.isRunning && BackendProcess.isListening(server.socketPath),
                "the back-end did not outlive a killed guest:\n\(server.log.suffix(3000))")
        guard server.isRunning else { return }

        let (_, last) = try await boot(
            script: "lifecycle-last.sh", devices: [VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag)],
            backends: [server])
        last.expectAll(Self.lastGuestChecks, context: "back-end log:\n\(server.log.suffix(3000))")
        #expect(HostSide.text(share.path("killed-guest.txt")) == "written by the killed guest\n")
        #expect(HostSide.text(share.path("last-guest.txt")) == "written by the last guest\n")

        // SIGTERM: stop the rings, release everything, exit 0.
        #expect(server.isRunning, "the back-end did not outlive its last guest:\n\(server.log.suffix(3000))")
        let started = ContinuousClock.now
        #expect(server.stop() == .exited(0), "SIGTERM must end the back-end with status 0:\n\(server.log.suffix(2000))")
        #expect(ContinuousClock.now - started < .seconds(5), "the back-end took long to exit after SIGTERM")
        #expect(aux.stop() == .exited(0), "\(aux.log.suffix(2000))")
    }

    /// Boots a guest that runs `script` from the share and kills its QEMU (SIGTERM to its process group, then
    /// SIGKILL) as soon as the console shows `marker`, or after four minutes.
    ///
    /// - Returns: the console log up to the kill.
    private func bootAndKill(
        script: String, device: VhostUserFSDevice, when marker: String, consoleLogPath: String
    ) async throws -> String {
        var guest = QEMUGuest(devices: [device], mountTag: Self.tag, script: ".e2e/" + script, timeout: .seconds(300))
        guest.consoleLogPath = consoleLogPath
        let run = Task { try await guest.run() }
        defer { run.cancel() }
        let deadline = ContinuousClock.now + .seconds(240)
        var console = ""
        while ContinuousClock.now < deadline {
            console = HostSide.text(consoleLogPath) ?? ""
            if console.contains(marker) || console.contains("VHOSTFS-GUEST: done") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let started = ContinuousClock.now
        run.cancel()
        let outcome = await run.result
        print("e2e[\(backend.name)] \(script): QEMU killed in \(ContinuousClock.now - started)")
        #expect(console.contains(marker), "the guest never reached '\(marker)':\n\(console.suffix(3000))")
        if case .success(let result) = outcome {
            Issue.record("QEMU ended before it was killed: \(result.summary())")
        }
        return HostSide.text(consoleLogPath) ?? console
    }
}
