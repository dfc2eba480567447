import Glibc
import LinuxSystem
import Testing

@testable import Reactor

/// An idle reactor must give its CPU back in adaptive and interrupt modes. Measured with the thread's CPU clock
/// and cross-checked with the scheduler's accounting in /proc/self/task/TID/stat.
@Suite struct IdleCPUTests {
    @Test(arguments: [PollMode.adaptive(spinMicroseconds: 100), .auto(maximumMicroseconds: 200), .interrupt])
    func idleReactorUsesAlmostNoCPU(mode: PollMode) throws {
        let reactor = try Reactor.start(pollMode: mode)
        defer { reactor.stop() }
        // Some work first, so that an adaptive reactor has something to stop spinning after.
        for _ in 0..<10 { reactor.run { } }
        usleep(10_000)
        let wall0 = SystemClock.monotonicNanoseconds()
        let cpu0 = try #require(reactor.cpuTimeNanoseconds())
        let proc0 = try #require(SystemClock.procTaskCPUNanoseconds(threadID: reactor.threadID))
        usleep(500_000)
        let cpu1 = try #require(reactor.cpuTimeNanoseconds())
        let proc1 = try #require(SystemClock.procTaskCPUNanoseconds(threadID: reactor.threadID))
        let wall = Double(SystemClock.monotonicNanoseconds() - wall0)
        let share = Double(cpu1 - cpu0) / wall * 100
        let procShare = Double(proc1 - proc0) / wall * 100
        print("idle \(mode) reactor: \(fixed(share, 3))% CPU (thread clock), "
              + "\(fixed(procShare, 1))% (/proc/self/task stat, clock ticks); \(reactor.statistics)")
        #expect(share < 1.0)
        #expect(procShare < 5.0)
    }

    @Test func busyReactorSpins() throws {
        let reactor = try Reactor.start(pollMode: .busy)
        defer { reactor.stop() }
        usleep(100_000)
        let s = reactor.statistics
        #expect(s.sleeps == 0)
        #expect(s.iterations > 1000)
    }
}

/// `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    let frac = Int(abs(scaled) - abs(Double(whole)) * scale)
    let f = String(frac)
    return digits == 0 ? String(whole) : "\(whole).\(String(repeating: "0", count: max(0, digits - f.count)))\(f)"
}
