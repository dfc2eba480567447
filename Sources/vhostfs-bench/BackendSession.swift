import CLinux
import Foundation
import Glibc
import LinuxSystem
import Synchronization
import VhostUserTestKit

/// One backend under test: started from a command template (or reached at a socket), connected with a FUSEClient,
/// driven through every requested workload, then stopped.
final class BackendSession {
    /// What to measure and how.
    struct Plan: Sendable {
        var workloads: [Workload]
        var queueDepths: [Int]
        var queueCounts: [Int]
        var durationNanoseconds: UInt64
        var operationsPerQueue: Int
        var readdirBufferBytes: Int
        var client: FUSEClient.Configuration
        var startupTimeoutMilliseconds: Int
        var showsProgress: Bool
    }

    /// The nodes of the data set as the backend knows them.
    private struct Remote {
        var directory: UInt64 = 0
        var data: UInt64 = 0
        var dataHandle: UInt64 = 0
        var files: UInt64 = 0
        var fileNodes: [UInt64] = []
        var bigDirectory: UInt64 = 0
        var scratch: UInt64 = 0
        var tree: UInt64 = 0
        var treeDirectories: [UInt64] = []
    }

    let label: String
    let plan: Plan
    let dataSet: DataSet
    let floors: [Workload.Floor: NativeFloor.Result]
    private var process: FUSEBackendProcess?
    private var client: FUSEClient?
    private var remote = Remote()
    private var processID: Int32?
    private var runNumber = 0
    private var lostQueue = false

    init(label: String, plan: Plan, dataSet: DataSet, floors: [Workload.Floor: NativeFloor.Result]) {
        self.label = label
        self.plan = plan
        self.dataSet = dataSet
        self.floors = floors
        entry = BenchReport.BackendEntry(label: label, command: nil, socket: "", results: [])
    }

    /// The result so far: what the backend negotiated, its results, and its error if it failed.
    private(set) var entry: BenchReport.BackendEntry

    /// Whether the backend can still be measured.
    var isUsable: Bool { client != nil && entry.error == nil }

    /// Starts the backend from `template` (or connects to `socketPath` when `template` is nil), connects and
    /// looks up the data set. A failure ends up in `entry.error`.
    func start(template: String?, socketPath: String, sharedDirectory: String, logPath: String) {
        entry.socket = socketPath
        do {
            if let template {
                let p = try FUSEBackendProcess(template: template, socketPath: socketPath,
                                               sharedDirectory: sharedDirectory, logPath: logPath)
                process = p
                ChildCleanup.processGroups.append(p.processID)
                entry.command = p.command
                try p.waitForSocket(timeoutMilliseconds: plan.startupTimeoutMilliseconds)
            }
            var configuration = plan.client
            configuration.connectTimeoutMilliseconds = plan.startupTimeoutMilliseconds
            let c = try FUSEClient(socketPath: socketPath, configuration: configuration)
            client = c
            processID = c.backendProcessID ?? process?.processID
            entry.processID = processID
            entry.fuseMinor = c.initReply?.minor
            entry.maxWrite = c.initReply?.maximumWrite
            entry.maxPages = c.initReply?.maximumPages
            entry.requestQueuesOffered = c.backendRequestQueueCount
            entry.virtioFeatures = "0x" + String(c.acknowledgedFeatures.rawValue, radix: 16)
            entry.protocolFeatures = "0x" + String(c.negotiated.protocolFeatures.rawValue, radix: 16)
            entry.residentKiBAtConnect = processID.flatMap { FUSEBackendProcess.residentKiB(processID: $0) }
            try resolve(c)
            // The backend now holds a node for every file of the data set.
            entry.filesLookedUp = remote.fileNodes.count
            entry.residentKiBAfterLookups = processID.flatMap { FUSEBackendProcess.residentKiB(processID: $0) }
        } catch {
            fail(error)
        }
    }

    /// The cells of the plan this backend runs: workload, request-queue count and queue depth.
    func cells() -> [(workload: Workload, queues: Int, depth: Int)] {
        guard isUsable, let c = client else { return [] }
        var cells: [(Workload, Int, Int)] = []
        for workload in plan.workloads {
            for queues in queueCounts(c) {
                for depth in workload.usesQueueDepth ? plan.queueDepths : [1] {
                    cells.append((workload, queues, depth))
                }
                if workload == .idle { break }
            }
        }
        return cells
    }

    /// Measures one cell and appends the result (tagged with `cpuHogs` and `round`). A backend that died or lost
    /// a queue is marked failed and not measured again.
    func measure(_ workload: Workload, queues: Int, depth: Int, cpuHogs: Int, round: Int?, loadAverage: Double?) {
        guard isUsable, let c = client else { return }
        var r = measure(workload, depth: depth, queues: Array(c.requestQueues.prefix(queues)))
        r.cpuHogs = cpuHogs
        r.round = round
        r.loadAverage = loadAverage
        entry.results.append(r)
        if r.error != nil, !(process?.isRunning ?? true) {
            fail(BenchFailure.backend("exited during \(workload.rawValue)"))
        } else if lostQueue {
            fail(BenchFailure.backend("requests stuck in flight after \(workload.rawValue); stopping"))
        }
    }

    /// Stops (SIGSTOP) or continues (SIGCONT) the backend's process group, so that a backend that is not being
    /// measured takes no CPU from the one that is (a busy-polling one would spin all along).
    func pause(_ paused: Bool) {
        guard let p = process, p.isRunning else { return }
        kill(-p.processID, paused ? SIGSTOP : SIGCONT)
    }

    /// Releases the data set, disconnects and stops the backend. Returns the entry.
    func finish() -> BenchReport.BackendEntry {
        pause(false)
        if isUsable, let c = client {
            do { try release(c) } catch { fail(error) }
        }
        stop()
        return entry
    }

    private func fail(_ error: any Error) {
        guard entry.error == nil else { return }
        if let failure = error as? FUSEBackendProcess.Failure {
            entry.error = failure.description
        } else {
            entry.error = "\(error)" + (process.map { p in p.isRunning ? "" : "; log: " + p.logTail(bytes: 600) } ?? "")
        }
    }

    private func queueCounts(_ c: FUSEClient) -> [Int] {
        var seen = Set<Int>()
        return plan.queueCounts.map { min($0, c.requestQueues.count) }.filter { seen.insert($0).inserted }
    }

    private func stop() {
        client?.shutdown()
        client = nil
        if let p = process {
            p.stop()
            ChildCleanup.processGroups.removeAll { $0 == p.processID }
        }
        process = nil
    }

    // MARK: - Data set

    private func resolve(_ c: FUSEClient) throws(FUSEClient.Failure) {
        remote.directory = try c.lookup(parent: FUSEClient.rootNodeID, name: DataSet.directoryName).nodeID
        remote.data = try c.lookup(parent: remote.directory, name: DataSet.dataName).nodeID
        remote.dataHandle = try c.open(remote.data, flags: O_RDWR).handle
        remote.files = try c.lookup(parent: remote.directory, name: DataSet.filesName).nodeID
        remote.bigDirectory = try c.lookup(parent: remote.directory, name: DataSet.bigDirectoryName).nodeID
        remote.scratch = try c.lookup(parent: remote.directory, name: DataSet.scratchName).nodeID
        remote.fileNodes = []
        remote.fileNodes.reserveCapacity(dataSet.fileNames.count)
        for name in dataSet.fileNames {
            remote.fileNodes.append(try c.lookup(parent: remote.files, name: name).nodeID)
        }
        remote.treeDirectories = []
        if plan.workloads.contains(.walk) && dataSet.treeDirectories > 0 {
            remote.tree = try c.lookup(parent: remote.directory, name: DataSet.treeName).nodeID
            for d in 0..<dataSet.treeDirectories {
                remote.treeDirectories.append(try c.lookup(parent: remote.tree,
                                                           name: DataSet.treeDirectoryName(d)).nodeID)
            }
        }
    }

    private func release(_ c: FUSEClient) throws(FUSEClient.Failure) {
        try c.release(remote.data, handle: remote.dataHandle, flags: O_RDWR)
        var forgets: [(node: UInt64, lookups: UInt64)] = remote.fileNodes.map { ($0, 1) }
        forgets += [remote.directory, remote.data, remote.files, remote.bigDirectory, remote.scratch].map { ($0, 1) }
        forgets += (remote.treeDirectories + (remote.tree != 0 ? [remote.tree] : [])).map { ($0, 1) }
        try c.batchForget(forgets)
    }

    // MARK: - Measuring

    private func measure(_ workload: Workload, depth: Int, queues: [FUSEClient.Queue]) -> BenchReport.ResultEntry {
        let cpu0 = processID.flatMap { FUSEBackendProcess.cpuNanoseconds(processID: $0) }
        let client0 = Self.clientCPUNanoseconds()
        let progress = queues.map { _ in ProgressCounter() }
        let ticker = plan.showsProgress
            ? ProgressLine(label: "\(label) \(workload.rawValue) qd\(depth) q\(queues.count)", counters: progress,
                           expectedNanoseconds: plan.durationNanoseconds)
            : nil
        let wallStart = SystemClock.monotonicNanoseconds()
        let threads = run(workload, depth: depth, queues: queues, progress: progress)
        let wall = SystemClock.monotonicNanoseconds() - wallStart
        ticker?.finish()
        let cpu1 = processID.flatMap { FUSEBackendProcess.cpuNanoseconds(processID: $0) }
        let client1 = Self.clientCPUNanoseconds()

        var histogram = LatencyHistogram()
        var operations = 0
        var requests: UInt64 = 0
        var kicks: UInt64 = 0
        var wakeups: UInt64 = 0
        var longest: UInt64 = 0
        var errors: [String] = []
        for t in threads {
            histogram.merge(t.histogram)
            operations += t.operations
            requests += t.requests
            kicks += t.kicks
            wakeups += t.wakeups
            longest = max(longest, t.nanoseconds)
            if let e = t.error { errors.append(e) }
            if t.queueLost { lostQueue = true }
        }
        if workload == .idle { longest = wall }
        let seconds = Double(longest) / 1e9
        let opsPerSecond = seconds > 0 ? Double(operations) / seconds : 0
        let perOp = { (v: UInt64) in operations > 0 ? Double(v) / Double(operations) : 0 }
        var entry = BenchReport.ResultEntry(
            workload: workload.rawValue, queueDepth: depth, queues: queues.count, operations: operations,
            seconds: seconds, opsPerSecond: opsPerSecond,
            megabytesPerSecond: opsPerSecond * Double(workload.bytesPerOperation) / 1e6,
            latencyMicroseconds: BenchReport.Latency(histogram), requestsPerOperation: perOp(requests),
            kicksPerOperation: perOp(kicks), wakeupsPerOperation: perOp(wakeups),
            error: errors.isEmpty ? nil : errors.joined(separator: "; "))
        if let cpu0, let cpu1, cpu1 >= cpu0 {
            let used = Double(cpu1 - cpu0)
            entry.backendCPUPercent = seconds > 0 ? used / Double(max(wall, 1)) * 100 : nil
            entry.backendCPUMicrosecondsPerOperation = operations > 0 ? used / Double(operations) / 1000 : nil
        }
        if let client0, let client1, operations > 0, client1 >= client0 {
            entry.clientCPUMicrosecondsPerOperation = Double(client1 - client0) / Double(operations) / 1000
        }
        if let f = workload.floor, let floor = floors[f], floor.operations > 0, opsPerSecond > 0 {
            entry.floor = f.rawValue
            entry.floorRatio = (1e9 / opsPerSecond) / floor.nanosecondsPerOperation
        }
        return entry
    }

    private func run(_ workload: Workload, depth: Int, queues: [FUSEClient.Queue], progress: [ProgressCounter])
        -> [WorkloadRunner.ThreadResult]
    {
        guard let c = client else { return [] }
        runNumber += 1
        let limits = WorkloadRunner.Limits(durationNanoseconds: plan.durationNanoseconds,
                                           operationsPerQueue: plan.operationsPerQueue)
        let r = remote
        func io(blockSize: Int, readPercent: Int, sequential: Bool) -> [WorkloadRunner.ThreadResult] {
            let programs = queues.indices.map { i in
                IOProgram(node: r.data, handle: r.dataHandle, blockSize: blockSize, fileSize: dataSet.dataSize,
                          readPercent: readPercent, sequential: sequential,
                          seed: UInt64(i + 1) &* 0x9E37_79B9 &+ UInt64(depth))
            }
            return WorkloadRunner.run(programs: programs, queues: queues, depth: depth, limits: limits,
                                      progress: progress)
        }
        switch workload {
        case .randread4k: return io(blockSize: 4096, readPercent: 100, sequential: false)
        case .randwrite4k: return io(blockSize: 4096, readPercent: 0, sequential: false)
        case .seqread128k: return io(blockSize: 128 * 1024, readPercent: 100, sequential: true)
        case .seqwrite128k: return io(blockSize: 128 * 1024, readPercent: 0, sequential: true)
        case .mixed: return io(blockSize: 4096, readPercent: 70, sequential: false)
        case .getattr:
            let programs = queues.indices.map { GetattrProgram(nodes: r.fileNodes, seed: $0 * 997) }
            return WorkloadRunner.run(programs: programs, queues: queues, depth: depth, limits: limits,
                                      progress: progress)
        case .lookupGetattr:
            let programs = queues.indices.map {
                LookupGetattrProgram(client: c, parent: r.files, names: dataSet.fileNames, depth: depth,
                                     seed: $0 * 997)
            }
            return WorkloadRunner.run(programs: programs, queues: queues, depth: depth, limits: limits,
                                      progress: progress)
        case .createUnlink, .mkdirRmdir:
            let programs = queues.indices.map {
                CreateRemoveProgram(client: c, parent: r.scratch, directories: workload == .mkdirRmdir,
                                    prefix: "\(workload.rawValue)-qd\(depth)-q\($0)-\(runNumber)-", depth: depth)
            }
            return WorkloadRunner.run(programs: programs, queues: queues, depth: depth, limits: limits,
                                      progress: progress)
        case .readdirplus:
            let programs = queues.indices.map { _ in
                ReaddirplusProgram(client: c, directory: r.bigDirectory, bufferSize: plan.readdirBufferBytes,
                                   expectedEntries: dataSet.directoryEntries, depth: depth)
            }
            return WorkloadRunner.run(programs: programs, queues: queues, depth: depth, limits: limits,
                                      progress: progress)
        case .walk:
            // Each queue walks its own directories, as many per queue, once: the run ends with the pass.
            let share = r.treeDirectories.count / max(queues.count, 1)
            let fileNames = (0..<DataSet.treeFilesPerDirectory).map(DataSet.treeFileName)
            let programs = queues.indices.map { q in
                WalkProgram(client: c, directories: (0..<share).map { r.treeDirectories[$0 * queues.count + q] },
                            fileNames: fileNames)
            }
            let pass = WorkloadRunner.Limits(durationNanoseconds: UInt64.max / 4,
                                             operationsPerQueue: programs.first?.operations ?? 0)
            return WorkloadRunner.run(programs: programs, queues: queues, depth: depth, limits: pass,
                                      progress: progress)
        case .idle:
            usleep(UInt32(min(plan.durationNanoseconds / 1000, UInt64(UInt32.max))))
            return []
        }
    }

    /// User plus system CPU time of this process.
    static func clientCPUNanoseconds() -> UInt64? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }
}
