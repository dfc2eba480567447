import Glibc
import LinuxSystem

/// Decides, pass by pass, whether a reactor in `PollMode.auto` keeps spinning: the self-tuning `PollWindow`, plus
/// a check that the CPUs are not oversubscribed before spinning (KVM polls only while `single_task_running()`).
///
/// Confined to the reactor thread.
struct SpinGovernor {
    /// What tells the governor that other threads wait for a CPU.
    enum Probe: String {
        /// More runnable threads on the machine than online CPUs (/proc/loadavg), checked before spinning.
        case runnable
        /// The reactor itself was preempted while spinning (an idle pass that took long, confirmed by its
        /// involuntary context-switch count).
        case preempted
        /// Either.
        case both
        /// Nothing: the window alone.
        case none
    }

    private(set) var window: PollWindow
    /// Times a hold started.
    private(set) var holds: UInt64 = 0
    private let probe: Probe
    private let load: SchedulerLoad?
    private var lastCheck: UInt64 = 0
    private var switches: Int

    /// How often the runnable count is read while spinning (about 2 us a read).
    static let checkIntervalNanoseconds: UInt64 = 200_000
    /// An idle pass longer than this means the thread was off the CPU.
    static let preemptionGapNanoseconds: UInt64 = 20_000

    init(maximumNanoseconds: UInt64) {
        window = PollWindow(maximum: maximumNanoseconds)
        let name = getenv("VHOSTFSD_SPIN_PROBE").map { String(cString: $0) } ?? ""
        probe = Probe(rawValue: name) ?? .runnable
        load = probe == .runnable || probe == .both ? try? SchedulerLoad() : nil
        switches = SchedulerLoad.involuntarySwitchesOfCurrentThread()
    }

    /// After an idle pass that took `idlePassLength` and ended at `now`: keep spinning?
    @inline(__always)
    mutating func keepsSpinning(now: UInt64, lastBusy: UInt64, idlePassLength: UInt64) -> Bool {
        guard window.spins(idle: now &- lastBusy, now: now) else {
            if probe == .preempted && !window.isHolding(now: now) { window.uncontended() }
            return false
        }
        if probe == .preempted || probe == .both, idlePassLength > Self.preemptionGapNanoseconds {
            let s = SchedulerLoad.involuntarySwitchesOfCurrentThread()
            if s != switches {
                switches = s
                startHold(now: now)
                return false
            }
        }
        if let load, now &- lastCheck >= Self.checkIntervalNanoseconds {
            lastCheck = now
            if let runnable = load.runnableThreads(), runnable > load.onlineCPUs {
                startHold(now: now)
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

    private mutating func startHold(now: UInt64) {
        window.hold(now: now)
        holds &+= 1
    }
}
