import Glibc
import LinuxSystem
import Synchronization
import Testing
import VhostUserTestKit

@testable import Reactor

/// The self-tuning spin window of `PollMode.auto` (KVM's halt-polling rules), with times passed in.
@Suite struct PollWindowTests {
    @Test func startsClosedAndGrowsFromTheStartValueByDoubling() {
        var w = PollWindow(maximum: 200_000)
        #expect(w.current == 0)
        #expect(!w.spins(idle: 0, now: 0))
        // Work came 30 us after the last work: a longer spin would have caught it.
        w.woke(afterIdle: 30_000)
        #expect(w.current == 10_000)
        w.woke(afterIdle: 30_000)
        #expect(w.current == 20_000)
        w.woke(afterIdle: 30_000)
        #expect(w.current == 40_000)
        for _ in 0..<10 { w.woke(afterIdle: 199_000) }
        #expect(w.current == 200_000, "capped at the maximum")
        #expect(w.spins(idle: 199_999, now: 1))
        #expect(!w.spins(idle: 200_000, now: 1))
    }

    @Test func aSleepLongerThanTheMaximumHalvesTheWindowDownToZero() {
        var w = PollWindow(maximum: 100_000)
        for _ in 0..<5 { w.woke(afterIdle: 99_000) }
        #expect(w.current == 100_000)
        w.woke(afterIdle: 5_000_000)
        #expect(w.current == 50_000)
        for _ in 0..<20 { w.woke(afterIdle: 5_000_000) }
        #expect(w.current == 0)
    }

    @Test func workCaughtByASpinLeavesTheWindowAlone() {
        var w = PollWindow(maximum: 100_000)
        w.woke(afterIdle: 50_000)
        w.woke(afterIdle: 50_000)
        #expect(w.current == 20_000)
        w.woke(afterIdle: 15_000)
        #expect(w.current == 20_000)
    }

    @Test func aSmallMaximumCapsTheStartValue() {
        var w = PollWindow(maximum: 3_000)
        #expect(w.growStart == 3_000)
        w.woke(afterIdle: 2_000)
        #expect(w.current == 3_000)
        var zero = PollWindow(maximum: 0)
        zero.woke(afterIdle: 1)
        #expect(zero.current == 0 && !zero.spins(idle: 0, now: 0))
    }

    @Test func holdsStopSpinningForAWhileThatDoublesUntilACheckFindsNoContention() {
        var w = PollWindow(maximum: 100_000)
        for _ in 0..<5 { w.woke(afterIdle: 99_000) }
        #expect(w.spins(idle: 0, now: 1_000))
        w.hold(now: 1_000)
        #expect(w.holdLength == PollWindow.minimumHold)
        #expect(!w.spins(idle: 0, now: 1_000 + PollWindow.minimumHold - 1))
        #expect(w.spins(idle: 0, now: 1_000 + PollWindow.minimumHold))
        w.hold(now: 2_000_000)
        #expect(w.holdLength == 2 * PollWindow.minimumHold)
        for _ in 0..<20 { w.hold(now: 3_000_000) }
        #expect(w.holdLength == PollWindow.maximumHold)
        w.uncontended()
        w.hold(now: 4_000_000)
        #expect(w.holdLength == PollWindow.minimumHold)
        #expect(w.current == 100_000, "a hold does not shrink the window")
    }
}

/// /proc/loadavg parsing and reading.
@Suite struct SchedulerLoadTests {
    @Test(arguments: [
        ("0.50 0.40 0.30 3/456 789\n", 3 as Int?),
        ("12.00 9.10 4.00 117/2048 1\n", 117),
        ("0.50 0.40 0.30 /456 789", nil),
        ("0.50 0.40 0.30 x/456 789", nil),
        ("0.50 0.40", nil),
        ("", nil),
        ("0.5 0.4 0.3 99999999999/1 1", nil),
    ] as [(String, Int?)])
    func parsesTheRunnableCount(text: String, expected: Int?) {
        let bytes = Array(text.utf8)
        let value = bytes.withUnsafeBufferPointer { SchedulerLoad.parseRunnable($0) }
        #expect(value == expected, "\(text)")
    }

    @Test func readsAtLeastTheCallingThread() throws {
        let load = try SchedulerLoad()
        let n = try #require(load.runnableThreads())
        #expect(n >= 1)
        #expect(load.onlineCPUs >= 1)
    }
}

/// `PollMode.auto` on a real reactor: spins while requests keep coming, sleeps when idle, and stops spinning while
/// more threads are runnable than there are CPUs.
@Suite(.serialized) struct AutoPollModeTests {
    /// A poller fed by another thread through a counter and an eventfd, as a queue is by a guest's kicks.
    final class Feed: Sendable {
        let pending = Atomic<Int>(0)
        let handled = Atomic<Int>(0)
        let kick: EventFD
        init() throws { kick = try EventFD() }
        func push() {
            pending.wrappingAdd(1, ordering: .releasing)
            kick.signal()
        }
    }

    private func start(_ feed: Feed) throws -> Reactor {
        let reactor = try Reactor.start(pollMode: .auto(maximumMicroseconds: 200))
        _ = try reactor.run { () throws(Errno) -> Bool in
            _ = try reactor.registerWakeEventFD(feed.kick)
            reactor.registerPoller(name: "feed") {
                let n = feed.pending.exchange(0, ordering: .acquiring)
                if n == 0 { return .idle }
                feed.handled.wrappingAdd(n, ordering: .relaxed)
                return .busy
            }
            return true
        }
        return reactor
    }

    /// Requests one at a time, each as soon as the previous one was handled (a guest at queue depth 1).
    private func pingPong(_ feed: Feed, count: Int) {
        for i in 1...count {
            feed.push()
            while feed.handled.load(ordering: .relaxed) < i {}
        }
    }

    @Test func anIdleAutoReactorSleepsAndItsWindowShrinks() throws {
        let feed = try Feed()
        let reactor = try start(feed)
        defer { reactor.stop() }
        pingPong(feed, count: 2000)
        // Idle: the reactor stops spinning at the end of its window (at most 200 us) and sleeps.
        usleep(10_000)
        let cpu0 = try #require(reactor.cpuTimeNanoseconds())
        usleep(200_000)
        let cpu1 = try #require(reactor.cpuTimeNanoseconds())
        #expect(cpu1 - cpu0 < 10_000_000, "an idle auto reactor used \(cpu1 - cpu0) ns of CPU in 200 ms")
        #expect(reactor.statistics.spinWindowNanoseconds <= 200_000)
    }

    @Test func moreRunnableThreadsThanCPUsHoldSpinning() throws {
        let feed = try Feed()
        let reactor = try start(feed)
        defer { reactor.stop() }
        // Requests at queue depth 1 open the window first.
        pingPong(feed, count: 2000)
        // Hogs: one more spinning thread than there are CPUs keeps the runnable count above the CPU count.
        final class Stop: Sendable { let flag = Atomic<Bool>(false) }
        let stop = Stop()
        var hogs: [pthread_t] = []
        for _ in 0...CPUAffinity.onlineCount {
            let box = Unmanaged.passRetained(stop).toOpaque()
            var t = pthread_t()
            let r = pthread_create(&t, nil, { raw in
                let stop = Unmanaged<Stop>.fromOpaque(raw!).takeRetainedValue()
                while !stop.flag.load(ordering: .relaxed) {}
                return nil
            }, box)
            try #require(r == 0)
            hogs.append(t)
        }
        defer {
            stop.flag.store(true, ordering: .relaxed)
            for t in hogs { pthread_join(t, nil) }
        }
        pingPong(feed, count: 3000)
        let s = reactor.statistics
        #expect(s.contentionHolds > 0, "\(s)")
        // Held reactors sleep after (almost) every request instead of spinning between them.
        #expect(s.sleeps > 1000, "\(s)")
    }
}
