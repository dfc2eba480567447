import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The files a guest boots from: QEMU, the kernel and the initramfs built by `contrib/guest/build-initramfs.sh`.
public struct GuestArtifacts: Sendable, Hashable {
    /// The qemu-system-x86_64 binary.
    public let qemuPath: String
    /// The kernel version, e.g. `6.1.0-56-amd64`.
    public let kernelVersion: String
    /// The kernel image (`-kernel`).
    public let kernelPath: String
    /// The initramfs (`-initrd`).
    public let initramfsPath: String
    /// How long the build script ran: the full build, or only the up-to-date check.
    public let buildDuration: Duration

    /// Names artifacts directly, e.g. a kernel built elsewhere; `prepare(cacheDirectory:)` finds and builds them.
    public init(
        qemuPath: String, kernelVersion: String, kernelPath: String, initramfsPath: String,
        buildDuration: Duration = .zero
    ) {
        self.qemuPath = qemuPath
        self.kernelVersion = kernelVersion
        self.kernelPath = kernelPath
        self.initramfsPath = initramfsPath
        self.buildDuration = buildDuration
    }

    /// Checks the host, then runs the build script (which returns at once when its inputs are unchanged) the first
    /// time this process asks for `cacheDirectory`; later calls return the same artifacts.
    ///
    /// - Parameter cacheDirectory: where the initramfs goes; nil for `$VHOSTFS_GUEST_CACHE`, else
    ///   `<repo>/guest-cache`.
    /// - Throws: `.unavailable` with what to install, or `.initramfsBuildFailed` with the script's output.
    public static func prepare(cacheDirectory: String? = nil) throws(QEMUTestKitError) -> GuestArtifacts {
        let key = cacheDirectory ?? ""
        // The lock is held during the build so concurrent tests wait for one build instead of racing.
        let result: Result<GuestArtifacts, QEMUTestKitError> = prepared.withLock { cache in
            if let cached = cache[key] { return .success(cached) }
            do throws(QEMUTestKitError) {
                let artifacts = try build(cacheDirectory: cacheDirectory)
                cache[key] = artifacts
                return .success(artifacts)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static let prepared = Mutex<[String: GuestArtifacts]>([:])

    private static func build(cacheDirectory: String?) throws(QEMUTestKitError) -> GuestArtifacts {
        let availability = QEMUAvailability.check()
        guard availability.isAvailable, let qemu = availability.qemuPath, let root = availability.repositoryRoot else {
            throw .unavailable(availability)
        }
        let output = cacheDirectory ?? HostTools.cacheDirectory(repositoryRoot: root)
        let work = try HostTools.makeTemporaryDirectory(prefix: "vhostfs-initramfs")
        defer { try? FileManager.default.removeItem(atPath: work) }

        let started = ContinuousClock.now
        var child = try ChildProcess(
            executable: "/bin/sh", arguments: [root + "/" + HostTools.buildScriptRelativePath, output],
            standardOutput: work + "/stdout", standardError: work + "/stderr")
        let deadline = started + .seconds(300)
        var status: QEMUExitStatus?
        while true {
            if let ended = child.poll() {
                status = ended
                break
            }
            if ContinuousClock.now > deadline {
                _ = child.terminate()
                break
            }
            usleep(5_000)
        }
        let elapsed = ContinuousClock.now - started
        let stdout = HostTools.readText(work + "/stdout")
        let stderr = HostTools.readText(work + "/stderr")
        let combined = stdout + stderr + (status == nil ? "\n(killed after 300 s)" : "")
        guard let status, status.isSuccess else {
            throw .initramfsBuildFailed(status: status, output: combined)
        }
        var values: [String: String] = [:]
        for line in stdout.split(whereSeparator: \.isNewline) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let version = values["KVER"], let kernel = values["KERNEL"], let initramfs = values["INITRAMFS"],
              access(initramfs, R_OK) == 0
        else {
            throw .initramfsBuildFailed(status: status, output: "no KVER/KERNEL/INITRAMFS lines:\n" + combined)
        }
        return GuestArtifacts(
            qemuPath: qemu, kernelVersion: version, kernelPath: kernel, initramfsPath: initramfs,
            buildDuration: elapsed)
    }
}
