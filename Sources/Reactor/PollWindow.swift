/// The self-tuning spin window of `PollMode.auto`, after KVM's halt polling (virt/kvm/kvm_main.c,
/// Documentation/virt/kvm/halt-polling.rst): after its last work a reactor spins for `current` nanoseconds, then
/// sleeps in epoll. When it wakes, the idle time tells whether a longer spin would have caught the work: shorter
/// than `maximum`, the window grows (doubling, starting at `growStart`); longer, it shrinks (halving, down to zero).
/// So a steady stream of requests is served at spinning latency and an idle or sporadic one costs no CPU.
///
/// KVM also stops polling as soon as another task is runnable on the CPU; the reactor's equivalent is `hold(now:)`:
/// while other threads wait for a CPU, no spinning for a while (1 ms, doubling while it persists, up to 256 ms),
/// because a spinning thread then waits out their time slices while a sleeping one is woken with the scheduler's
/// wake-up preference.
///
/// Pure state: times are passed in, so the rules are tested without clocks.
public struct PollWindow: Sendable, Equatable {
    /// The largest window, in nanoseconds (KVM's `halt_poll_ns`).
    public let maximum: UInt64
    /// The first window after zero (KVM's `halt_poll_ns_grow_start`, 10 us), capped at `maximum`.
    public let growStart: UInt64
    /// The window now: spin this long after the last work.
    public private(set) var current: UInt64 = 0
    /// No spinning before this time (monotonic nanoseconds).
    public private(set) var holdUntil: UInt64 = 0
    /// The length of the last hold (0: none since the last uncontended check).
    public private(set) var holdLength: UInt64 = 0

    /// The first hold after an uncontended check.
    public static let minimumHold: UInt64 = 1_000_000
    /// The longest hold.
    public static let maximumHold: UInt64 = 256_000_000

    /// A window of at most `maximum` nanoseconds, starting at zero.
    public init(maximum: UInt64, growStart: UInt64 = 10_000) {
        self.maximum = maximum
        self.growStart = min(growStart, maximum)
    }

    /// Whether to keep spinning at `now`, `idle` nanoseconds after the last work.
    @inline(__always)
    public func spins(idle: UInt64, now: UInt64) -> Bool {
        idle < current && now >= holdUntil
    }

    /// Whether a hold is in force at `now`.
    @inline(__always)
    public func isHolding(now: UInt64) -> Bool { now < holdUntil }

    /// The reactor slept and found work `idle` nanoseconds after its last work (its spin plus its sleep).
    public mutating func woke(afterIdle idle: UInt64) {
        if idle <= current { return }  // a spin would have caught it, but a hold kept the reactor from spinning
        if idle < maximum {
            current = min(max(current &* 2, growStart), maximum)
        } else {
            current /= 2
        }
    }

    /// Other threads wait for a CPU: no spinning until `now` plus a hold that doubles while this persists.
    public mutating func hold(now: UInt64) {
        holdLength = min(max(holdLength &* 2, Self.minimumHold), Self.maximumHold)
        holdUntil = now &+ holdLength
    }

    /// A check found no contention: the next hold starts short again.
    public mutating func uncontended() {
        holdLength = 0
    }
}
