import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Boots a throw-away Linux guest under QEMU (TCG, no KVM needed) with optional vhost-user-fs devices, lets its init
/// mount a share and run a script from it, and reports what happened over the serial console.
///
/// ```swift
/// var guest = QEMUGuest(devices: [VhostUserFSDevice(socketPath: sock, tag: "share")])
/// guest.mountTag = "share"
/// guest.script = "test.sh"            // a file the test put in the shared directory
/// let result = try await guest.run()
/// #expect(result.scriptExitStatus == 0, "\(result.summary())")
/// ```
///
/// The guest is the installed Debian kernel with the initramfs of `contrib/guest/build-initramfs.sh` (built on
/// first use into `guest-cache/`), whose `/init` is `contrib/guest/init`. A run always ends with QEMU reaped: the
/// guest powers off after its `done` marker, and QEMU is killed if it outlives the timeout or the task is cancelled.
/// QEMU also runs under coreutils `timeout` (when present) set a little past `timeout`, so it dies even if the test
/// process is killed first.
public struct QEMUGuest: Sendable {
    /// vhost-user-fs devices to attach, as chardev `fs0`, `fs1`, ... in this order. Their backends must be
    /// listening before `run()`.
    public var devices: [VhostUserFSDevice]
    /// The virtio-fs tag the init mounts on /mnt (`vhostfs.tag=`); nil to mount nothing.
    public var mountTag: String?
    /// `mount -o` options for the share (`vhostfs.mountopts=`), e.g. `ro`; nil for none.
    public var mountOptions: String?
    /// A path relative to the share's root that the init runs after mounting (`vhostfs.script=`), with /mnt as the
    /// working directory; run with `sh` if it is not executable.
    public var script: String?
    /// Host-side limit for the whole run, boot included; QEMU is killed when it passes.
    public var timeout: Duration
    /// Guest-side watchdog in whole seconds (`vhostfs.timeout=`): the init reports `watchdog=expired` and powers
    /// off. Give it less than `timeout` to get a clean log when a script hangs; nil for none.
    public var guestWatchdogSeconds: Int?
    /// How long QEMU may take to exit after the `done` marker before it is killed.
    public var poweroffGrace: Duration
    /// Guest RAM in MiB, memfd-backed and shared as vhost-user requires.
    public var memoryMiB: Int
    /// Extra kernel parameters appended after the defaults (`console=ttyS0 panic=-1 loglevel=4 edd=off`).
    public var extraKernelArguments: [String]
    /// Extra QEMU arguments appended at the end.
    public var extraQEMUArguments: [String]
    /// Copy the console to this process's stderr as it arrives (also on when `VHOSTFS_GUEST_ECHO=1`).
    public var echoConsole: Bool
    /// Keep the console log at this path; nil to use a temporary file that is removed after the run.
    public var consoleLogPath: String?
    /// Where the initramfs is built; nil for `$VHOSTFS_GUEST_CACHE` or `<repo>/guest-cache`.
    public var cacheDirectory: String?

    /// Describes a guest run; nothing starts until `run()`.
    public init(
        devices: [VhostUserFSDevice] = [],
        mountTag: String? = nil,
        script: String? = nil,
        timeout: Duration = .seconds(90)
    ) {
        self.devices = devices
        self.mountTag = mountTag
        self.mountOptions = nil
        self.script = script
        self.timeout = timeout
        self.guestWatchdogSeconds = nil
        self.poweroffGrace = .seconds(15)
        self.memoryMiB = 512
        self.extraKernelArguments = []
        self.extraQEMUArguments = []
        self.echoConsole = HostTools.environment["VHOSTFS_GUEST_ECHO"] == "1"
        self.consoleLogPath = nil
        self.cacheDirectory = nil
    }

    /// Whether this host can boot the guest, and what is missing if not. Same as `QEMUAvailability.check()`.
    public static func checkAvailability() -> QEMUAvailability {
        QEMUAvailability.check()
    }

    /// The kernel command line the guest gets.
    public var kernelCommandLine: String {
        // panic=-1: a dying init reboots at once, which ends QEMU under -no-reboot. edd=off: skips a BIOS probe whose
        // output would otherwise share a console line with the first marker.
        var arguments = ["console=ttyS0", "panic=-1", "loglevel=4", "edd=off"]
        if let mountTag { arguments.append("vhostfs.tag=\(mountTag)") }
        if let mountOptions { arguments.append("vhostfs.mountopts=\(mountOptions)") }
        if let script { arguments.append("vhostfs.script=\(script)") }
        if let guestWatchdogSeconds { arguments.append("vhostfs.timeout=\(guestWatchdogSeconds)") }
        return (arguments + extraKernelArguments).joined(separator: " ")
    }

    /// The QEMU arguments (without argv[0]) for booting `artifacts` with the serial console written to
    /// `consoleLogPath`.
    public func qemuArguments(artifacts: GuestArtifacts, consoleLogPath: String) throws(QEMUTestKitError) -> [String] {
        try validate()
        var arguments = [
            "-accel", "tcg",
            "-m", "\(memoryMiB)M",
            "-object", "memory-backend-memfd,id=mem,size=\(memoryMiB)M,share=on",
            "-numa", "node,memdev=mem",
            "-nographic", "-no-reboot",
            "-monitor", "none",
            // No NIC: saves the iPXE option ROM's probe at boot.
            "-nic", "none",
            "-serial", "file:\(consoleLogPath)",
            "-kernel", artifacts.kernelPath,
            "-initrd", artifacts.initramfsPath,
            "-append", kernelCommandLine,
        ]
        for (index, device) in devices.enumerated() {
            arguments += device.qemuArguments(index: index)
        }
        return arguments + extraQEMUArguments
    }

    /// Boots the guest and waits until QEMU exits, `timeout` passes, or the task is cancelled.
    ///
    /// Builds the initramfs first if needed (see `GuestArtifacts.prepare`). The result describes guests that
    /// failed; this only throws when the guest could not be started, or on cancellation (after killing QEMU).
    public func run() async throws(QEMUTestKitError) -> GuestRunResult {
        try validate()
        let artifacts = try GuestArtifacts.prepare(cacheDirectory: cacheDirectory)
        let work = try HostTools.makeTemporaryDirectory(prefix: "vhostfs-qemu")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let console = consoleLogPath ?? work + "/console.log"
        // Create the log first so it can be opened for reading before QEMU writes to it.
        guard FileManager.default.createFile(atPath: console, contents: nil) else {
            throw .io("cannot create console log \(console)")
        }
        let consoleFD = open(console, O_RDONLY | O_CLOEXEC)
        guard consoleFD >= 0 else { throw .io("cannot open \(console): \(String(cString: strerror(errno)))") }
        defer { close(consoleFD) }

        let qemuArguments = try qemuArguments(artifacts: artifacts, consoleLogPath: console)
        var executable = artifacts.qemuPath
        var arguments = qemuArguments
        if let watchdog = HostTools.findExecutable("timeout") {
            let seconds = Int((timeout + poweroffGrace).components.seconds) + 30
            arguments = ["--kill-after=5", "\(seconds)s", executable] + arguments
            executable = watchdog
        }

        let started = ContinuousClock.now
        var qemu = try ChildProcess(
            executable: executable, arguments: arguments,
            standardOutput: work + "/qemu.stdout", standardError: work + "/qemu.stderr")
        var reader = ConsoleReader(fd: consoleFD, echo: echoConsole)
        var doneAt: ContinuousClock.Instant?
        var timedOut = false
        var killed = false
        var cancelled = false
        let deadline = started + timeout
        var status: QEMUExitStatus

        while true {
            reader.drain()
            if doneAt == nil && reader.sawDone { doneAt = .now }
            if let exited = qemu.poll() {
                status = exited
                break
            }
            let now = ContinuousClock.now
            if now >= deadline {
                timedOut = true
                killed = true
                status = qemu.terminate()
                break
            }
            if let doneAt, now >= doneAt + poweroffGrace {
                killed = true
                status = qemu.terminate()
                break
            }
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                cancelled = true
                status = qemu.terminate()
                break
            }
        }
        let elapsed = ContinuousClock.now - started
        reader.drain()
        if doneAt == nil && reader.sawDone { doneAt = .now }
        if cancelled { throw .cancelled }

        return GuestRunResult(
            consoleLog: String(decoding: reader.bytes, as: UTF8.self),
            qemuExitStatus: status,
            qemuStandardError: HostTools.readText(work + "/qemu.stderr") + HostTools.readText(work + "/qemu.stdout"),
            timedOut: timedOut,
            qemuKilled: killed,
            bootToDone: doneAt.map { $0 - started },
            elapsed: elapsed,
            commandLine: [artifacts.qemuPath] + qemuArguments,
            artifacts: artifacts)
    }

    /// Rejects settings the kernel command line or QEMU cannot carry.
    private func validate() throws(QEMUTestKitError) {
        for device in devices { try device.validate() }
        for (name, value) in [("mountTag", mountTag), ("mountOptions", mountOptions), ("script", script)] {
            guard let value else { continue }
            guard !value.isEmpty, !value.contains(where: { $0.isWhitespace || $0 == "\"" }) else {
                throw .invalidConfiguration("\(name) '\(value)' must be non-empty without spaces or quotes")
            }
        }
        if let script, script.hasPrefix("/") {
            throw .invalidConfiguration("script '\(script)' must be relative to the share's root")
        }
        if let guestWatchdogSeconds, guestWatchdogSeconds <= 0 {
            throw .invalidConfiguration("guestWatchdogSeconds must be positive")
        }
        guard memoryMiB >= 64 else { throw .invalidConfiguration("memoryMiB \(memoryMiB) is below 64") }
        guard timeout > .zero else { throw .invalidConfiguration("timeout must be positive") }
    }
}
