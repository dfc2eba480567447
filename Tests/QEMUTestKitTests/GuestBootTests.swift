import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Fails the calling test (never skips it) when the host cannot boot the guest, saying what to install.
private func requireQEMU() throws {
    let availability = QEMUGuest.checkAvailability()
    try #require(availability.isAvailable, "QEMU guest tests cannot run on this host: \(availability)")
}

/// The pids of live processes whose command line mentions `needle`.
private func processes(mentioning needle: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        return String(decoding: data, as: UTF8.self).contains(needle) ? pid : nil
    }
}

private func seconds(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return String(format: "%.2f s", value)
}

/// Boots the real guest under QEMU/TCG. Serialized: two TCG guests on a two-core host only slow each other down.
@Suite("QEMU guest boots", .serialized)
struct GuestBootTests {
    @Test("the initramfs builds, and a second build is a quick no-op", .timeLimit(.minutes(2)))
    func initramfsBuilds() throws {
        try requireQEMU()
        let artifacts = try GuestArtifacts.prepare()
        #expect(FileManager.default.fileExists(atPath: artifacts.initramfsPath))
        #expect(FileManager.default.fileExists(atPath: artifacts.kernelPath))
        #expect(artifacts.initramfsPath.hasSuffix("initramfs-\(artifacts.kernelVersion).cpio.gz"))
        print("initramfs \(artifacts.initramfsPath) ready in \(seconds(artifacts.buildDuration))")
    }

    @Test("a guest without devices boots, loads fuse and virtiofs, and powers off", .timeLimit(.minutes(2)))
    func bootsAndPowersOff() async throws {
        try requireQEMU()
        let result = try await QEMUGuest(timeout: .seconds(90)).run()
        let summary = result.summary()

        #expect(result.sawBooted, "no booted marker\n\(summary)")
        #expect(result.marker("booted")?["kernel"] == result.artifacts.kernelVersion, "\(summary)")
        #expect(result.failedModules.isEmpty, "modules failed to load\n\(summary)")
        for module in ["virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring", "virtio", "virtio_pci",
                       "fuse", "virtiofs"] {
            #expect(result.loadedModules.contains(module), "\(module) not in /proc/modules\n\(summary)")
        }
        #expect(result.virtioDevices.isEmpty, "no virtio device was attached\n\(summary)")
        #expect(result.marker("virtio-devices")?.value == "0", "\(summary)")
        #expect(result.mountSucceeded == nil, "no tag, so no mount\n\(summary)")
        #expect(result.scriptExitStatus == nil, "\(summary)")
        #expect(result.markers.last?.event == "done", "done must be the last marker\n\(summary)")
        #expect(!result.timedOut, "\(summary)")
        #expect(result.poweredOffCleanly, "guest did not power off cleanly\n\(summary)")
        let bootToDone = try #require(result.bootToDone)
        #expect(bootToDone < .seconds(90))
        print("boot to done: \(seconds(bootToDone)) host (guest uptime \(result.guestUptimeAtDone ?? -1) s), "
            + "QEMU exited after \(seconds(result.elapsed))")
    }

    @Test("mounting a tag that no device has is reported as a failure, not a hang", .timeLimit(.minutes(2)))
    func missingTagMountFails() async throws {
        try requireQEMU()
        let result = try await QEMUGuest(mountTag: "nonexistent", script: "never.sh", timeout: .seconds(90)).run()
        let summary = result.summary()

        #expect(result.sawBooted, "\(summary)")
        let mount = try #require(result.marker("mount"), "no mount marker\n\(summary)")
        #expect(mount.value == "failed", "\(summary)")
        #expect(mount["tag"] == "nonexistent", "\(summary)")
        #expect(mount["rc"].flatMap { Int($0) }.map { $0 != 0 } == true, "\(summary)")
        #expect(result.mountSucceeded == false)
        let script = try #require(result.marker("script"), "no script marker\n\(summary)")
        #expect(script.value == "skipped" && script["reason"] == "not-mounted", "\(summary)")
        #expect(result.scriptExitStatus == nil, "the script must not run without a mount\n\(summary)")
        #expect(result.unmountSucceeded == nil, "\(summary)")
        #expect(result.markers.last?.event == "done", "\(summary)")
        #expect(result.poweredOffCleanly, "\(summary)")
    }

    @Test("a run past its timeout kills QEMU and leaves no process behind", .timeLimit(.minutes(2)))
    func timeoutKillsQEMU() async throws {
        try requireQEMU()
        let log = FileManager.default.temporaryDirectory
            .appendingPathComponent("vhostfs-timeout-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        var guest = QEMUGuest(timeout: .milliseconds(1500))
        guest.consoleLogPath = log
        let started = ContinuousClock.now
        let result = try await guest.run()

        #expect(result.timedOut, "\(result.summary())")
        #expect(result.qemuKilled)
        #expect(!result.sawDone)
        #expect(!result.poweredOffCleanly)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(processes(mentioning: log).isEmpty, "QEMU outlived its timeout")
    }

    @Test("cancelling the task kills QEMU and throws .cancelled", .timeLimit(.minutes(2)))
    func cancellationKillsQEMU() async throws {
        try requireQEMU()
        _ = try GuestArtifacts.prepare()  // build outside the measured window
        let log = FileManager.default.temporaryDirectory
            .appendingPathComponent("vhostfs-cancel-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        var guest = QEMUGuest(timeout: .seconds(90))
        guest.consoleLogPath = log
        let task = Task { try await guest.run() }
        try await Task.sleep(for: .seconds(1))
        #expect(!processes(mentioning: log).isEmpty, "QEMU should be running")
        task.cancel()
        await #expect(throws: QEMUTestKitError.self) { _ = try await task.value }
        #expect(processes(mentioning: log).isEmpty, "QEMU outlived the cancellation")
    }
}
