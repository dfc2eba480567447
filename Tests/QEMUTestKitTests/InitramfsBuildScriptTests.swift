import Foundation
import Testing

/// Runs `contrib/guest/build-initramfs.sh` directly, into throw-away output directories.
@Suite("initramfs build script", .serialized)
struct InitramfsBuildScriptTests {
    private struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    private static let script: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("contrib/guest/build-initramfs.sh")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        }
        return "contrib/guest/build-initramfs.sh"
    }()

    private func run(output: String, environment extra: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [Self.script, output]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let started = ContinuousClock.now
        try process.run()
        // The outputs are a few lines: reading to EOF before waiting cannot deadlock on a full pipe.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - started
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("vhostfs-initramfs-test-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("builds once, then only checks its inputs and leaves the output alone", .timeLimit(.minutes(2)))
    func idempotent() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let first = try run(output: directory)
        try #require(first.status == 0, "build failed:\n\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        let initramfs = try #require(lines.first { $0.hasPrefix("INITRAMFS=") }).dropFirst("INITRAMFS=".count)
        #expect(initramfs.hasPrefix(directory))
        #expect(lines.contains { $0.hasPrefix("KERNEL=/") })
        #expect(lines.contains { $0.hasPrefix("KVER=") })
        let builtAt = try FileManager.default.attributesOfItem(atPath: String(initramfs))[.modificationDate] as? Date

        let second = try run(output: directory)
        #expect(second.status == 0)
        #expect(second.stdout == first.stdout, "the second run must print the same paths")
        #expect(second.stderr.contains("up to date"), "\(second.stderr)")
        let checkedAt = try FileManager.default.attributesOfItem(atPath: String(initramfs))[.modificationDate] as? Date
        #expect(builtAt == checkedAt, "an up-to-date initramfs must not be rewritten")
        #expect(second.seconds < 5)
        print(String(format: "initramfs: full build %.2f s, up-to-date check %.2f s", first.seconds, second.seconds))
    }

    @Test("a missing busybox fails with what to install", .timeLimit(.minutes(1)))
    func missingBusybox() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run(output: directory, environment: ["VHOSTFS_BUSYBOX": "/nonexistent/busybox"])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("busybox-static"), "\(result.stderr)")
    }

    @Test("a missing kernel fails with what to install", .timeLimit(.minutes(1)))
    func missingKernel() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run(output: directory, environment: ["VHOSTFS_KVER": "0.0.0-nonexistent"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("linux-image-amd64"), "\(result.stderr)")
    }

    @Test("a dynamically linked busybox is refused", .timeLimit(.minutes(1)))
    func dynamicBusybox() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // /bin/sh (dash) stands in for a dynamically linked busybox: an ELF with a PT_INTERP header.
        let result = try run(output: directory, environment: ["VHOSTFS_BUSYBOX": "/bin/sh"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not a statically linked"), "\(result.stderr)")
    }
}
