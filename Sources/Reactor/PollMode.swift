/// How a reactor waits for work when its pollers are idle.
///
/// Measured on these machines: a thread blocked in epoll takes about 25 us to wake from an eventfd write, a spinning
/// thread sees a shared-memory flag in about 0.06 us. `busy` buys the latency with a whole CPU per reactor,
/// `interrupt` gives the CPU back and pays the wake-up on every request that arrives after a quiet moment, and
/// `adaptive` pays the wake-up only after `spinMicroseconds` without work (bursts are served at spinning latency,
/// an idle reactor costs about nothing). Measured by fsdev-microbench over 1 s of idleness: adaptive (100 us) and
/// interrupt used 0 ns of CPU (one sleep each, no periodic wake-ups), busy used 99% of a CPU.
///
/// When runnable threads outnumber the CPUs, a spinning reactor waits out other threads' time slices while a
/// sleeping one is woken with the scheduler's wake-up preference: `busy` and `adaptive` then fell far below
/// `interrupt`. `auto` spins only while spinning pays (a window that grows while it catches work, shrinks when it
/// does not) and not at all while the CPUs are oversubscribed.
public enum PollMode: Sendable, Equatable, CustomStringConvertible {
    /// Never sleep: poll continuously.
    case busy
    /// Sleep in epoll (on the message, kick and completion eventfds) as soon as a whole pass found no work.
    case interrupt
    /// Spin for `spinMicroseconds` after the last busy pass, then sleep as in `interrupt`.
    case adaptive(spinMicroseconds: UInt32)
    /// Spin for a self-tuning window of at most `maximumMicroseconds` after the last busy pass (`PollWindow`: KVM's
    /// halt polling), and not at all while more threads are runnable than there are CPUs; then sleep as in
    /// `interrupt`.
    case auto(maximumMicroseconds: UInt32)

    /// The daemon's default: auto with a window of at most 200 us (KVM's default halt_poll_ns on x86). Measured
    /// with vhostfs-bench under 0, 1 and 2 CPU hogs against busy, interrupt and adaptive (BENCHMARKS.md).
    public static let `default` = PollMode.auto(maximumMicroseconds: 200)

    public var description: String {
        switch self {
        case .busy: "busy"
        case .interrupt: "interrupt"
        case .adaptive(let us): "adaptive(\(us) us)"
        case .auto(let us): "auto(at most \(us) us)"
        }
    }
}
