import Glibc
import LinuxSystem
import Synchronization
import Testing
import VhostUserTestKit

@testable import Reactor

/// A counter the tests share with reactor closures.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func add(_ n: Int = 1) { value.wrappingAdd(n, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

@Suite struct ReactorLifecycleTests {
    @Test func runReturnsValueOnTheReactorThread() throws {
        let group = try ReactorGroup(count: 2, pollMode: .interrupt)
        defer { group.stop() }
        for (i, reactor) in group.reactors.enumerated() {
            let (onReactor, tid, index) = reactor.run { () -> (Bool, Int, Int) in
                (reactor.isCurrent, SystemCall.threadID(), Reactor.current?.index ?? -1)
            }
            #expect(onReactor)
            #expect(index == i)
            #expect(tid == reactor.threadID)
            #expect(tid != SystemCall.threadID())
            // The thread is named reactor-N.
            let comm = try String(contentsOfProc: "/proc/self/task/\(tid)/comm")
            #expect(comm == "reactor-\(i)\n")
        }
        #expect(!group.reactors[0].isCurrent)
        #expect(Reactor.current == nil)
    }

    @Test func runPropagatesTypedErrors() throws {
        let reactor = try Reactor.start(pollMode: .interrupt)
        defer { reactor.stop() }
        #expect(throws: Errno.noSuchFileOrDirectory) {
            try reactor.run { () throws(Errno) -> Int in throw .noSuchFileOrDirectory }
        }
    }

    @Test func pinsToTheGivenCPU() throws {
        let cpu = CPUAffinity.currentCPUs().last ?? 0
        let group = try ReactorGroup(cpus: [cpu], pollMode: .interrupt)
        defer { group.stop() }
        let cpus = group.reactors[0].run { CPUAffinity.currentCPUs() }
        #expect(cpus == [cpu])
        #expect(group.reactors[0].cpu == cpu)
    }

    @Test func rejectsBadCPULists() {
        #expect(throws: Errno.invalidArgument) { try ReactorGroup(cpus: [], pollMode: .busy) }
        #expect(throws: Errno.invalidArgument) { try ReactorGroup(cpus: [0, 0], pollMode: .busy) }
        #expect(throws: Errno.invalidArgument) { try ReactorGroup(cpus: [100_000], pollMode: .busy) }
    }

    @Test func stopRunsQueuedMessagesAndIsIdempotent() throws {
        let reactor = try Reactor.start(pollMode: .adaptive(spinMicroseconds: 10))
        let counter = Counter()
        for _ in 0..<100 { reactor.send { counter.add() } }
        reactor.stop()
        #expect(counter.current == 100)
        reactor.stop()
        #expect(reactor.send { counter.add() } == false)
    }

    @Test func queueToReactorMapIsModular() throws {
        let group = try ReactorGroup(count: 2, pollMode: .interrupt)
        defer { group.stop() }
        #expect(group.reactor(forQueue: 0) === group.reactors[0])
        #expect(group.reactor(forQueue: 3) === group.reactors[1])
    }
}

@Suite struct ReactorMessageTests {
    @Test(arguments: [PollMode.busy, .interrupt, .adaptive(spinMicroseconds: 20)])
    func manyProducersDeliverEveryMessageOnce(mode: PollMode) throws {
        let reactor = try Reactor.start(pollMode: mode)
        defer { reactor.stop() }
        let counter = Counter()
        let wrongThread = Counter()
        let producers = 4, perProducer = 2000
        var threads: [pthread_t] = []
        final class Job: Sendable {
            let reactor: Reactor, counter: Counter, wrong: Counter, n: Int
            init(_ r: Reactor, _ c: Counter, _ w: Counter, _ n: Int) { reactor = r; counter = c; wrong = w; self.n = n }
        }
        for _ in 0..<producers {
            let job = Unmanaged.passRetained(Job(reactor, counter, wrongThread, perProducer)).toOpaque()
            var t = pthread_t()
            let r = pthread_create(&t, nil, { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                for _ in 0..<job.n {
                    let reactor = job.reactor, counter = job.counter, wrong = job.wrong
                    job.reactor.send {
                        if !reactor.isCurrent { wrong.add() }
                        counter.add()
                    }
                }
                return nil
            }, job)
            try #require(r == 0)
            threads.append(t)
        }
        for t in threads { pthread_join(t, nil) }
        #expect(eventually { counter.current == producers * perProducer })
        #expect(wrongThread.current == 0)
        #expect(reactor.statistics.messages == UInt64(producers * perProducer))
    }
}

@Suite struct ReactorPollerTests {
    @Test func pollersRunUntilUnregistered() throws {
        let reactor = try Reactor.start(pollMode: .busy)
        defer { reactor.stop() }
        let calls = Counter()
        let registration = ReactorBoundBox(reactor.run {
            ReactorBound(reactor.registerPoller(name: "count") { calls.add(); return .idle }, reactor: reactor)
        })
        #expect(eventually { calls.current > 100 })
        reactor.run { reactor.unregisterPoller(registration.bound.value) }
        let after = calls.current
        usleep(20_000)
        #expect(calls.current == after)
        #expect(reactor.run { reactor.pollers.isEmpty })
    }

    @Test func interruptModeWakesOnARegisteredEventFD() throws {
        let reactor = try Reactor.start(pollMode: .interrupt)
        defer { reactor.stop() }
        let kick = try EventFD()
        let pending = Counter()
        let handled = Counter()
        _ = try reactor.run { () throws(Errno) -> Bool in
            _ = try reactor.registerWakeEventFD(kick)
            reactor.registerPoller(name: "queue") {
                let n = pending.value.exchange(0, ordering: .acquiring)
                if n == 0 { return .idle }
                handled.add(n)
                return .busy
            }
            return true
        }
        // Let it fall asleep, then kick five times.
        #expect(eventually { reactor.statistics.sleeps > 0 })
        for _ in 0..<5 {
            let sleepsBefore = reactor.statistics.sleeps
            pending.add()
            kick.signal()
            #expect(eventually { handled.current > 0 && reactor.statistics.sleeps > sleepsBefore })
        }
        #expect(handled.current == 5)
    }

    @Test func stayAwakeKeepsPollingAndTimeoutWakesUp() throws {
        let reactor = try Reactor.start(pollMode: .interrupt)
        defer { reactor.stop() }
        let polls = Counter()
        final class Flag: Sendable { let on = Atomic<Bool>(true) }
        let flag = Flag()
        reactor.run {
            _ = reactor.registerPoller(ClosurePoller({ polls.add(); return .idle }, prepareToSleep: {
                flag.on.load(ordering: .relaxed) ? .stayAwake : .sleepAtMost(nanoseconds: 5_000_000)
            }), name: "retry")
        }
        usleep(5_000)
        let sleepsWhileAwake = reactor.statistics.sleeps
        usleep(20_000)
        #expect(reactor.statistics.sleeps == sleepsWhileAwake)
        flag.on.store(false, ordering: .relaxed)
        // With a 5 ms bound the reactor sleeps and wakes by itself about 200 times a second.
        #expect(eventually { reactor.statistics.sleeps > 5 })
        let p = polls.current
        usleep(30_000)
        #expect(polls.current > p)
    }
}

/// Sendable box for a ReactorBound created inside `run`.
struct ReactorBoundBox<Value>: Sendable {
    let bound: ReactorBound<Value>
    init(_ b: ReactorBound<Value>) { bound = b }
}

@Suite struct ReactorChannelTests {
    final class Device: IODevice {
        let created = Counter()
        let destroyed = Counter()
        final class Channel {
            let reactorIndex: Int
            init(_ i: Int) { reactorIndex = i }
        }
        func makeChannel(on reactor: Reactor) throws(Errno) -> Channel {
            #expect(reactor.isCurrent)
            created.add()
            return Channel(reactor.index)
        }
        func destroyChannel(_ channel: Channel, on reactor: Reactor) {
            #expect(reactor.isCurrent)
            destroyed.add()
        }
    }

    @Test func channelsArePerReactorAndReferenceCounted() throws {
        let group = try ReactorGroup(count: 2, pollMode: .interrupt)
        let device = Device()
        for reactor in group.reactors {
            let ok = try reactor.run { () throws(Errno) -> Bool in
                let a = try reactor.channel(for: device)
                let b = try reactor.channel(for: device)
                return a === b && a.reactorIndex == reactor.index && reactor.channelReferenceCount(for: device) == 2
            }
            #expect(ok)
        }
        #expect(device.created.current == 2)
        let r0 = group.reactors[0]
        r0.run { r0.releaseChannel(for: device) }
        #expect(device.destroyed.current == 0)
        r0.run { r0.releaseChannel(for: device) }
        #expect(device.destroyed.current == 1)
        #expect(r0.run { r0.channelReferenceCount(for: device) } == 0)
        // Stopping destroys the channels still held.
        group.stop()
        #expect(device.destroyed.current == 2)
    }
}

@Suite struct NodeLocalBufferTests {
    @Test func allocatesInitializesAndFrees() throws {
        final class Tracked { let n: Int; init(_ n: Int) { self.n = n } }
        weak var probe: Tracked?
        do {
            let buffer = try NodeLocalBuffer<Tracked>(count: 100, node: 0) { Tracked($0) }
            #expect(buffer[99].n == 99)
            probe = buffer[5]
            #expect(probe != nil)
            #expect(UInt(bitPattern: buffer.base) % 4096 == 0)
        }
        #expect(probe == nil)
        #expect(throws: Errno.invalidArgument) { try NodeLocalBuffer<Int>(count: 0, node: 0) { $0 } }
        #expect(throws: Errno.invalidArgument) { try NodeLocalBuffer<Int>(count: Int.max, node: 0) { $0 } }
    }
}

extension String {
    init(contentsOfProc path: String) throws {
        guard let f = fopen(path, "r") else { throw Errno.current }
        defer { fclose(f) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        self = String(decoding: bytes[..<n], as: UTF8.self)
    }
}
