import Foundation

/// What happened in one guest run: the console, the init's markers and how QEMU ended.
public struct GuestRunResult: Sendable {
    /// The whole serial console output (BIOS, kernel and init), `\r\n` line ends as the serial line sent them.
    public let consoleLog: String
    /// Every marker line of the init, in order (see `contrib/guest/init` for the events).
    public let markers: [GuestMarker]
    /// How QEMU (or its `timeout` wrapper) ended; always set, since QEMU is reaped before a result exists.
    public let qemuExitStatus: QEMUExitStatus
    /// QEMU's own stderr (device or socket errors, for example).
    public let qemuStandardError: String
    /// True if the run's timeout passed before QEMU exited by itself; QEMU was then killed.
    public let timedOut: Bool
    /// True if QEMUTestKit had to kill QEMU: on timeout, or because it did not exit within the grace period after
    /// the `done` marker.
    public let qemuKilled: Bool
    /// Host time from starting QEMU to reading the `done` marker (50 ms resolution); nil without `done`.
    public let bootToDone: Duration?
    /// Host time from starting QEMU to reaping it.
    public let elapsed: Duration
    /// The full QEMU command line, argv[0] first (after the `timeout` wrapper, if one was used).
    public let commandLine: [String]
    /// The kernel, initramfs and QEMU used.
    public let artifacts: GuestArtifacts

    /// Assembles a result; `markers` are parsed from `consoleLog`.
    public init(
        consoleLog: String, qemuExitStatus: QEMUExitStatus, qemuStandardError: String, timedOut: Bool,
        qemuKilled: Bool, bootToDone: Duration?, elapsed: Duration, commandLine: [String], artifacts: GuestArtifacts
    ) {
        self.consoleLog = consoleLog
        self.markers = GuestMarker.parse(consoleLog: consoleLog)
        self.qemuExitStatus = qemuExitStatus
        self.qemuStandardError = qemuStandardError
        self.timedOut = timedOut
        self.qemuKilled = qemuKilled
        self.bootToDone = bootToDone
        self.elapsed = elapsed
        self.commandLine = commandLine
        self.artifacts = artifacts
    }

    /// All markers of `event`, in order.
    public func markers(_ event: String) -> [GuestMarker] {
        markers.filter { $0.event == event }
    }

    /// The first marker of `event`, if any.
    public func marker(_ event: String) -> GuestMarker? {
        markers.first { $0.event == event }
    }

    /// The init started (`booted`).
    public var sawBooted: Bool { marker("booted") != nil }

    /// The init reached its end (`done`).
    public var sawDone: Bool { marker("done") != nil }

    /// The guest printed `done`, then powered off and QEMU exited with status 0 by itself.
    public var poweredOffCleanly: Bool { sawDone && !qemuKilled && qemuExitStatus.isSuccess }

    /// Module names in the guest's /proc/modules after loading (`modules=`), most recently loaded first.
    public var loadedModules: [String] {
        guard let list = marker("modules")?.value, !list.isEmpty else { return [] }
        return list.split(separator: ",").map(String.init)
    }

    /// Modules the init failed to insmod (`module=failed name=...`).
    public var failedModules: [String] {
        markers("module").filter { $0.value == "failed" }.compactMap { $0["name"] }
    }

    /// The virtio devices the guest found, with their bound drivers.
    public var virtioDevices: [GuestVirtioDevice] {
        markers.compactMap(GuestVirtioDevice.init(marker:))
    }

    /// Whether `mount -t virtiofs` succeeded; nil if no mount was attempted (no tag) or its marker is missing.
    public var mountSucceeded: Bool? {
        marker("mount").map { $0.value == "ok" }
    }

    /// The guest script's exit status (`script-exit=`); nil if it did not run.
    public var scriptExitStatus: Int32? {
        marker("script-exit")?.value.flatMap { Int32($0) }
    }

    /// Whether unmounting /mnt succeeded; nil if nothing was mounted or the marker is missing.
    public var unmountSucceeded: Bool? {
        marker("umount").map { $0.value == "ok" }
    }

    /// The guest's uptime in seconds when it printed `done`.
    public var guestUptimeAtDone: Double? {
        marker("done")?["uptime"].flatMap { Double($0) }
    }

    /// A multi-line account for test failure messages: how QEMU ended, the markers, QEMU's stderr and the
    /// console's last `consoleLines` lines.
    public func summary(consoleLines: Int = 60) -> String {
        var lines = [
            "QEMU \(qemuExitStatus)\(timedOut ? ", TIMED OUT" : "")\(qemuKilled ? ", killed" : "")"
                + ", elapsed \(Self.format(elapsed))"
                + (bootToDone.map { ", done after \(Self.format($0))" } ?? ", no done marker"),
            "markers:",
        ]
        lines += markers.map { "  \($0.text)" }
        if !qemuStandardError.isEmpty {
            lines.append("QEMU stderr:")
            lines += qemuStandardError.split(whereSeparator: \.isNewline).map { "  " + $0 }
        }
        let console = consoleLog.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        lines.append("console (last \(min(consoleLines, console.count)) of \(console.count) lines):")
        lines += console.suffix(consoleLines).map { "  " + $0.filter { $0 != "\r" } }
        return lines.joined(separator: "\n")
    }

    private static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.2f s", seconds)
    }
}
