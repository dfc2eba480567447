import Glibc

/// Ends the backend's process group when the benchmark itself is interrupted (SIGINT, SIGTERM, SIGHUP): backends run
/// in a process group of their own, so a Ctrl-C at the terminal would otherwise leave them running.
enum ChildCleanup {
    /// The process group to end, 0 for none. Written by the main thread, read by the signal handler.
    nonisolated(unsafe) static var processGroup: pid_t = 0

    /// Installs the handlers (once, from the main thread).
    static func install() {
        for s in [SIGINT, SIGTERM, SIGHUP] {
            signal(s) { number in
                // Only async-signal-safe calls here: kill and _exit.
                let group = ChildCleanup.processGroup
                if group > 0 { kill(-group, SIGTERM) }
                _exit(128 + number)
            }
        }
    }
}
