import CLinux
import Glibc

/// CPU sets and thread pinning.
public enum CPUAffinity {
    /// CPUs the calling thread may run on. The corresponding C function is `sched_getaffinity`.
    public static func currentCPUs() -> [Int] {
        var cpus = [CInt](repeating: 0, count: 1024)
        let n = CLinux_current_affinity(&cpus, cpus.count)
        guard n > 0 else { return [] }
        return cpus.prefix(Int(n)).map(Int.init)
    }

    /// Number of online CPUs. The corresponding C function is `sysconf(_SC_NPROCESSORS_ONLN)`.
    public static var onlineCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Pins the calling thread to `cpus`. The corresponding C function is `pthread_setaffinity_np`.
    public static func pinCurrentThread(to cpus: [Int]) throws(Errno) {
        guard !cpus.isEmpty else { throw .invalidArgument }
        var raw: [CInt] = []
        for c in cpus {
            guard let v = CInt(exactly: c) else { throw .invalidArgument }
            raw.append(v)
        }
        let r = CLinux_pin_current_thread(raw, raw.count)
        if r != 0 { throw Errno(rawValue: r) }
    }

    /// Names the calling thread (at most 15 bytes are kept). The corresponding C function is
    /// `pthread_setname_np`.
    public static func nameCurrentThread(_ name: String) {
        _ = CLinux_pthread_setname_self(String(name.utf8.prefix(15)) ?? "thread")
    }
}
