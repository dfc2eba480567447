import LinuxSystem

/// A set of reactors started together, one per CPU of a list (`--reactor-cpus`), or unpinned.
public final class ReactorGroup: Sendable {
    /// The reactors, `reactors[i]` being `reactor-i`.
    public let reactors: [Reactor]

    /// Starts one reactor per CPU in `cpus`, each pinned to its CPU.
    /// - Throws: EINVAL for an empty or duplicated list or a CPU that cannot be pinned; already started reactors
    ///   are stopped first.
    public init(cpus: [Int], pollMode: PollMode = .default) throws(Errno) {
        guard !cpus.isEmpty, Set(cpus).count == cpus.count else { throw .invalidArgument }
        reactors = try Self.startAll(cpus.map { Optional($0) }, pollMode: pollMode)
    }

    /// Starts `count` unpinned reactors.
    public init(count: Int, pollMode: PollMode = .default) throws(Errno) {
        guard count > 0 else { throw .invalidArgument }
        reactors = try Self.startAll([Int?](repeating: nil, count: count), pollMode: pollMode)
    }

    private static func startAll(_ cpus: [Int?], pollMode: PollMode) throws(Errno) -> [Reactor] {
        var started: [Reactor] = []
        for (i, cpu) in cpus.enumerated() {
            do throws(Errno) {
                started.append(try Reactor.start(index: i, cpu: cpu, pollMode: pollMode))
            } catch {
                for r in started { r.stop() }
                throw error
            }
        }
        return started
    }

    /// The reactor serving queue `queue` by default: queue i goes to reactor (i mod R).
    public func reactor(forQueue queue: Int) -> Reactor {
        reactors[Int(queue.magnitude % UInt(reactors.count))]
    }

    /// Stops every reactor (see `Reactor.stop()`). Idempotent.
    public func stop() {
        for r in reactors { r.stop() }
    }
}
