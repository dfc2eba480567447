import LinuxSystem

/// CPU lists as Linux writes them (`0,1,4-6`, as in /sys/devices/system/cpu/online and taskset -c).
public enum CPUList {
    /// The largest CPU number accepted: the kernel's NR_CPUS is at most 8192.
    public static let maximumCPU = 8191

    /// Parses a CPU list: comma-separated CPU numbers and inclusive ranges `A-B` with `A <= B`, in the order
    /// given, ranges expanded. Duplicates are kept; `DaemonConfiguration` refuses them.
    ///
    /// - Parameters:
    ///   - text: the list, without spaces.
    ///   - option: the option to name in errors.
    /// - Returns: the CPUs, in order.
    /// - Throws: `DaemonConfigurationError` for an empty list or entry, a non-number, a reversed range, or a CPU
    ///   above `maximumCPU`.
    public static func parse(_ text: String, option: String = "--reactor-cpus") throws(DaemonConfigurationError)
        -> [Int]
    {
        guard !text.isEmpty else { throw .option(option, "the CPU list is empty") }
        var cpus: [Int] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !entry.isEmpty else { throw .option(option, "empty entry in CPU list \(text)") }
            let bounds = entry.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let first = try cpuNumber(bounds[0], entry: entry, option: option)
            let last = bounds.count == 2 ? try cpuNumber(bounds[1], entry: entry, option: option) : first
            guard first <= last else { throw .option(option, "range \(entry) runs backwards") }
            cpus.append(contentsOf: first...last)
        }
        return cpus
    }

    /// Formats CPUs as a sorted list with ranges, e.g. `[4, 0, 1, 2]` as `0-2,4`; an empty list as `none`.
    public static func format(_ cpus: [Int]) -> String {
        let sorted = Set(cpus).sorted()
        guard var start = sorted.first else { return "none" }
        var parts: [String] = []
        var previous = start
        for cpu in sorted.dropFirst() {
            if cpu == previous + 1 {
                previous = cpu
                continue
            }
            parts.append(start == previous ? "\(start)" : "\(start)-\(previous)")
            start = cpu
            previous = cpu
        }
        parts.append(start == previous ? "\(start)" : "\(start)-\(previous)")
        return parts.joined(separator: ",")
    }

    /// The CPUs this process may run on: online CPUs in the calling thread's affinity (sched_getaffinity).
    public static func affinity() -> [Int] {
        CPUAffinity.currentCPUs()
    }

    /// One decimal CPU number, digits only.
    private static func cpuNumber(
        _ digits: Substring, entry: Substring, option: String
    ) throws(DaemonConfigurationError) -> Int {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .option(option, "\(entry) is not a CPU number or range (expected a list like 0,1,4-6)")
        }
        guard digits.count <= 5, let value = Int(digits), value <= maximumCPU else {
            throw .option(option, "CPU \(digits) is above the largest CPU number, \(maximumCPU)")
        }
        return value
    }
}
