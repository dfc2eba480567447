import Glibc

/// Processes of pure computation that run during the workloads (`--cpu-hogs N`), as the busy vCPU threads of a
/// loaded VM host would: each one is this executable started again with `cpuHogArgument`, spinning on arithmetic
/// in user space at the default priority, unpinned. They make runnable threads outnumber the cores, which is when a
/// spinning back-end waits out other threads' time slices (DESIGN.md, "Contention").
///
/// Threading: use from one thread.
final class CPUHogs {
    /// The first argument that turns this executable into a hog (not a documented option).
    static let cpuHogArgument = "--cpu-hog-child"

    private(set) var processIDs: [pid_t] = []

    /// Starts `count` hog processes. Returns the errno of a failed spawn after stopping the ones started.
    func start(count: Int) -> Int32? {
        for _ in 0..<count {
            var pid: pid_t = 0
            let argv = ["vhostfs-bench-cpu-hog", Self.cpuHogArgument, String(getpid())]
            // SAFETY: the strdup'ed strings live until the defer frees them, after posix_spawn has copied them.
            let cArgs = argv.map { strdup($0) } + [nil]
            defer { for p in cArgs { free(p) } }
            let r = posix_spawn(&pid, "/proc/self/exe", nil, nil, cArgs, environ)
            guard r == 0 else {
                stop()
                return r
            }
            processIDs.append(pid)
        }
        return nil
    }

    /// Kills and reaps the hogs.
    func stop() {
        for pid in processIDs { kill(pid, SIGKILL) }
        for pid in processIDs {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        processIDs = []
    }

    deinit { stop() }

    /// The hog's body: arithmetic until the parent named on the command line is gone (checked every few
    /// milliseconds, the only system call it makes), then exit. Never returns.
    static func runChild(parent: pid_t) -> Never {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        var sink: UInt64 = 0
        while true {
            for _ in 0..<(1 << 22) {
                // xorshift64: integer work only, no memory traffic beyond registers.
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
                sink &+= x
            }
            if getppid() != parent { break }
        }
        // Keeps the loop from being optimized away.
        _exit(sink == 42 ? 1 : 0)
    }
}
