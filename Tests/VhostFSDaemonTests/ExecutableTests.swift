import Foundation
import Testing

@testable import VhostFSDaemon

/// Runs the real `vhostfsd` binary that `swift build`/`swift test` put next to the test bundle.
@Suite struct ExecutableTests {
    /// What one run of the binary produced.
    struct Run {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// The built binary: in the same directory as the test bundle (`.build/<triple>/debug/`).
    static func executablePath() throws -> String {
        let bundle = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        var candidates = [bundle.deletingLastPathComponent().appendingPathComponent("vhostfsd").path]
        // `#filePath`-relative fallback: <package>/Tests/VhostFSDaemonTests/ExecutableTests.swift.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug/vhostfsd").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DaemonConfigurationError(
                "the vhostfsd binary is not built (looked in \(candidates.joined(separator: ", "))); "
                    + "run `swift build --product vhostfsd` or `swift build --build-tests` first")
        }
        return found
    }

    /// Runs the binary with `arguments` and no standard input, and waits for it.
    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executablePath())
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
        let errorData = Box<Data>()
        let reader = Thread { errorData.value = error.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errorData.value == nil { usleep(1000) }
        return Run(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.value ?? Data(), as: UTF8.self))
    }

    /// A value filled in by another thread.
    final class Box<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Value?
        var value: Value? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    @Test func theBinaryIsBuilt() throws {
        #expect(FileManager.default.isExecutableFile(atPath: try Self.executablePath()))
    }

    static let badArguments: [CommandLineCase] = [
        CommandLineCase(["--bogus"], "Unknown option '--bogus'"),
        CommandLineCase([], "one of --socket-path or --fd is required"),
        CommandLineCase(["--queue-size"], "Missing value for '--queue-size <n>'"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--queue-size=1000"],
            "--queue-size: 1000 is not a power of two between 64 and 32768"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE/missing"], "--shared-dir: $SHARE/missing does not exist"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--fd=0", "--shared-dir=$SHARE"], "--socket-path and --fd are mutually exclusive"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--queues=two"], "--queues: two is not an integer"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--xattr", "-o", "no_xattr"],
            "-o no_xattr conflicts with --xattr"),
        CommandLineCase(
            ["--socket-path=$SOCK", "-o", "source=$SHARE,modcaps=+sys_admin:mknod"],
            "-o modcaps: mknod must start with + or - (e.g. +sys_admin:-mknod)"),
        CommandLineCase(["--fd=999999", "--shared-dir=$SHARE"], "--fd: 999999 is not an open file descriptor"),
        CommandLineCase(["-o"], "Missing value for '-o <opt[,opt...]>'"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--xattrmap=:prefix:everywhere:a.:b.:"],
            "--xattrmap: rule 1: unknown scope 'everywhere' (expected all, client or server)"),
        CommandLineCase(
            ["--socket-path=$SOCK", "--shared-dir=$SHARE", "--killpriv-v2", "-o", "no_killpriv_v2"],
            "-o no_killpriv_v2 conflicts with --killpriv-v2"),
    ]

    @Test(arguments: badArguments)
    func badArgumentsExitWithStatus2AndOneLine(testCase: CommandLineCase) throws {
        let fixture = try CommandLineFixture()
        let run = try Self.run(fixture.fill(testCase.arguments))
        #expect(run.status == 2)
        #expect(run.standardOutput.isEmpty)
        #expect(run.standardError == "vhostfsd: \(fixture.fill(testCase.expected))\n")
        #expect(run.standardError.filter { $0 == "\n" }.count == 1)
    }

    @Test func printCapabilitiesIsJSONOfTypeFS() throws {
        let run = try Self.run(["--print-capabilities"])
        #expect(run.status == 0)
        #expect(run.standardError.isEmpty)
        let object = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8))
        let capabilities = try #require(object as? [String: Any])
        #expect(capabilities["type"] as? String == "fs")
        let features = try #require(capabilities["features"] as? [String])
        #expect(features.contains("separate-options"))
        #expect(!features.contains("migrate-precopy"))
    }

    @Test func helpExitsZeroWithUsage() throws {
        for flag in ["--help", "-h"] {
            let run = try Self.run([flag])
            #expect(run.status == 0)
            #expect(run.standardError.isEmpty)
            #expect(run.standardOutput.contains("USAGE: vhostfsd"))
            #expect(run.standardOutput.contains("--reactor-cpus"))
        }
    }

    @Test func versionExitsZero() throws {
        let run = try Self.run(["-V"])
        #expect(run.status == 0)
        #expect(run.standardOutput == "\(DaemonVersion.string)\n")
    }
}
