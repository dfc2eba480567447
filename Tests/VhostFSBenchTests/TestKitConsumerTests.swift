import Foundation
import Glibc
import QEMUTestKit
import Testing
import VhostUserTestKit

/// VhostUserTestKit as another project uses it: `contrib/testkit-consumer` is a package of its own that depends on
/// this one by path and on nothing but the kit's product. Building it proves the product builds outside this
/// package and does not drag the daemon's layers along; its `fuse-probe` then does FUSE_INIT and GETATTR of the root
/// against this package's vhostfsd. A path dependency may use unsafe flags, a versioned one may not ("the target
/// 'LinuxSystem' in product 'VhostUserTestKit' contains unsafe build flags"), so the manifest is checked for them too.
///
/// The consumer has its own build directory (contrib/testkit-consumer/.build): the first build compiles the kit's
/// targets again (about 30 s on two cores), later ones are incremental.
@Suite(.timeLimit(.minutes(10)))
struct TestKitConsumerTests {
    /// The consumer package, relative to the package root (the working directory of `swift test`).
    static let packagePath = FileManager.default.currentDirectoryPath + "/contrib/testkit-consumer"

    /// Runs `arguments` (through /usr/bin/env, so `swift` is found on PATH) with stdout and stderr merged.
    static func run(_ arguments: [String]) throws -> HostCommand.Outcome { try HostCommand.run(arguments) }

    @Test func theManifestHasNoUnsafeFlags() throws {
        // A scratch directory of its own: the running `swift test` holds the lock on .build.
        let scratch = NSTemporaryDirectory() + "testkit-consumer-manifest-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let dump = try Self.run(["swift", "package", "dump-package", "--scratch-path", scratch,
                                 "--package-path", FileManager.default.currentDirectoryPath])
        try #require(dump.status == 0, "\(dump.output.suffix(2000))")
        #expect(dump.output.contains("\"VhostUserTestKit\""))
        #expect(!dump.output.contains("unsafeFlags"), "SwiftPM refuses a versioned dependency with unsafe flags")
    }

    @Test func anOutsidePackageBuildsOnTheKitAloneAndProbesVhostfsd() throws {
        // SwiftPM keeps the consumer's build plan (.build/debug.yaml) and does not see files added to or removed
        // from a path dependency's targets ("missing inputs", or a type not found, after a pull): plan again.
        try? FileManager.default.removeItem(atPath: Self.packagePath + "/.build/debug.yaml")
        let build = try Self.run(["swift", "build", "--package-path", Self.packagePath])
        try #require(build.status == 0, "swift build of the consumer failed:\n\(build.output.suffix(4000))")

        // The package graph keeps the kit off the daemon's layers: none of them was compiled for the consumer.
        let modules = Self.packagePath + "/.build/debug/Modules"
        let built = try FileManager.default.contentsOfDirectory(atPath: modules)
        #expect(built.contains("VhostUserTestKit.swiftmodule"), "\(built)")
        #expect(built.contains("FUSEWire.swiftmodule"), "\(built)")
        for layer in ["FUSE", "FSDev", "FSDevAIO", "Reactor", "VirtioFS", "VhostFSDaemon"] {
            #expect(!built.contains(layer + ".swiftmodule"), "the kit pulled \(layer): \(built)")
        }

        let root = NSTemporaryDirectory() + "testkit-consumer-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root + "/share/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let backend = try FUSEBackendProcess(template: BackendFixture.defaultTemplate, socketPath: root + "/vhost.sock",
                                             sharedDirectory: root + "/share", logPath: root + "/backend.log")
        defer { backend.stop() }
        try backend.waitForSocket()

        let probe = try Self.run([Self.packagePath + "/.build/debug/fuse-probe", root + "/vhost.sock"])
        #expect(probe.status == 0, "\(probe.output)\nbackend log:\n\(backend.logTail())")
        #expect(probe.output.contains("INIT: protocol 7."), "\(probe.output)")
        // The share's root: a directory holding one subdirectory, so two links plus one.
        #expect(probe.output.contains("GETATTR of the root: inode "), "\(probe.output)")
        #expect(probe.output.contains("directory true, links 3,"), "\(probe.output)")

        let usage = try Self.run([Self.packagePath + "/.build/debug/fuse-probe"])
        #expect(usage.status == 2 && usage.output.hasPrefix("usage: fuse-probe SOCKET"), "\(usage.output)")
    }
}
