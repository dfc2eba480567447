import Foundation
import Glibc
import Testing

/// The vhostfs-bench executable as a user runs it: argument errors are one line on stderr and exit status 2; a short
/// run against vhostfsd (or the backend from `VHOSTFS_BENCH_BACKEND`) produces sane JSON.
@Suite(.timeLimit(.minutes(2)))
struct BenchCommandTests {
    /// The built tool, next to the test bundle.
    static var toolPath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = (exe as NSString).deletingLastPathComponent
        // The test runner may live inside a bundle directory (…/vhostfsdPackageTests.xctest/…).
        while !directory.isEmpty, directory != "/",
            !FileManager.default.isExecutableFile(atPath: directory + "/vhostfs-bench")
        {
            directory = (directory as NSString).deletingLastPathComponent
        }
        return directory + "/vhostfs-bench"
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func runTool(_ arguments: [String], timeout: TimeInterval = 90) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: toolPath)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test func theToolIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.toolPath), "\(Self.toolPath)")
    }

    @Test(arguments: [
        ([], "give at least one --backend"),
        (["--backend", "some-daemon --path=/x"], "no {socket}"),
        (["--backend", "a --s={socket}", "--connect", "/tmp/x.sock", "--dir", "/tmp"], "cannot be combined"),
        (["--connect", "/nonexistent/vhostfs.sock", "--dir", "/tmp"], "is not a socket"),
        (["--connect", "/tmp/x.sock"], "needs --dir"),
        (["--backend", "d {socket}", "--workloads", "randread4k,nope"], "unknown workload 'nope'"),
        (["--backend", "d {socket}", "--qd", "0"], "--qd"),
        (["--backend", "d {socket}", "--qd", "1,x"], "--qd"),
        (["--backend", "d {socket}", "--queues", ""], "--queues"),
        (["--backend", "d {socket}", "--duration", "-1"], "--duration"),
        (["--backend", "d {socket}", "--count", "0"], "--count"),
        (["--backend", "d {socket}", "--file-size", "12Q"], "--file-size"),
        (["--backend", "d {socket}", "--wait", "sometimes"], "--wait"),
        (["--backend", "d {socket}", "--queue-size", "1000"], "--queue-size"),
        (["--backend", "d {socket}", "--readdir-buffer", "10"], "--readdir-buffer"),
        (["--backend", "d {socket}", "--dir", "/nonexistent-dir"], "is not a directory"),
        (["--backend", "d {socket}", "--json", "/nonexistent-dir/out.json"], "--json"),
        (["--backend", "a=x {socket}", "--backend", "a=y {socket}"], "same label"),
        (["--bogus"], "--bogus"),
        (["--qd"], "--qd"),
        (["--duration", "soon", "--backend", "d {socket}"], "soon"),
        (["--backend", "d {socket}", "--cpu-hogs", "-1"], "--cpu-hogs"),
        (["--backend", "d {socket}", "--cpu-hogs", "1,x"], "--cpu-hogs"),
        (["--backend", "d {socket}", "--cpu-hogs", "65"], "--cpu-hogs"),
        (["--backend", "d {socket}", "--rounds", "0"], "--rounds"),
        (["--backend", "d {socket}", "--markdown", "/nonexistent-dir/out.md"], "--markdown"),
        (["--backend", "a=d {socket}", "--ratio", "a"], "--ratio 'a' is not A/B"),
        (["--backend", "a=d {socket}", "--ratio", "a/"], "--ratio 'a/' is not A/B"),
        (["--backend", "a=d {socket}", "--ratio", "a/b"], "no backend is labelled 'b'"),
        (["--backend", "a=d {socket}", "--backend", "b=d {socket}", "--ratio", "a/b|"], "is not A/B"),
    ] as [([String], String)])
    func argumentErrorsAreOneLineAndExitTwo(arguments: [String], mentions: String) throws {
        let r = try Self.runTool(arguments)
        #expect(r.status == 2, "\(arguments): status \(r.status), stderr \(r.stderr)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(arguments): \(r.stderr)")
        #expect(r.stderr.hasPrefix("vhostfs-bench: "), "\(arguments): \(r.stderr)")
        #expect(r.stderr.hasSuffix("\n"))
        #expect(r.stderr.contains(mentions), "\(arguments): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(arguments): \(r.stdout)")
    }

    @Test func helpGoesToStdoutWithStatusZero() throws {
        let r = try Self.runTool(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE: vhostfs-bench"))
        #expect(r.stdout.contains("--backend"))
        #expect(r.stderr.isEmpty)
    }

    @Test func aBackendThatExitsAtOnceIsReportedNotHung() throws {
        let json = NSTemporaryDirectory() + "vhostfs-bench-false-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let r = try Self.runTool([
            "--backend", "broken=/bin/sh -c 'echo cannot serve {socket} >&2; exit 3'", "--no-floor", "--workloads",
            "getattr", "--files", "3", "--dir-entries", "3", "--file-size", "128K", "--json", json,
        ])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("broken: the backend exited (status"), "\(r.stderr)")
        #expect(r.stderr.contains("cannot serve"), "the backend's log is shown: \(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
        let backends = (report as? [String: Any])?["backends"] as? [[String: Any]]
        #expect(backends?.first?["error"] is String)
    }

    /// Two back-ends taking turns cell by cell, with a CPU hog and two rounds: every cell is measured twice per
    /// back-end and hog count, the Markdown has a table per hog count and the ratio, and no hog outlives the run.
    @Test func hogsRoundsAndMarkdown() throws {
        let template = BackendFixture.template
        let base = NSTemporaryDirectory() + "vhostfs-bench-hogs-\(getpid())"
        defer {
            try? FileManager.default.removeItem(atPath: base + ".json")
            try? FileManager.default.removeItem(atPath: base + ".md")
        }
        let r = try Self.runTool([
            "--backend", "one=" + template, "--backend", "two=" + template, "--workloads", "getattr,idle",
            "--qd", "1,4", "--queues", "1", "--duration", "0.1", "--no-floor", "--files", "5", "--dir-entries", "5",
            "--file-size", "128K", "--cpu-hogs", "0,1", "--rounds", "2", "--ratio", "one/two", "--json",
            base + ".json", "--markdown", base + ".md", "--no-progress",
        ])
        #expect(r.status == 0, "stderr: \(r.stderr)\nstdout: \(r.stdout)")
        let markdown = try String(contentsOfFile: base + ".md", encoding: .utf8)
        #expect(markdown.contains("#### No CPU hogs"))
        #expect(markdown.contains("#### 1 CPU hog"))
        #expect(markdown.contains("#### one / two (ops/s over ops/s)"))
        #expect(markdown.contains("| GETATTR | 4 |"))
        #expect(markdown.contains("--cpu-hogs 0,1"), "the command is in the document")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + ".json")))
        let backends = try #require((object as? [String: Any])?["backends"] as? [[String: Any]])
        #expect(backends.map { $0["label"] as? String } == ["one", "two"])
        for b in backends {
            let results = try #require(b["results"] as? [[String: Any]])
            // (getattr qd1, getattr qd4, idle) x 2 hog counts x 2 rounds.
            #expect(results.count == 12, "\(b["label"] ?? "")")
            #expect(Set(results.compactMap { $0["cpu_hogs"] as? Int }) == [0, 1])
            #expect(Set(results.compactMap { $0["round"] as? Int }) == [0, 1])
            #expect(results.allSatisfy { $0["error"] == nil })
        }
        // The hogs were processes of this tool: none is left.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.contains("--cpu-hog-child") == true
        } ?? []
        #expect(left.isEmpty, "hog processes left: \(left)")
    }

    @Test func aShortRunProducesSaneJSON() throws {
        let template = BackendFixture.template
        let json = NSTemporaryDirectory() + "vhostfs-bench-run-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let workloads = ["randread4k", "seqwrite128k", "getattr", "lookup-getattr", "create-unlink", "mkdir-rmdir",
                         "readdirplus", "idle"]
        let r = try Self.runTool([
            "--backend", "under-test=" + template, "--workloads", workloads.joined(separator: ","), "--qd", "1,4",
            "--queues", "1", "--duration", "0.2", "--floor-seconds", "0.05", "--files", "20", "--dir-entries", "150",
            "--file-size", "1M", "--json", json, "--no-progress",
        ])
        #expect(r.status == 0, "stderr: \(r.stderr)\nstdout: \(r.stdout)")
        #expect(r.stdout.contains("under-test"))
        #expect(r.stdout.contains("native floor"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
        let report = try #require(object as? [String: Any])
        #expect(report["tool"] as? String == "vhostfs-bench")
        let floor = try #require(report["floor"] as? [[String: Any]])
        #expect(floor.count >= 5)
        for f in floor { #expect((f["ops_per_second"] as? Double ?? 0) > 0, "\(f)") }
        let backend = try #require((report["backends"] as? [[String: Any]])?.first)
        #expect(backend["error"] == nil)
        #expect((backend["process_id"] as? Int ?? 0) > 0)
        let results = try #require(backend["results"] as? [[String: Any]])
        // Queue depths apply to all but readdirplus and idle.
        #expect(results.count == (workloads.count - 2) * 2 + 2)
        for result in results {
            let name = result["workload"] as? String ?? "?"
            #expect(result["error"] == nil, "\(name): \(result["error"] ?? "")")
            guard name != "idle" else { continue }
            #expect((result["operations"] as? Int ?? 0) > 0, "\(name)")
            #expect((result["ops_per_second"] as? Double ?? 0) > 0, "\(name)")
            let latency = try #require(result["latency_microseconds"] as? [String: Double])
            #expect((latency["p50"] ?? 0) > 0 && (latency["p50"] ?? 0) <= (latency["p99"] ?? 0), "\(name)")
            #expect((latency["p99"] ?? 0) <= (latency["p999"] ?? 0), "\(name)")
            #expect((result["floor_ratio"] as? Double ?? 0) > 0, "\(name)")
            #expect((result["requests_per_operation"] as? Double ?? 0) >= 1, "\(name)")
        }
    }
}
