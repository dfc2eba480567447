/// A snapshot of a reactor's accounting. Times are wall-clock nanoseconds spent in each state of the loop.
public struct ReactorStatistics: Sendable, CustomStringConvertible {
    /// Loop passes.
    public var iterations: UInt64
    /// Time in passes where some poller (or a message) did work.
    public var busyNanoseconds: UInt64
    /// Time in passes that found no work (spinning).
    public var idleNanoseconds: UInt64
    /// Time blocked in epoll (a sleep in progress is counted when it ends).
    public var sleepNanoseconds: UInt64
    /// Number of times the reactor blocked in epoll (counted when it starts blocking).
    public var sleeps: UInt64
    /// Messages run.
    public var messages: UInt64
    /// `PollMode.auto`: the spin window after the last sleep; the fixed spin of `adaptive`.
    public var spinWindowNanoseconds: UInt64 = 0
    /// `PollMode.auto`: times spinning was held off because other threads waited for a CPU.
    public var contentionHolds: UInt64 = 0

    public var description: String {
        "iterations=\(iterations) busy=\(busyNanoseconds / 1000)us idle=\(idleNanoseconds / 1000)us "
            + "sleep=\(sleepNanoseconds / 1000)us sleeps=\(sleeps) messages=\(messages)"
            + " window=\(spinWindowNanoseconds / 1000)us holds=\(contentionHolds)"
    }
}
