import Glibc
import LinuxSystem

/// A one-line progress display on stderr (`\r`-rewritten every 250 ms) while a workload runs.
final class ProgressLine: Sendable {
    /// Non-zero once `finish()` was called (a counter doubles as the stop flag).
    private let stopFlag = ProgressCounter()
    private let thread: BenchThread<Int>

    /// Starts showing `label`, the elapsed time and the current rate of `counters`.
    init(label: String, counters: [ProgressCounter], expectedNanoseconds: UInt64) {
        let flag = stopFlag
        thread = BenchThread {
            let start = SystemClock.monotonicNanoseconds()
            var lastCount = 0
            var lastTime = start
            while flag.current == 0 {
                usleep(250_000)
                let now = SystemClock.monotonicNanoseconds()
                let total = counters.reduce(0) { $0 + $1.current }
                let rate = Double(total - lastCount) / (Double(now - lastTime) / 1e9)
                lastCount = total
                lastTime = now
                let elapsed = Double(now - start) / 1e9
                let line = "\r\u{1b}[K\(label)  \(String(format: "%.1f", elapsed))/"
                    + "\(String(format: "%.1f", Double(expectedNanoseconds) / 1e9))s  \(total) ops  "
                    + "\(Int(rate)) ops/s"
                StandardError.write(line)
            }
            StandardError.write("\r\u{1b}[K")
            return 0
        }
    }

    /// Stops and clears the line.
    func finish() {
        stopFlag.add(1)
        _ = thread.join()
    }
}
