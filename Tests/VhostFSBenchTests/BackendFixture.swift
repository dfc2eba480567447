import Foundation
import Glibc
import LinuxSystem
import VhostUserTestKit

/// The backend under test: a command template from `VHOSTFS_BENCH_BACKEND` (default: this package's debug
/// vhostfsd), started on a fresh shared directory and socket, with a connected `FUSEClient`.
///
/// Against the C virtiofsd:
///
///     VHOSTFS_BENCH_BACKEND='/usr/lib/qemu/virtiofsd --socket-path={socket} -o source={dir} -o cache=auto \
///         -o sandbox=chroot' swift test --filter VhostFSBenchTests
final class BackendFixture {
    /// The template used when the environment does not name one.
    static let defaultTemplate = ".build/debug/vhostfsd --socket-path={socket} --shared-dir={dir}"

    /// The template in force.
    static var template: String {
        ProcessInfo.processInfo.environment["VHOSTFS_BENCH_BACKEND"] ?? defaultTemplate
    }

    /// Whether the backend is QEMU's C virtiofsd, whose known deviations some tests accept.
    static var isQEMUVirtiofsd: Bool { template.contains("qemu/virtiofsd") }

    let root: String
    let shared: String
    let process: FUSEBackendProcess
    let client: FUSEClient

    /// Starts the backend and connects a client configured as given.
    ///
    /// - Parameter template: a command template of its own (tests of vhostfsd's options), instead of `template`.
    init(configuration: FUSEClient.Configuration = FUSEClient.Configuration(), template: String? = nil) throws {
        root = NSTemporaryDirectory() + "vhostfs-bench-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        shared = root + "/share"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        process = try FUSEBackendProcess(template: template ?? Self.template, socketPath: root + "/vhost.sock",
                                         sharedDirectory: shared, logPath: root + "/backend.log")
        do {
            try process.waitForSocket(timeoutMilliseconds: 10_000)
            client = try FUSEClient(socketPath: root + "/vhost.sock", configuration: configuration)
        } catch {
            process.stop()
            let log = process.logTail()
            try? FileManager.default.removeItem(atPath: root)
            throw FixtureError(message: "\(error); backend log:\n\(log)")
        }
    }

    /// Host path of `name` in the shared directory.
    func hostPath(_ name: String) -> String { shared + "/" + name }

    func stop() {
        client.shutdown()
        process.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    struct FixtureError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
