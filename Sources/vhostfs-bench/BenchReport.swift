/// The JSON result of a run (`--json FILE`), also the source of the terminal tables. Times are microseconds unless
/// a name says otherwise; ratios are backend time per operation over native time per operation (1.0 = the floor,
/// 2.0 = twice as slow).
struct BenchReport: Codable, Sendable {
    /// Always "vhostfs-bench".
    var tool = "vhostfs-bench"
    /// Layout version of this JSON.
    var schema = 1
    /// When the run started (UTC, ISO 8601).
    var started: String
    /// The machine.
    var host: Host
    /// The settings in force.
    var settings: Settings
    /// Native floor measurements.
    var floor: [FloorEntry]
    /// One entry per backend, in the order given.
    var backends: [BackendEntry]

    struct Host: Codable, Sendable {
        var kernel: String
        var cpus: Int
        var cpuModel: String
    }

    struct Settings: Codable, Sendable {
        var durationSeconds: Double?
        var operations: Int?
        var queueDepths: [Int]
        var queues: [Int]
        var workloads: [String]
        var dataFileBytes: UInt64
        var files: Int
        var treeFiles: Int?
        var directoryEntries: Int
        var readdirBufferBytes: Int
        var wait: String
        var queueSize: Int
        /// The `--cpu-hogs` counts, in the order measured.
        var cpuHogs: [Int]?
        /// Rounds over the backends per hog count (`--rounds`).
        var rounds: Int?
    }

    struct Latency: Codable, Sendable {
        var p50: Double
        var p99: Double
        var p999: Double
        var mean: Double
        var max: Double

        init(_ h: LatencyHistogram) {
            p50 = Double(h.percentile(0.50)) / 1000
            p99 = Double(h.percentile(0.99)) / 1000
            p999 = Double(h.percentile(0.999)) / 1000
            mean = h.mean / 1000
            max = Double(h.maximum) / 1000
        }
    }

    struct FloorEntry: Codable, Sendable {
        var name: String
        var operations: Int
        var seconds: Double
        var opsPerSecond: Double
        var nanosecondsPerOperation: Double
        var latencyMicroseconds: Latency
        var error: String?
    }

    struct BackendEntry: Codable, Sendable {
        var label: String
        var command: String?
        var socket: String
        var processID: Int32?
        var fuseMinor: UInt32?
        var maxWrite: UInt32?
        var maxPages: UInt16?
        var requestQueuesOffered: Int?
        /// Virtio features acknowledged (hex).
        var virtioFeatures: String?
        /// vhost-user protocol features acknowledged (hex).
        var protocolFeatures: String?
        var error: String?
        var results: [ResultEntry]
        /// Resident memory of the backend once connected, and after it looked up every file of the data set.
        var residentKiBAtConnect: UInt64?
        var residentKiBAfterLookups: UInt64?
        /// Files looked up (and held) when `residentKiBAfterLookups` was read.
        var filesLookedUp: Int?
    }

    struct ResultEntry: Codable, Sendable {
        var workload: String
        var queueDepth: Int
        var queues: Int
        var operations: Int
        var seconds: Double
        var opsPerSecond: Double
        var megabytesPerSecond: Double
        var latencyMicroseconds: Latency
        var requestsPerOperation: Double
        var kicksPerOperation: Double
        var wakeupsPerOperation: Double
        var backendCPUMicrosecondsPerOperation: Double?
        var backendCPUPercent: Double?
        var clientCPUMicrosecondsPerOperation: Double?
        var floor: String?
        var floorRatio: Double?
        var error: String?
        /// Processes of pure computation running during this result (`--cpu-hogs`).
        var cpuHogs: Int?
        /// Which round (`--rounds`), from 0.
        var round: Int?
        /// The one-minute load average when the cell started (hogs and other backends included).
        var loadAverage: Double?

        /// "randread4k qd32 q1": how results of two backends are matched.
        var key: String { "\(workload) qd\(queueDepth) q\(queues)" }
    }
}

extension BenchReport {
    /// The results per `--cpu-hogs` count, in the order measured: for each count, one entry per backend whose
    /// results are that count's, each cell its median round (by ops/s; by CPU share for idle).
    static func hogViews(_ report: BenchReport) -> [(cpuHogs: Int, backends: [BackendEntry])] {
        var counts: [Int] = []
        for b in report.backends {
            for r in b.results where !counts.contains(r.cpuHogs ?? 0) { counts.append(r.cpuHogs ?? 0) }
        }
        if counts.isEmpty { counts = [0] }
        return counts.map { hogs in
            (hogs, report.backends.map { b in
                var view = b
                view.results = medianRounds(b.results.filter { ($0.cpuHogs ?? 0) == hogs })
                return view
            })
        }
    }

    /// One result per key, in the order of first appearance: the median round of that key.
    static func medianRounds(_ results: [ResultEntry]) -> [ResultEntry] {
        var keys: [String] = []
        var byKey: [String: [ResultEntry]] = [:]
        for r in results {
            if byKey[r.key] == nil { keys.append(r.key) }
            byKey[r.key, default: []].append(r)
        }
        return keys.compactMap { key in
            let sorted = (byKey[key] ?? []).sorted {
                $0.workload == Workload.idle.rawValue
                    ? ($0.backendCPUPercent ?? 0) < ($1.backendCPUPercent ?? 0)
                    : $0.opsPerSecond < $1.opsPerSecond
            }
            return sorted.isEmpty ? nil : sorted[(sorted.count - 1) / 2]
        }
    }
}
