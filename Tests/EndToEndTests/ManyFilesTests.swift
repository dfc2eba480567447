import Foundation
import QEMUTestKit
import Testing
import VhostUserTestKit

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// The checks GuestScripts/many-files.sh prints.
    static let manyFilesChecks = [
        "tree-file-count", "created-10000", "created-readable", "removed-10000", "created-directory-gone",
    ]

    /// A share larger than the descriptor limit, served by a daemon started from a shell with `ulimit -Sn 1024`:
    /// the guest finds all 50,000 files of a host-made tree, reads each back, then creates and removes 10,000
    /// files. Meanwhile the daemon never holds more descriptors than its cache allows.
    @Test("50,000 files under ulimit -Sn 1024: every name found, every file read back, 10,000 created and removed")
    func aTreeLargerThanTheDescriptorLimit() async throws {
        try requireHost()
        let started = Date()
        let share = try E2EShare()
        // 500 directories of 100 files, each holding its own path and a newline. Made in the order the guest's
        // `find | sort` lists them (bytewise: the names are zero-padded), so that the list of paths, one per line,
        // is both the names the guest must find and the concatenation of every file's content.
        let directories = 500, perDirectory = 100
        var listing = ""
        listing.reserveCapacity(directories * perDirectory * 12)
        try share.mkdir("tree")
        for d in 0..<directories {
            let directory = "d" + Self.padded(d)
            guard mkdir(share.path("tree/" + directory), 0o755) == 0 else {
                throw HostSideError(description: "mkdir \(directory): errno \(errno)")
            }
            for f in 0..<perDirectory {
                let line = "./\(directory)/f\(Self.padded(f))\n"
                let fd = open(share.path("tree/" + line.dropFirst(2).dropLast()), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                let written = line.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
                guard fd >= 0, written == line.utf8.count, close(fd) == 0 else {
                    throw HostSideError(description: "cannot create \(line): errno \(errno)")
                }
                listing += line
            }
        }
        let fileCount = directories * perDirectory
        try share.write(".e2e-tree-count", "\(fileCount)\n")
        let digest = try sha256(Data(listing.utf8), in: share)
        // Removing 60,000 files through Foundation would take longer than making them.
        defer { _ = try? HostSide.run(["rm", "-rf", share.path("tree")]) }

        let prepared = Date().timeIntervalSince(started)
        let server = try startBackend(share, softDescriptorLimit: 1024)
        let peak = DescriptorPeak(pid: server.pid)
        let (result, report) = try await boot(
            script: "many-files.sh", devices: [VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag)],
            backends: [server])
        let highest = peak.stop()
        report.expectAll(Self.manyFilesChecks, context: "back-end log:\n\(server.log.suffix(3000))")
        #expect(report.values["tree-names-sha256"] == digest, "the guest did not find every name")
        #expect(report.values["tree-content-sha256"] == digest, "the guest did not read every file back")
        #expect(!server.log.contains("Too many open files"), "\(server.log.suffix(3000))")
        if backend.name == "vhostfsd" {
            // Bounded: the descriptor cache the daemon announced, plus its own few dozen, whatever the tree's size.
            let cache = server.log.firstRange(of: "at most ").flatMap { range in
                Int(server.log[range.upperBound...].prefix { $0.isNumber })
            }
            let bound = try #require(cache, "the daemon did not log its descriptor cache:\n\(server.log)") + 100
            #expect(highest > 0 && highest <= bound, "the daemon held \(highest) descriptors (bound \(bound))")
            #expect(bound < fileCount, "the bound proves nothing unless it is below the number of files")
        }
        let walk = report.values["tree-walk-seconds"] ?? "?"
        let createRemove = report.values["create-remove-seconds"] ?? "?"
        print("e2e[\(backend.name)] many-files: host tree \(Int(prepared)) s, guest walk \(walk) s, create/remove "
            + "\(createRemove) s, guest run \(result.elapsed), daemon descriptors at most \(highest)")
    }

    /// `n` with three digits, zero-padded.
    private static func padded(_ n: Int) -> String {
        n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)"
    }

    /// SHA-256 of `data` as lowercase hex, through the host's `sha256sum` (as the other checksums here).
    private func sha256(_ data: Data, in share: E2EShare) throws -> String {
        let path = share.sibling("digest-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw HostSideError(description: "cannot write \(path)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try HostSide.sha256(path)
    }
}

/// Samples the open descriptors of a process and its descendants (a sandboxed daemon serves from a child of the
/// process started) every 50 ms on a thread of its own and keeps the highest total.
final class DescriptorPeak: @unchecked Sendable {
    // SAFETY (Sendable): `highest` and `running` are only touched under `lock`.
    private let lock = NSLock()
    private var highest = 0
    private var running = true
    private let thread: Thread

    init(pid: pid_t) {
        let box = Box()
        thread = Thread {
            while box.owner?.isRunning ?? false {
                let count = FUSEBackendProcess.processTree(of: pid).reduce(0) { total, process in
                    total + ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/fd").count) ?? 0)
                }
                box.owner?.record(count)
                usleep(50_000)
            }
        }
        box.owner = self
        thread.start()
    }

    private final class Box: @unchecked Sendable { weak var owner: DescriptorPeak? }

    private var isRunning: Bool { lock.withLock { running } }
    private func record(_ count: Int) { lock.withLock { highest = max(highest, count) } }

    /// Stops sampling and returns the highest count seen.
    func stop() -> Int {
        lock.withLock { running = false }
        return lock.withLock { highest }
    }
}
