import LinuxSystem
import VhostUserTestKit

/// Runs one `LaneProgram` per request queue, each on its own thread, with `depth` operations in flight per queue,
/// until a deadline or an operation count, and measures latency per operation.
enum WorkloadRunner {
    /// When a run stops.
    struct Limits: Sendable {
        /// Stop starting operations after this many nanoseconds.
        var durationNanoseconds: UInt64
        /// Stop starting operations after this many per queue.
        var operationsPerQueue: Int
    }

    /// What one queue's thread measured.
    struct ThreadResult: Sendable {
        /// Operations finished.
        var operations = 0
        /// Wall time from the first submission to the last completion.
        var nanoseconds: UInt64 = 0
        /// Per-operation latency.
        var histogram = LatencyHistogram()
        /// Requests, kicks and call wake-ups on the queue during the run.
        var requests: UInt64 = 0
        var kicks: UInt64 = 0
        var wakeups: UInt64 = 0
        /// Why the run stopped early.
        var error: String?
        /// Whether the queue is unusable afterwards (requests stuck in flight).
        var queueLost = false
    }

    /// Runs `programs[i]` on `queues[i]` concurrently and returns one result per queue.
    static func run<P: LaneProgram & Sendable>(
        programs: [P], queues: [FUSEClient.Queue], depth: Int, limits: Limits, progress: [ProgressCounter]
    ) -> [ThreadResult] {
        let start = SystemClock.monotonicNanoseconds()
        let deadline = start &+ limits.durationNanoseconds
        var threads: [BenchThread<ThreadResult>] = []
        for (i, queue) in queues.enumerated() {
            let program = programs[i]
            let counter = progress[i]
            threads.append(BenchThread {
                var p = program
                return drive(program: &p, queue: queue, depth: depth, deadline: deadline,
                             operationLimit: limits.operationsPerQueue, progress: counter)
            })
        }
        return threads.map { $0.join() ?? ThreadResult(error: "worker thread lost") }
    }

    /// The loop of one queue's thread.
    static func drive<P: LaneProgram>(
        program: inout P, queue: FUSEClient.Queue, depth: Int, deadline: UInt64, operationLimit: Int,
        progress: ProgressCounter
    ) -> ThreadResult {
        var result = ThreadResult()
        var histogram = LatencyHistogram()
        var laneStart = [UInt64](repeating: 0, count: depth)
        var started = 0
        var finished = 0
        var active = 0
        let requests0 = queue.submitted
        let kicks0 = queue.kicks
        let wakeups0 = queue.wakeups
        let begin = SystemClock.monotonicNanoseconds()
        do {
            for lane in 0..<depth where started < operationLimit {
                laneStart[lane] = SystemClock.monotonicNanoseconds()
                try program.start(lane: lane, queue: queue)
                started += 1
                active += 1
            }
            queue.kick()
            while active > 0 {
                try queue.reap(minimum: 1) { (c) throws(FUSEClient.Failure) in
                    let lane = Int(truncatingIfNeeded: c.tag)
                    guard lane >= 0, lane < depth else { throw .badReply(.unexpectedCompletion(unique: c.unique)) }
                    guard try program.complete(c, lane: lane, queue: queue) else { return }
                    histogram.record(c.completedAt &- laneStart[lane])
                    finished += 1
                    progress.add(1)
                    if c.completedAt < deadline && started < operationLimit {
                        laneStart[lane] = c.completedAt
                        try program.start(lane: lane, queue: queue)
                        started += 1
                    } else {
                        active -= 1
                    }
                }
                queue.kick()
            }
        } catch {
            result.error = error.description
            queue.kick()
            while queue.inFlightCount > 0 {
                do { try queue.reap(minimum: queue.inFlightCount) { _ in } } catch {
                    result.queueLost = true
                    break
                }
            }
        }
        result.nanoseconds = SystemClock.monotonicNanoseconds() &- begin
        result.operations = finished
        result.histogram = histogram
        result.requests = queue.submitted &- requests0
        result.kicks = queue.kicks &- kicks0
        result.wakeups = queue.wakeups &- wakeups0
        if !result.queueLost {
            do { try program.finish(queue: queue) } catch {
                result.error = result.error ?? "cleanup: \(error)"
            }
        }
        return result
    }
}
