import Glibc

/// How busy the machine's CPUs are, as the scheduler reports it: the number of runnable threads system-wide
/// (`/proc/loadavg`, the numerator of its fourth field: threads running or waiting for a CPU right now, the reader
/// included).
///
/// A thread that spins while other threads wait for its CPU takes their time slices; KVM stops halt polling when
/// another task is runnable on the CPU (`single_task_running()`). User space cannot see one CPU's run queue cheaply;
/// the system-wide count against the online CPUs is the closest (measured about 2 us per read here).
///
/// Threading: any thread (each read uses its own buffer and pread at offset 0). One process-wide instance,
/// `shared`, is opened on first use; a sandboxed daemon opens it before it leaves /proc behind, and the descriptor
/// keeps working inside the sandbox.
public final class SchedulerLoad: Sendable {
    /// The process's instance; nil when /proc/loadavg could not be opened when it was first asked for.
    public static let shared: SchedulerLoad? = try? SchedulerLoad()

    private let descriptor: CInt
    /// CPUs online when the instance was made.
    public let onlineCPUs: Int

    /// Opens `/proc/loadavg`.
    /// - Throws: the errno of open(2) (procfs not mounted).
    public init() throws(Errno) {
        descriptor = try SystemCall.valueOrErrno { Glibc.open("/proc/loadavg", O_RDONLY | O_CLOEXEC) }.get()
        onlineCPUs = CPUAffinity.onlineCount
    }

    deinit { Glibc.close(descriptor) }

    /// Threads runnable on the whole machine right now (the caller included), or nil if the file cannot be read
    /// or parsed. The corresponding C function is `pread` on `/proc/loadavg`.
    public func runnableThreads() -> Int? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let n = Glibc.pread(descriptor, base, buffer.count, 0)
            guard n > 0 else { return nil }
            return Self.parseRunnable(UnsafeBufferPointer(start: base, count: n))
        }
    }

    /// The running count of `/proc/loadavg` text ("0.50 0.40 0.30 3/456 789": 3), nil if malformed.
    public static func parseRunnable(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        var field = 0
        var value = 0
        var digits = 0
        for c in text {
            if c == UInt8(ascii: " ") {
                field += 1
                continue
            }
            guard field == 3 else { continue }
            if c == UInt8(ascii: "/") { return digits > 0 ? value : nil }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), digits < 9 else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
            digits += 1
        }
        return nil
    }
}
