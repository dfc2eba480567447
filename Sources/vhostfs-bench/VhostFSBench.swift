import ArgumentParser
import Foundation
import Glibc
import VhostUserTestKit

/// vhostfs-bench: drives vhost-user-fs backends through their sockets the way a guest does and compares them with
/// the native system-call floor measured in the same run.
@main
struct VhostFSBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vhostfs-bench",
        abstract: "Benchmark vhost-user-fs backends over their socket against the native floor.",
        discussion: """
            Each --backend is a command template: {socket} and {dir} are replaced by the socket path and the shared \
            directory; the benchmark starts it, waits for the socket, runs the workloads and kills it. An optional \
            LABEL= prefix names it in the tables. With --connect the backend is already running and --dir names its \
            shared directory on this host. The native floor (the same system calls from this process on the same \
            files) is measured first; "x floor" is backend time per operation over native time per operation.

            Example: --backend 'virtiofsd-c=/usr/lib/qemu/virtiofsd --socket-path={socket} -o source={dir} \
            -o cache=auto -o sandbox=chroot' --backend 'vhostfsd=.build/release/vhostfsd --socket-path={socket} \
            --shared-dir={dir}' --json result.json
            """)

    @Option(name: .long, help: ArgumentHelp("A backend command template, [LABEL=]COMMAND (repeatable).",
                                            valueName: "spec"))
    var backend: [String] = []

    @Option(name: .long, help: ArgumentHelp("Socket of an already running backend.", valueName: "socket"))
    var connect: String?

    @Option(name: .long, help: ArgumentHelp("The shared directory on this host (default: a new temporary one).",
                                            valueName: "dir"))
    var dir: String?

    @Option(name: .long, help: ArgumentHelp(
        "Comma-separated workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")), or all.",
        valueName: "list"))
    var workloads = "all"

    @Option(name: .long, help: ArgumentHelp("Comma-separated queue depths per request queue.", valueName: "list"))
    var qd = "1,32"

    @Option(name: .long, help: ArgumentHelp(
        "Comma-separated request-queue counts (one thread per queue; capped at what the backend offers).",
        valueName: "list"))
    var queues = "1,2"

    @Option(name: .long, help: ArgumentHelp("Seconds per workload.", valueName: "seconds"))
    var duration: Double = 2

    @Option(name: .long, help: ArgumentHelp("Operations per queue per workload, instead of a duration.",
                                            valueName: "n"))
    var count: Int?

    @Option(name: .customLong("file-size"), help: ArgumentHelp("Size of the data file (K, M, G suffixes).",
                                                               valueName: "size"))
    var fileSize = "64M"

    @Option(name: .long, help: ArgumentHelp("Small files for the lookup and getattr workloads.", valueName: "n"))
    var files = 1000

    @Option(name: .customLong("dir-entries"), help: ArgumentHelp("Entries of the READDIRPLUS directory.",
                                                                 valueName: "n"))
    var dirEntries = 10_000

    @Option(name: .customLong("tree-files"), help: ArgumentHelp(
        "Files of the walk's tree, 100 per directory (made only when the walk runs).", valueName: "n"))
    var treeFiles = 50_000

    @Option(name: .customLong("readdir-buffer"), help: ArgumentHelp(
        "READDIRPLUS buffer size in bytes (Linux uses one page).", valueName: "bytes"))
    var readdirBuffer = 4096

    @Option(name: .long, help: ArgumentHelp(
        "How the client waits for completions: poll, interrupt or hybrid[:microseconds of spinning].",
        valueName: "mode"))
    var wait = "hybrid:50"

    @Option(name: .customLong("queue-size"), help: ArgumentHelp("Virtqueue size.", valueName: "n"))
    var queueSize = 1024

    @Option(name: .customLong("floor-seconds"), help: ArgumentHelp("Seconds per native floor measurement.",
                                                                   valueName: "seconds"))
    var floorSeconds = 0.5

    @Flag(name: .customLong("no-floor"), help: "Skip the native floor.")
    var noFloor = false

    @Option(name: .customLong("cpu-hogs"), help: ArgumentHelp(
        "Comma-separated counts of processes of pure computation running during every workload, as busy vCPUs "
            + "would; every backend is measured at each count (the floor is measured without hogs).",
        valueName: "list"))
    var cpuHogs = "0"

    @Option(name: .long, help: ArgumentHelp(
        "Times each cell (workload, queues, queue depth) is measured on every backend, the backends taking turns "
            + "in rotated order; the tables show each cell's median round.", valueName: "n"))
    var rounds = 1

    @Option(name: .long, help: ArgumentHelp("Write the result as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp(
        "Write Markdown tables to this file: ops/s (p50 us) of every backend per --cpu-hogs count, and one table "
            + "per --ratio.", valueName: "file"))
    var markdown: String?

    @Option(name: .long, help: ArgumentHelp(
        "A ratio to tabulate in --markdown, A/B: backend A's ops/s over backend B's, per workload and hog count; "
            + "B may be B1|B2 for the faster of several (repeatable).", valueName: "A/B"))
    var ratio: [String] = []

    @Flag(inversion: .prefixedNo, help: "Show a progress line on stderr (default: when stderr is a terminal).")
    var progress: Bool?

    @Option(name: .customLong("startup-timeout"), help: ArgumentHelp("Seconds to wait for a backend's socket.",
                                                                     valueName: "seconds"))
    var startupTimeout: Double = 10

    // MARK: - Entry point

    /// Parses the arguments; a usage problem is one line `vhostfs-bench: <problem>` on stderr and exit status 2.
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count == 3, arguments[1] == CPUHogs.cpuHogArgument, let parent = pid_t(arguments[2]) {
            CPUHogs.runChild(parent: parent)
        }
        let command: VhostFSBench
        do {
            var parsed = try parseAsRoot(nil)
            guard let c = parsed as? VhostFSBench else {
                // --help and friends parse as ArgumentParser's own commands.
                try parsed.run()
                Glibc.exit(0)
            }
            command = c
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            usageFailure(message(for: error))
        }
        do {
            try command.execute()
        } catch let BenchFailure.usage(problem) {
            usageFailure(problem)
        } catch {
            StandardError.write("vhostfs-bench: \(error)\n")
            Glibc.exit(1)
        }
    }

    private static func usageFailure(_ problem: String) -> Never {
        let line = problem.split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid arguments"
        let trimmed = line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
        StandardError.write("vhostfs-bench: \(trimmed)\n")
        Glibc.exit(2)
    }

    // MARK: - Validation

    /// A backend as given on the command line.
    struct BackendSpec {
        var label: String
        var template: String?
    }

    /// Splits `[LABEL=]COMMAND`: a label is a prefix before the first `=` with no blank, `/`, `{` or `-` start.
    static func parseBackend(_ spec: String, index: Int) -> BackendSpec {
        if let eq = spec.firstIndex(of: "=") {
            let label = spec[..<eq]
            if !label.isEmpty, !label.hasPrefix("-"),
                label.allSatisfy({ !$0.isWhitespace && $0 != "/" && $0 != "{" && $0 != "'" && $0 != "\"" })
            {
                return BackendSpec(label: String(label), template: String(spec[spec.index(after: eq)...]))
            }
        }
        let program = spec.split(separator: " ").first.map { String($0.split(separator: "/").last ?? $0) }
        return BackendSpec(label: "\(program ?? "backend")#\(index + 1)", template: spec)
    }

    /// A comma-separated list of positive integers.
    static func positiveList(_ text: String, _ what: String, maximum: Int) throws -> [Int] {
        try integerList(text, what, minimum: 1, maximum: maximum)
    }

    /// A comma-separated list of integers in `minimum...maximum`, without repeats, in the order given.
    static func integerList(_ text: String, _ what: String, minimum: Int, maximum: Int) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var values: [Int] = []
        for p in parts {
            guard let v = Int(p.trimmingCharacters(in: .whitespaces)), v >= minimum, v <= maximum else {
                throw BenchFailure.usage("--\(what): '\(p)' is not an integer in \(minimum)...\(maximum)")
            }
            if !values.contains(v) { values.append(v) }
        }
        guard !values.isEmpty else { throw BenchFailure.usage("--\(what) is empty") }
        return values
    }

    /// A size with an optional K, M or G suffix.
    static func parseSize(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, UInt64)] = [("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, unit) in units where t.hasSuffix(suffix) || t.hasSuffix(suffix + "IB") {
            let number = t.hasSuffix("IB") ? String(t.dropLast(3)) : String(t.dropLast())
            guard let n = UInt64(number) else { return nil }
            let (v, o) = n.multipliedReportingOverflow(by: unit)
            return o ? nil : v
        }
        return UInt64(t)
    }

    /// The --wait mode.
    static func parseWait(_ text: String) -> FUSEClient.CompletionWait? {
        switch text {
        case "poll": return .poll
        case "interrupt": return .interrupt
        case "hybrid": return .hybrid(spinNanoseconds: 50_000)
        default:
            guard text.hasPrefix("hybrid:"), let us = UInt64(text.dropFirst(7)), us <= 10_000_000 else { return nil }
            return .hybrid(spinNanoseconds: us * 1000)
        }
    }

    /// The one-minute load average (/proc/loadavg), nil if unreadable.
    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    // MARK: - Running

    private func execute() throws {
        // Validate everything before touching the disk.
        guard !backend.isEmpty || connect != nil else {
            throw BenchFailure.usage("give at least one --backend COMMAND, or --connect SOCKET with --dir DIR")
        }
        guard backend.isEmpty || connect == nil else {
            throw BenchFailure.usage("--backend and --connect cannot be combined")
        }
        if connect != nil && dir == nil { throw BenchFailure.usage("--connect needs --dir (the shared directory)") }
        let specs = backend.enumerated().map { Self.parseBackend($1, index: $0) }
        for s in specs {
            guard let t = s.template, t.contains("{socket}") else {
                throw BenchFailure.usage("backend '\(s.label)' has no {socket} in its command")
            }
        }
        guard Set(specs.map(\.label)).count == specs.count else {
            throw BenchFailure.usage("two backends have the same label")
        }
        guard specs.count <= 16 else { throw BenchFailure.usage("at most 16 backends in one run") }
        var chosen: [Workload] = []
        for name in workloads.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if name == "all" {
                chosen += Workload.allCases.filter { !chosen.contains($0) }
            } else if let w = Workload(rawValue: name) {
                if !chosen.contains(w) { chosen.append(w) }
            } else {
                throw BenchFailure.usage("unknown workload '\(name)' (known: "
                    + Workload.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
        }
        guard !chosen.isEmpty else { throw BenchFailure.usage("--workloads is empty") }
        let depths = try Self.positiveList(qd, "qd", maximum: max(queueSize / 5, 1))
        let queueCounts = try Self.positiveList(queues, "queues", maximum: 64)
        let hogCounts = try Self.integerList(cpuHogs, "cpu-hogs", minimum: 0, maximum: 64)
        guard rounds >= 1, rounds <= 100 else { throw BenchFailure.usage("--rounds must be in 1...100") }
        let ratios = try ratio.map { try MarkdownReport.Ratio(parsing: $0, labels: specs.map(\.label)) }
        guard duration > 0, duration <= 3600 else { throw BenchFailure.usage("--duration must be in (0, 3600]") }
        if let count, count < 1 { throw BenchFailure.usage("--count must be at least 1") }
        guard let dataSize = Self.parseSize(fileSize), dataSize >= 128 * 1024, dataSize <= 64 << 30 else {
            throw BenchFailure.usage("--file-size '\(fileSize)' must be a size from 128K to 64G")
        }
        guard files >= 1, files <= 1_000_000 else { throw BenchFailure.usage("--files must be in 1...1000000") }
        guard treeFiles >= 100, treeFiles <= 1_000_000 else {
            throw BenchFailure.usage("--tree-files must be in 100...1000000")
        }
        guard dirEntries >= 1, dirEntries <= 1_000_000 else {
            throw BenchFailure.usage("--dir-entries must be in 1...1000000")
        }
        guard readdirBuffer >= 256, readdirBuffer <= 1 << 20 else {
            throw BenchFailure.usage("--readdir-buffer must be in 256...1048576")
        }
        guard let waitMode = Self.parseWait(wait) else {
            throw BenchFailure.usage("--wait '\(wait)' is not poll, interrupt, hybrid or hybrid:MICROSECONDS")
        }
        guard queueSize >= 8, queueSize <= 32768, queueSize & (queueSize - 1) == 0 else {
            throw BenchFailure.usage("--queue-size must be a power of two in 8...32768")
        }
        guard floorSeconds > 0, floorSeconds <= 600 else { throw BenchFailure.usage("--floor-seconds must be > 0") }
        guard startupTimeout > 0 else { throw BenchFailure.usage("--startup-timeout must be > 0") }
        for (option, path) in [("--json", json), ("--markdown", markdown)] {
            guard let path else { continue }
            let parent = (path as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            guard parent.isEmpty || (FileManager.default.fileExists(atPath: parent, isDirectory: &isDir)
                && isDir.boolValue)
            else { throw BenchFailure.usage("\(option): directory '\(parent)' does not exist") }
        }
        if let dir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw BenchFailure.usage("--dir '\(dir)' is not a directory")
            }
        }
        if let connect {
            var st = stat()
            guard stat(connect, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else {
                throw BenchFailure.usage("--connect '\(connect)' is not a socket")
            }
        }

        // The run directory: sockets, logs and (without --dir) the shared directory.
        let runDirectory = NSTemporaryDirectory() + "vhostfs-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let shared = dir ?? runDirectory + "/share"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        ChildCleanup.install()
        let say = { (s: String) in StandardError.write("vhostfs-bench: \(s)\n") }

        let started = ISO8601DateFormatter().string(from: Date())
        let dataSet = try DataSet.prepare(sharedDirectory: shared, dataSize: dataSize, files: files,
                                          directoryEntries: dirEntries,
                                          treeFiles: chosen.contains(.walk) ? treeFiles : 0, log: say)
        let showsProgress = progress ?? StandardError.isTerminal
        let durationNanoseconds = count == nil ? UInt64(duration * 1e9) : UInt64.max / 4

        var floors: [Workload.Floor: NativeFloor.Result] = [:]
        if !noFloor {
            for f in Workload.Floor.allCases {
                if showsProgress { StandardError.write("\r\u{1b}[Kfloor \(f.rawValue)") }
                floors[f] = NativeFloor.measure(f, dataSet: dataSet,
                                                durationNanoseconds: UInt64(floorSeconds * 1e9))
            }
            if showsProgress { StandardError.write("\r\u{1b}[K") }
        }

        var configuration = FUSEClient.Configuration()
        configuration.requestQueueCount = queueCounts.max() ?? 1
        configuration.slotsPerQueue = depths.max() ?? 1
        configuration.queueSize = queueSize
        configuration.maximumDataSize = max(128 * 1024, readdirBuffer)
        configuration.wait = waitMode
        let plan = BackendSession.Plan(
            workloads: chosen, queueDepths: depths, queueCounts: queueCounts, durationNanoseconds: durationNanoseconds,
            operationsPerQueue: count ?? Int.max, readdirBufferBytes: readdirBuffer, client: configuration,
            startupTimeoutMilliseconds: Int(startupTimeout * 1000), showsProgress: showsProgress)

        // Every backend runs from start to finish; the ones not being measured are stopped (SIGSTOP), and each
        // cell (workload, queues, depth) is measured on every backend in turn, `rounds` times in rotated order,
        // so that backends are compared over the same seconds of a noisy machine.
        let targets: [BackendSpec] = specs.isEmpty ? [BackendSpec(label: "connected", template: nil)] : specs
        let sessions = targets.map { BackendSession(label: $0.label, plan: plan, dataSet: dataSet, floors: floors) }
        for (i, session) in sessions.enumerated() {
            session.start(template: targets[i].template, socketPath: connect ?? runDirectory + "/backend-\(i).sock",
                          sharedDirectory: shared, logPath: runDirectory + "/backend-\(i).log")
            session.pause(true)
            if let e = session.entry.error { say("\(session.label): \(e)") }
        }
        var cells: [(workload: Workload, queues: Int, depth: Int)] = []
        for session in sessions {
            for c in session.cells() where !cells.contains(where: { $0 == c }) { cells.append(c) }
        }
        let hogs = CPUHogs()
        for hogCount in hogCounts {
            if let e = hogs.start(count: hogCount) {
                throw BenchFailure.other("cannot start \(hogCount) CPU hog(s): errno \(e)")
            }
            defer { hogs.stop() }
            for cell in cells {
                for round in 0..<rounds {
                    for k in sessions.indices {
                        let session = sessions[(k + round) % sessions.count]
                        guard session.cells().contains(where: { $0 == cell }) else { continue }
                        session.pause(false)
                        session.measure(cell.workload, queues: cell.queues, depth: cell.depth, cpuHogs: hogCount,
                                        round: rounds > 1 ? round : nil, loadAverage: Self.loadAverage())
                        session.pause(true)
                        if let e = session.entry.error, session.entry.results.last?.error == nil {
                            say("\(session.label): \(e)")
                        }
                    }
                }
            }
        }
        let entries = sessions.map { $0.finish() }

        var host = utsname()
        uname(&host)
        // SAFETY: utsname.release is a fixed char array; the bytes are read up to its first NUL, inside it.
        let kernel = withUnsafeBytes(of: &host.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
            ?? ""
        let report = BenchReport(
            started: started,
            host: .init(kernel: kernel, cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), cpuModel: model),
            settings: .init(durationSeconds: count == nil ? duration : nil, operations: count, queueDepths: depths,
                            queues: queueCounts, workloads: chosen.map(\.rawValue), dataFileBytes: dataSize,
                            files: files, treeFiles: chosen.contains(.walk) ? treeFiles : nil,
                            directoryEntries: dirEntries, readdirBufferBytes: readdirBuffer,
                            wait: waitMode.description, queueSize: queueSize, cpuHogs: hogCounts, rounds: rounds),
            floor: Workload.Floor.allCases.compactMap { f in
                floors[f].map { r in
                    BenchReport.FloorEntry(
                        name: f.rawValue, operations: r.operations, seconds: Double(r.nanoseconds) / 1e9,
                        opsPerSecond: r.nanoseconds > 0 ? Double(r.operations) / (Double(r.nanoseconds) / 1e9) : 0,
                        nanosecondsPerOperation: r.nanosecondsPerOperation,
                        latencyMicroseconds: BenchReport.Latency(r.histogram), error: r.error)
                }
            },
            backends: entries)
        print(ReportTable.render(report), terminator: "")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if let markdown {
            let text = MarkdownReport.render(report, ratios: ratios,
                                             command: CommandLine.arguments.map(FUSEBackendProcess.shellQuoted))
            try text.write(toFile: markdown, atomically: true, encoding: .utf8)
        }
        if entries.contains(where: { $0.error != nil }) { throw BenchFailure.backend("a backend failed (see above)") }
    }
}
