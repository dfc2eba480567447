import LinuxSystem

/// Decides, pass by pass, whether a reactor in `PollMode.auto` keeps spinning: the self-tuning `PollWindow`, and
/// before spinning a check that the CPUs are not oversubscribed (KVM polls only while `single_task_running()`).
///
/// The check reads the machine's runnable-thread count (`SchedulerLoad`, about 2 us) at most every 200 us of
/// spinning; more runnable threads than online CPUs start a hold (`PollWindow.hold`). Measured against two other
/// signals with vhostfs-bench under 0, 1 and 2 CPU hogs (BENCHMARKS.md, "Poll modes"): the window alone, and the
/// reactor noticing that it was preempted while spinning (a long idle pass confirmed by its involuntary
/// context-switch count). Both lost to `interrupt` under contention (down to 0.14x of it on 4 KiB reads at queue
/// depth 1), because they react only after a spin has cost a time slice; the runnable count stops the spin before.
///
/// Without /proc/loadavg (`SchedulerLoad.shared` could not be opened) the window works alone.
///
/// Confined to the reactor thread.
struct SpinGovernor {
    private(set) var window: PollWindow
    /// Times a hold started.
    private(set) var holds: UInt64 = 0
    private let load: SchedulerLoad?
    private var lastCheck: UInt64 = 0

    /// How often the runnable count is read while spinning.
    static let checkIntervalNanoseconds: UInt64 = 200_000

    init(maximumNanoseconds: UInt64) {
        window = PollWindow(maximum: maximumNanoseconds)
        load = SchedulerLoad.shared
    }

    /// After an idle pass that ended at `now`, the last work having ended at `lastBusy`: keep spinning?
    @inline(__always)
    mutating func keepsSpinning(now: UInt64, lastBusy: UInt64) -> Bool {
        guard window.spins(idle: now &- lastBusy, now: now) else { return false }
        if let load, now &- lastCheck >= Self.checkIntervalNanoseconds {
            lastCheck = now
            if let runnable = load.runnableThreads(), runnable > load.onlineCPUs {
                window.hold(now: now)
                holds &+= 1
                return false
            }
            window.uncontended()
        }
        return true
    }

    /// The reactor slept and woke at `now`; its last work ended at `lastBusy`.
    mutating func woke(now: UInt64, lastBusy: UInt64) {
        window.woke(afterIdle: now &- lastBusy)
    }
}
