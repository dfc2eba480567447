import Glibc

/// Ends the backends' process groups when the benchmark itself is interrupted (SIGINT, SIGTERM, SIGHUP): backends
/// run in process groups of their own (and may be stopped with SIGSTOP between their cells), so a Ctrl-C at the
/// terminal would otherwise leave them behind.
enum ChildCleanup {
    /// The process groups to end. Written by the main thread, read by the signal handler (at most 64 are kept in
    /// a fixed array, so the handler reads no Swift array that could be reallocated under it).
    nonisolated(unsafe) static var processGroups = ProcessGroups()

    /// Installs the handlers (once, from the main thread).
    static func install() {
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s) { number in
                // Only async-signal-safe calls here: kill and _exit.
                ChildCleanup.processGroups.forEach { group in
                    kill(-group, SIGCONT)
                    kill(-group, SIGTERM)
                }
                _exit(128 + number)
            }
        }
    }
}

/// A fixed set of process-group ids the signal handler can read without allocation.
struct ProcessGroups {
    private var ids: (pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t, pid_t,
                      pid_t, pid_t) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// Adds `group` if there is room (16 backends at once).
    mutating func append(_ group: pid_t) {
        // SAFETY: the tuple is 16 contiguous pid_t; the buffer is used only inside the closure.
        withUnsafeMutableBytes(of: &ids) { raw in
            let slots = raw.bindMemory(to: pid_t.self)
            if let i = slots.firstIndex(of: 0) { slots[i] = group }
        }
    }

    mutating func removeAll(where matches: (pid_t) -> Bool) {
        // SAFETY: as in append.
        withUnsafeMutableBytes(of: &ids) { raw in
            let slots = raw.bindMemory(to: pid_t.self)
            for i in slots.indices where slots[i] != 0 && matches(slots[i]) { slots[i] = 0 }
        }
    }

    func forEach(_ body: (pid_t) -> Void) {
        // SAFETY: as in append; reads a copy of the tuple.
        withUnsafeBytes(of: ids) { raw in
            for group in raw.bindMemory(to: pid_t.self) where group > 0 { body(group) }
        }
    }
}
