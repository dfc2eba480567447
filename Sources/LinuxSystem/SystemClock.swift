import CLinux
import Glibc

/// Clocks for accounting: monotonic wall time and per-thread CPU time.
public enum SystemClock {
    /// Nanoseconds of `CLOCK_MONOTONIC`. The corresponding C function is `clock_gettime` (vDSO, about 20 ns).
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        _ = clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
    }

    /// CPU time (user + system) consumed so far by `thread`, in nanoseconds. The corresponding C functions are
    /// `pthread_getcpuclockid` and `clock_gettime`.
    public static func cpuNanoseconds(of thread: pthread_t) throws(Errno) -> UInt64 {
        var clock = clockid_t()
        let r = pthread_getcpuclockid(thread, &clock)
        if r != 0 { throw Errno(rawValue: r) }
        var ts = timespec()
        _ = try SystemCall.valueOrErrno { clock_gettime(clock, &ts) }.get()
        return UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
    }

    /// CPU time (utime + stime) of thread `threadID` of this process as the scheduler accounts it in
    /// `/proc/self/task/<tid>/stat`, in nanoseconds (clock-tick resolution). Returns nil if the thread is gone.
    public static func procTaskCPUNanoseconds(threadID: Int) -> UInt64? {
        guard let f = fopen("/proc/self/task/\(threadID)/stat", "r") else { return nil }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count - 1, f) }
        guard n > 0 else { return nil }
        // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
        guard let close = buffer[..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 1)..<n].split(separator: UInt8(ascii: " "))
        // After ')' the fields start at field 3 (state); utime is field 14, stime field 15.
        guard fields.count > 12,
              let utime = UInt64(String(decoding: fields[11], as: UTF8.self)),
              let stime = UInt64(String(decoding: fields[12], as: UTF8.self))
        else { return nil }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        guard ticks > 0 else { return nil }
        let (sum, o1) = utime.addingReportingOverflow(stime)
        let (ns, o2) = sum.multipliedReportingOverflow(by: 1_000_000_000 / UInt64(ticks))
        return o1 || o2 ? nil : ns
    }
}
